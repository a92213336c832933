import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

/// Reference models and the perturbations crafted against them (PGD, noise, pixel interpolation).
extension StageRunner {
    /// The model perturbations are crafted against: standard or PGD adversarial training, on the
    /// victim's data or (black box) the public split.
    func runReference(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let train = p["data"]!.string == "public" ? data.publicSplit : data.train
        guard train.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
        let adversarial = p["training"]!.string == "adversarial" ? StageRunner.pgd(p["adversarial"]!) : nil
        try fit(s, architecture: architecture(p["architecture"]!, data: data), train: train, pretrained: nil, adversarial: adversarial, into: out)
        // How robust it came out: accuracy on clean and on PGD-attacked test images (20 steps, same ε).
        let model = architecture(p["architecture"]!, data: data).build()
        try model.load(from: out + "/model.safetensors")
        let sample = data.test.subset(Array(0..<min(1000, data.test.count)))
        let clean = predict(model, on: sample).accuracy
        var robust: Double?
        if let a = adversarial {
            var attack = a; attack.steps = 20; attack.stepSize = 2.5 * a.epsilon / 20
            let px = Perturbations.pgd(sample, indices: Array(0..<sample.count), model: model, attack: attack, seed: 99)
            var attacked = sample; attacked.images = px
            robust = predict(model, on: attacked).accuracy
        }
        var info = try Artifacts.readJSON(out + "/training.json")
        info["test_accuracy"] = clean
        if let robust { info["adversarial_test_accuracy"] = robust }
        try Artifacts.writeJSON(info, out + "/training.json")
    }

    /// Perturbed versions of every training image of the target class (shared by all fractions).
    func runPerturb(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let target = p["target"]!.int!, seed = UInt64(p["seed"]!.int!)
        var indices = data.train.indices(of: target)
        let images: [UInt8]
        switch p["kind"]!.string! {
        case "gan_interpolation":
            (indices, images) = try ganInterpolation(s, data: data, into: out)
        case "gaussian_noise":
            images = Perturbations.gaussianNoise(data.train, indices: indices, sigma: Float(p["sigma"]!.double!), seed: seed)
        case "pixel_interpolation":
            let source = p["source"]!.string == "public" ? data.publicSplit : data.train
            guard source.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
            images = Perturbations.pixelInterpolation(data.train, indices: indices, tau: Float(p["tau"]!.double!), source: source, seed: seed)
        case "pgd":
            let refStage = plan.stage(s.inputs[1])!
            let model = architecture(refStage.parameters["architecture"]!, data: data).build()
            try model.load(from: try dir(s.inputs[1]) + "/model.safetensors")
            let title = "perturb \(s.shortKey)"
            images = Perturbations.pgd(data.train, indices: indices, model: model, attack: StageRunner.pgd(p), seed: seed) { done, total in
                self.progress.update(title, done: min(done, total), total: total)
            }
        default:
            throw StageFailure("unknown perturbation kind '\(p["kind"]!.string!)' (a plan from another version of backdoorlab?)")
        }
        try Artifacts.writeIndices(indices, out + "/indices.npy")
        try Artifacts.writeImages(images, count: indices.count, shape: data.train.shape, out + "/images.npy")
    }
}
