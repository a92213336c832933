import Learning

/// A validated spec section that does not decode: a schema this code does not follow.
public struct SpecDecodingError: Error, CustomStringConvertible {
    public var description: String
    init(_ what: String) { description = "\(what) is accepted by the spec language but not handled by this version" }
}
