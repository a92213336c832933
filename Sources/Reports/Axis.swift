import Foundation

/// An axis range widened to round numbers, with ticks at 1, 2 or 5 × 10ᵏ steps (linear) or at
/// powers of ten (logarithmic), as in the thesis's figures.
public struct Axis: Sendable, Equatable {
    public var lower: Double, upper: Double
    public var ticks: [Double]
    public var log: Bool

    /// Covers `values` (at least one); `fromZero` starts a linear axis of positive values at 0.
    public init(covering values: [Double], log: Bool = false, fromZero: Bool = false, ticks count: Int = 5) {
        self.log = log
        if log {
            let positive = values.filter { $0 > 0 }
            let lo = floor(log10(positive.min() ?? 1))
            let hi = max(ceil(log10(positive.max() ?? 10)), lo + 1)
            lower = lo
            upper = hi
            ticks = stride(from: lo, through: hi, by: max(1, ((hi - lo) / Double(count)).rounded(.up))).map { $0 }
            // One or two decades: also 2 and 5 of each, so the axis has enough labels to read.
            if hi - lo <= 2 {
                ticks = stride(from: lo, to: hi, by: 1).flatMap { [$0, $0 + log10(2), $0 + log10(5)] } + [hi]
            }
            return
        }
        var lo = values.min() ?? 0
        var hi = values.max() ?? 1
        if fromZero, lo > 0 { lo = 0 }
        if hi - lo < 1e-12 {
            lo -= lo == 0 ? 0 : abs(lo) * 0.1
            hi += hi == 0 ? 1 : abs(hi) * 0.1
        }
        let (m, e) = Axis.niceStep((hi - lo) / Double(max(count - 1, 1)))
        // Tick k is k·m·10ᵉ, computed as an integer scaled once so 0.3 prints as 0.3, not 0.30000000000000004.
        func value(_ k: Int) -> Double {
            e >= 0 ? Double(k * m) * pow(10, Double(e)) : Double(k * m) / pow(10, Double(-e))
        }
        let step = value(1)
        let k0 = Int(floor(lo / step + 1e-9))
        let k1 = Int(ceil(hi / step - 1e-9))
        lower = value(k0)
        upper = value(k1)
        ticks = (k0...k1).map(value)
    }

    /// The step of 1, 2 or 5 × 10ᵉ nearest `raw` (Heckbert's rounding), as (1, 2 or 5, e).
    static func niceStep(_ raw: Double) -> (Int, Int) {
        let e = Int(floor(log10(raw)))
        let f = raw / pow(10, Double(e))
        if f < 1.5 { return (1, e) }
        if f < 3 { return (2, e) }
        if f < 7 { return (5, e) }
        return (1, e + 1)
    }

    /// Where `v` falls on the axis, 0 at `lower` and 1 at `upper`.
    public func fraction(_ v: Double) -> Double {
        let t = log ? log10(max(v, 1e-12)) : v
        return (t - lower) / (upper - lower)
    }

    /// Where tick `tick` (an exponent on a log axis) falls, 0 at `lower` and 1 at `upper`.
    public func tickFraction(_ tick: Double) -> Double { (tick - lower) / (upper - lower) }

    /// A tick's label: for a log axis the tick is an exponent.
    public func label(_ tick: Double) -> String {
        guard log else { return shortNumber(tick) }
        // A power of ten reads as a plain number from 0.001 to 1000 and as 10 with a superscript beyond.
        if tick == tick.rounded(), abs(tick) < 1e6 {
            let e = Int(tick)
            if (-3...3).contains(e) {
                return e < 0
                    ? "0." + String(repeating: "0", count: -e - 1) + "1" : "1" + String(repeating: "0", count: e)
            }
            return "10" + Axis.superscript(e)
        }
        // 10^log10(5) is 4.999…: round to ten significant digits before printing.
        return shortNumber(Double(String(format: "%.10g", pow(10, tick)))!)
    }

    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (n < 0 ? "⁻" : "") + String(String(abs(n)).map { digits[Int(String($0))!] })
    }
}
