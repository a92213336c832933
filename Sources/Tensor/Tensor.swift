/// A contiguous Float32 array with a shape; batch-major, channels-last (NHWC) for images.
///
/// A reference type on purpose: layers allocate their outputs and gradients once and
/// overwrite them every step, which copy-on-write arrays would silently duplicate.
public final class Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    /// The elements, row-major over `shape`. Owned by the tensor; valid while it lives.
    public private(set) var data: UnsafeMutableBufferPointer<Float>

    /// A zero-filled tensor of `shape`.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = .allocate(capacity: max(count, 1))
        data.initialize(repeating: 0)
    }

    /// A tensor holding `values` (whose count must equal the product of `shape`).
    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "values do not fill shape \(shape)")
        self.init(zeros: shape)
        _ = data.update(from: values)
    }

    deinit { data.deallocate() }

    public var array: [Float] { Array(data[0..<count]) }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Gives the tensor `shape`, reallocating only when it needs more room; contents are unspecified after growth.
    public func reshape(_ newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n > data.count {
            data.deallocate()
            data = .allocate(capacity: n)
            data.initialize(repeating: 0)
        }
        shape = newShape
        count = n
    }

    public func zero() { data.baseAddress!.update(repeating: 0, count: count) }

    public func fill(_ value: Float) { data.baseAddress!.update(repeating: value, count: count) }

    public func copy(from other: Tensor) {
        reshape(other.shape)
        data.baseAddress!.update(from: other.data.baseAddress!, count: count)
    }

    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.baseAddress!.update(from: data.baseAddress!, count: count)
        return t
    }

    public var pointer: UnsafeMutablePointer<Float> { data.baseAddress! }
}

/// Gets `slot` ready to hold `shape`, creating it on first use; no allocation once the shape is stable.
@inlinable
public func ensure(_ slot: inout Tensor?, _ shape: [Int]) -> Tensor {
    if let t = slot {
        if t.shape != shape { t.reshape(shape) }
        return t
    }
    let t = Tensor(zeros: shape)
    slot = t
    return t
}
