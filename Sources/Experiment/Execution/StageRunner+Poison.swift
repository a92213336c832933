import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

/// The poison stage (which training images change, and how) and detection by filtering.
extension StageRunner {
    static func trigger(_ t: Value) throws -> Trigger {
        let size = t["size"]!.int!
        let mask = t["mask"]?.list?.map { Int8($0.int!) }
        if let mask, mask.count != size * size {
            throw StageFailure("trigger file '\(t["file"]?.string ?? "")' could not be read when the plan was made; run `validate` on the spec")
        }
        return Trigger(pattern: Trigger.Pattern(rawValue: t["pattern"]!.string!) ?? .checkerboard, size: size,
                       corners: t["corners"]!.list!.compactMap { Trigger.Corner(rawValue: $0.string!) },
                       amplitude: Float(t["amplitude"]!.double!), mask: mask)
    }

    func runPoison(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let trig = try StageRunner.trigger(p["trigger"]!)
        let target = p["target"]!.int!, count = p["count"]!.int!, seed = UInt64(p["seed"]!.int!)
        let poison: Poison
        if p["poison"]!.string == "dirty_label" {
            poison = Poisoning.badNets(data.train, target: target, count: count, trigger: trig, seed: seed)
        } else {
            let available = data.train.indices(of: target).count
            guard count <= available else { throw StageFailure("asked to poison \(count) images of class \(target), which has \(available)") }
            let perturbed = try s.inputs.dropFirst().first.map { try perturbedImages($0, imageSize: data.train.imageSize) }
            poison = Poisoning.cleanLabel(data.train, target: target, count: count, trigger: trig, seed: seed, perturbed: perturbed)
        }
        try Artifacts.writeIndices(poison.indices, out + "/indices.npy")
        try Artifacts.writeIndices(poison.labels, out + "/labels.npy")
        try writeExamples(data.train, poison: poison, perturbedFrom: s.inputs.dropFirst().first, into: out)
        try Artifacts.writeImages(poison.images, count: poison.indices.count, shape: data.train.shape, out + "/images.npy")
    }

    /// examples.png: up to ten poisons, one per column — original, perturbed (when a perturbation
    /// made them), and as trained on with the trigger (thesis fig 3-4, 3-10, appendix A.3).
    func writeExamples(_ d: Dataset, poison: Poison, perturbedFrom perturbKey: String?, into out: String) throws {
        let n = min(10, poison.indices.count)
        guard n > 0 else { return }
        let size = d.imageSize
        var rows: [[UInt8]] = [poison.indices.prefix(n).flatMap { Array(d.image($0)) }]
        if let pk = perturbKey {
            let perturbed = try perturbedImages(pk, imageSize: size)
            rows.append(poison.indices.prefix(n).flatMap { Array(perturbed[$0] ?? d.image($0)) })
        }
        rows.append(Array(poison.images.prefix(n * size)))
        let grid = Dataset(name: "examples", height: d.height, width: d.width, channels: d.channels, images: rows.flatMap { $0 },
                           labels: Array(repeating: 0, count: rows.count * n), classNames: ["x"])
        try Artifacts.writeBytes(PNG.grid(grid, indices: Array(0..<(rows.count * n)), columns: n) { _ in [255, 255, 255] }, out + "/examples.png")
    }

    /// A perturb stage's images, by victim-set index.
    func perturbedImages(_ key: String, imageSize size: Int) throws -> [Int: ArraySlice<UInt8>] {
        let d = try dir(key)
        let idx = try Artifacts.readIndices(d + "/indices.npy"), px = try Artifacts.readImages(d + "/images.npy")
        return Dictionary(uniqueKeysWithValues: idx.enumerated().map { ($1, px[($0 * size)..<(($0 + 1) * size)]) })
    }

    func poison(_ key: String) throws -> Poison {
        let d = try dir(key)
        return Poison(indices: try Artifacts.readIndices(d + "/indices.npy"), images: try Artifacts.readImages(d + "/images.npy"),
                      labels: try Artifacts.readIndices(d + "/labels.npy"))
    }


    /// Detection by filtering (§3.2, appendix A.1): a classifier trained on a small trusted clean
    /// set ranks every training image by the probability it gives the image's label; how many
    /// poisons are among the lowest `inspect`, against the count chance would put there.
    func runDetect(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let poison = try self.poison(s.inputs[1])
        let poisoned = poison.apply(to: data.train)
        let isPoison = Set(poison.indices)
        var order = RNG(seed: UInt64(p["seed"]!.int!)).split("detection-clean")
        let clean = order.permutation(poisoned.count).filter { !isPoison.contains($0) }.prefix(p["clean_images"]!.int!)
        try fit(s, architecture: architecture(p["architecture"]!, data: data), train: poisoned.subset(Array(clean)), pretrained: nil, into: out)
        let model = architecture(p["architecture"]!, data: data).build()
        try model.load(from: out + "/model.safetensors")
        let prob = predict(model, on: poisoned).labelProbability
        let ranked = prob.indices.sorted { (prob[$0], $0) < (prob[$1], $1) }
        let k = min(p["inspect"]!.int!, ranked.count)
        let found = ranked.prefix(k).filter(isPoison.contains).count
        let expected = Double(k) * Double(isPoison.count) / Double(max(poisoned.count, 1))
        let accuracy = predict(model, on: data.test).accuracy
        try Artifacts.writeJSON(["inspect": k, "poisons": isPoison.count, "found": found, "expected_by_chance": expected,
                                 "ratio_to_chance": expected > 0 ? Double(found) / expected : 0, "filter_test_accuracy": accuracy,
                                 "lowest": Array(ranked.prefix(k))], out + "/detection.json")
        // The 20 lowest-ranked images, poisons framed in red (thesis appendix A.1).
        let png = PNG.grid(poisoned, indices: Array(ranked.prefix(20)), columns: 10) { isPoison.contains($0) ? [220, 30, 30] : [200, 200, 200] }
        try Artifacts.writeBytes(png, out + "/lowest.png")
    }

    static func pgd(_ p: Value) -> PGD {
        PGD(norm: PGD.Norm(rawValue: p["norm"]!.string!) ?? .l2, epsilon: Float(p["epsilon"]!.double!), steps: p["steps"]!.int!,
            stepSize: Float(p["step_size"]!.double!), randomStart: p["random_start"]!.bool!)
    }
}
