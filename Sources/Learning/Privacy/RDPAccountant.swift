#if canImport(Glibc)
    import Glibc
#endif

/// Rényi-DP accountant of the sampled Gaussian mechanism (Mironov, Talwar & Zhang 2019), as in
/// Google's dp-accounting: RDP of `steps` compositions of Poisson subsampling with rate q and
/// Gaussian noise of multiplier σ, at each order of a grid, converted to (ε, δ) by Canonne, Kamath
/// & Steinke's bound and minimised over the grid.
public enum RDPAccountant {
    /// dp-accounting's default grid: 1.1 … 10.9 by 0.1, 11 … 63, and 128, 256, 512, 1024.
    public static let defaultOrders: [Double] =
        (1..<100).map { 1 + Double($0) / 10 } + (11..<64).map(Double.init) + [128, 256, 512, 1024]

    /// RDP of one step at `order` (α > 1).
    public static func rdp(q: Double, sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha == alpha.rounded() ? logAInt(q, sigma, Int(alpha)) : logAFrac(q, sigma, alpha)
        return logA / (alpha - 1)
    }

    /// (ε, the order that gave it) after `steps` steps.
    public static func epsilon(q: Double, sigma: Double, steps: Int, delta: Double, orders: [Double] = defaultOrders)
        -> (epsilon: Double, order: Double)
    {
        var best = (Double.infinity, orders.first ?? 0)
        for a in orders {
            let r = Double(steps) * rdp(q: q, sigma: sigma, order: a)
            let eps: Double
            if delta * delta + expm1(-r) > 0 {
                eps = 0
            } else if a > 1.01 {
                eps = r + log1p(-1 / a) - log(delta * a) / (a - 1)
            } else {
                eps = .infinity
            }
            if eps < best.0 { best = (eps, a) }
        }
        return (max(0, best.0), best.1)
    }

    static func logAdd(_ a: Double, _ b: Double) -> Double {
        let (lo, hi) = (min(a, b), max(a, b))
        if lo == -.infinity { return hi }
        return log1p(exp(lo - hi)) + hi
    }

    /// log |C(n, k)| through log |Γ|, defined for real n.
    static func logBinomial(_ n: Double, _ k: Double) -> Double { lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) }

    static func logAInt(_ q: Double, _ sigma: Double, _ alpha: Int) -> Double {
        var logA = -Double.infinity
        for i in 0...alpha {
            let c = logBinomial(Double(alpha), Double(i)) + Double(i) * log(q) + Double(alpha - i) * log1p(-q)
            logA = logAdd(logA, c + Double(i * i - i) / (2 * sigma * sigma))
        }
        return logA
    }

    /// log(erfc(x)), accurate far into the tail where erfc underflows.
    static func logErfc(_ x: Double) -> Double {
        let r = erfc(x)
        if r > 1e-300 { return log(r) }
        // Laurent series of log erfc at infinity.
        return -log(Double.pi) / 2 - log(x) - x * x - 0.5 * pow(x, -2) + 0.625 * pow(x, -4) - 37 / 24 * pow(x, -6) + 353
            / 64 * pow(x, -8)
    }

    /// As dp-accounting computes it (arXiv:1908.10530 §3.3): the two tails as log-sums, stopped once both
    /// terms decrease and fall 30 nats below the total; an order that has not converged after 1000 terms
    /// is excluded (+∞), which the reference values depend on.
    static func logAFrac(_ q: Double, _ sigma: Double, _ alpha: Double) -> Double {
        var a0 = -Double.infinity
        var a1 = -Double.infinity
        var last0 = -Double.infinity
        var last1 = -Double.infinity
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let log1mq = log1p(-q)
        for step in 0..<1000 {
            let i = Double(step)
            let logCoef = logBinomial(alpha, i)
            let j = alpha - i
            let t0 = logCoef + i * log(q) + j * log1mq
            let t1 = logCoef + j * log(q) + i * log1mq
            let e0 = log(0.5) + logErfc((i - z0) / (2.0.squareRoot() * sigma))
            let e1 = log(0.5) + logErfc((z0 - j) / (2.0.squareRoot() * sigma))
            let s0 = t0 + (i * i - i) / (2 * sigma * sigma) + e0
            let s1 = t1 + (j * j - j) / (2 * sigma * sigma) + e1
            a0 = logAdd(a0, s0)
            a1 = logAdd(a1, s1)
            let total = logAdd(a0, a1)
            if s0 < last0 && s1 < last1 && max(s0, s1) < total - 30 { return total }
            last0 = s0
            last1 = s1
        }
        return .infinity
    }
}
