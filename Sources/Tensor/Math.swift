#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// libm without Foundation, so the core stays small.
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) public func expf_(_ x: Float) -> Float { expf(x) }
@inline(__always) public func logf_(_ x: Float) -> Float { logf(x) }
