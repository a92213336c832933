import Datasets
import Foundation

/// A stage that could not finish, with the reason shown to the user.
public struct StageFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
