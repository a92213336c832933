/// "Did you mean …?" for a misspelt key or enum value: the closest candidate by edit distance,
/// if it is close enough to be a plausible typo.
public func suggestion(for word: String, among candidates: [String]) -> String? {
    let w = Array(word.lowercased())
    var best: (String, Int)?
    for c in candidates {
        // The distance is at least the difference in length: skip the O(n·m) work when that alone is too far.
        guard abs(w.count - c.count) <= max(1, min(w.count, c.count) / 3 + 1) else { continue }
        let d = editDistance(w, Array(c.lowercased()))
        if d <= max(1, min(w.count, c.count) / 3 + 1), d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
}

/// " did you mean 'x'?" or an empty string.
func didYouMean(_ word: String, _ candidates: [String]) -> String {
    suggestion(for: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
}

func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = prev
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return cur[b.count]
}
