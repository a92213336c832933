import Reports

/// Fig 4-1 drawn from `loss_tracking.csv` (step,group,q25,median,q75): each group's median loss with
/// its interquartile band. `report` redraws it from the CSV, so cached runs get the current drawing.
enum LossFigure {
    /// Each group's rows (step, [q25, median, q75]) in step order, and the groups in the order they first appear.
    static func parse(csv: String) -> (rows: [String: [(step: Double, q: [Double])]], order: [String]) {
        var rows: [String: [(step: Double, q: [Double])]] = [:], order: [String] = []
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 5, let step = Double(f[0]), let q25 = Double(f[2]), let median = Double(f[3]), let q75 = Double(f[4]) else { continue }
            if rows[f[1]] == nil { order.append(f[1]) }
            rows[f[1], default: []].append((step, [q25, median, q75]))
        }
        return (rows, order)
    }

    static func svg(csv: String) -> String {
        let (rows, order) = parse(csv: csv)
        let series = order.map { g in
            let r = rows[g]!
            return LinePlot.Series(name: g.replacingOccurrences(of: "_", with: " "), x: r.map(\.step), y: r.map { $0.q[1] },
                                   band: (r.map { $0.q[0] }, r.map { $0.q[2] }))
        }
        return LinePlot(title: "Loss during training (median, interquartile band)", xLabel: "step", yLabel: "cross-entropy loss",
                        logY: true, series: series).svg
    }
}
