import Tensor
import XCTest

/// Central finite differences of a scalar function of a tensor's elements, in Double.
/// `loss` is re-evaluated after each perturbation, so it must run the forward pass itself.
public func numericalGradient(of t: Tensor, step h: Float = 1e-2, loss: () -> Double) -> [Double] {
    var g = [Double](repeating: 0, count: t.count)
    for i in 0..<t.count {
        let v = t[i]
        t[i] = v + h
        let plus = loss()
        t[i] = v - h
        let minus = loss()
        t[i] = v
        g[i] = (plus - minus) / (2 * Double(h))
    }
    return g
}

/// ‖a − b‖ / max(‖a‖, ‖b‖): the relative error of a gradient as a whole.
public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var d = 0.0
    var na = 0.0
    var nb = 0.0
    for i in a.indices {
        d += (a[i] - b[i]) * (a[i] - b[i])
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    let den = max(na.squareRoot(), nb.squareRoot())
    return den == 0 ? 0 : d.squareRoot() / den
}

/// Asserts an analytic gradient matches finite differences within `tolerance` (relative, whole-vector),
/// and that it is not trivially zero.
public func assertGradient(
    _ analytic: [Float], _ numeric: [Double], tolerance: Double = 1e-2, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let a = analytic.map(Double.init)
    let err = relativeError(a, numeric)
    XCTAssertLessThan(err, tolerance, "\(what): relative error \(err)", file: file, line: line)
    XCTAssertGreaterThan(
        numeric.map(abs).max() ?? 0, 1e-6, "\(what): gradient is all zero; the check would prove nothing",
        file: file, line: line)
}

/// A tensor of standard normal values from `seed`.
public func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var r = RNG(seed: seed)
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t[i] = r.normal() * scale }
    return t
}

/// Σ y·w in Double: a scalar loss whose gradient with respect to y is w.
public func weightedSum(_ y: Tensor, _ w: Tensor) -> Double {
    var s = 0.0
    for i in 0..<y.count { s += Double(y[i]) * Double(w[i]) }
    return s
}

public func assertClose(
    _ a: [Float], _ b: [Float], tolerance: Float = 1e-5, _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "\(what): counts differ", file: file, line: line)
    var worst: Float = 0
    var at = 0
    for i in 0..<min(a.count, b.count) {
        let d = abs(a[i] - b[i]) / max(1, abs(b[i]))
        if d > worst {
            worst = d
            at = i
        }
    }
    XCTAssertLessThanOrEqual(
        worst, tolerance, "\(what): element \(at) is \(a.isEmpty ? 0 : a[at]), expected \(b.isEmpty ? 0 : b[at])",
        file: file, line: line)
}

/// Two computations of one tensor by different kernels agree: max |a − b| ≤ 1e-5 · max(1, max |b|),
/// and the reference is not all zero (a comparison of zeros would pass whatever the kernel did).
public func assertSameTensor(
    _ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    var worst: Float = 0
    var scale: Float = 0
    for i in 0..<a.count {
        worst = max(worst, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    XCTAssertGreaterThan(scale, 0, "\(what): reference is all zero", file: file, line: line)
    XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, scale), "\(what): max difference \(worst)", file: file, line: line)
}
