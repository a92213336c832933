/// Anti-backdoor learning (Li et al. 2021): poisons are learnt much faster than clean images. Early in
/// training, local gradient ascent (LGA) holds each batch's loss near a floor γ — clean images stay
/// there while poisons fall below it — so the lowest-loss images are isolated as likely poisons; after
/// training, the network unlearns them by gradient ascent.
public enum AntiBackdoorLearning {
    /// LGA's factor on the loss gradient: sign(L − γ), descent above the floor, ascent below it.
    public static func localGradientAscentScale(loss: Float, gamma: Float) -> Float {
        loss > gamma ? 1 : (loss < gamma ? -1 : 0)
    }

    /// The positions of the lowest `fraction` of `losses` (at least one), ascending.
    public static func isolate(losses: [Float], fraction: Double) -> [Int] {
        guard !losses.isEmpty else { return [] }
        let k = max(1, min(losses.count, Int((fraction * Double(losses.count)).rounded())))
        return Array(losses.indices.sorted { (losses[$0], $0) < (losses[$1], $1) }.prefix(k)).sorted()
    }
}
