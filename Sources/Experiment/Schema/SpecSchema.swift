import Backdoor
import Datasets
import Learning

/// The spec language: every key, its type, default, range, meaning and thesis source.
/// `grammar/REFERENCE.md` and `grammar/spec.schema.json` are generated from this
/// (`backdoorlab grammar`), and a test checks they are current.
public enum SpecSchema {
    static let datasetNames = ["fashion_mnist", "cifar10", "cifar100", "cinic10"]
    static func i(_ v: Int) -> Value { .int(v) }
    static func n(_ v: Double) -> Value { .number(v) }
    static func s(_ v: String) -> Value { .string(v) }
    static func b(_ v: Bool) -> Value { .bool(v) }
    static let positive = SchemaType.number(min: 0, max: nil, exclusiveMin: true)
    static let nonNegative = SchemaType.number(min: 0, max: nil, exclusiveMin: false)
    static let unit = SchemaType.number(min: 0, max: 1, exclusiveMin: false)
    /// Counts of images, steps and records: a billion is far past any experiment here, and keeps
    /// products such as steps × batch inside 64-bit integers.
    static let count = SchemaType.integer(min: 1, max: 1_000_000_000)
    /// Channels and latent dimensions.
    static let width = SchemaType.integer(min: 1, max: 4096)

    static let dataset = ObjectSchema(
        "dataset", "The data the victim is trained and tested on.",
        [
            Field(
                "name", .choice(datasetNames), default: s("fashion_mnist"),
                "Dataset. fashion_mnist is the embedded default (Debian's dataset-fashion-mnist); the thesis uses cifar10.",
                thesis: "§7.1"),
            Field(
                "path", .path,
                "Directory of the dataset's files; default /usr/share/datasets/fashion-mnist for fashion_mnist, required otherwise. `${env:NAME}` reads an environment variable."
            ),
            Field(
                "labels", .choice(of: CIFAR.Labels.self), default: s("coarse"),
                "cifar100 only: the 20 superclasses (thesis pre-training) or the 100 classes.", thesis: "§7.10"),
            Field(
                "subset", count, "Train on this many images of the training set (a seeded random subset); default all."),
            Field(
                "public_fraction", .number(min: 0, max: 0.9, exclusiveMin: false), default: n(0),
                "Fraction of the training set set aside as a public split the attacker cannot touch: the black-box reference model and DP-SGD pre-training use it, the victim trains on the rest. 0 = none.",
                thesis: "§4.5, §7.10 (Fashion-MNIST stand-ins for CINIC-10 and CIFAR-100)"),
            Field(
                "public_source", .object(publicSource),
                "Another dataset as the public split instead of a fraction of this one (the thesis: CINIC-10's ImageNet part for a CIFAR-10 victim). Same image shape and classes as the victim's.",
                thesis: "§4.4, §4.5"),
        ])

    static let publicSource = ObjectSchema(
        "public source", "A second dataset that serves as the public split.",
        [
            Field("name", .choice(datasetNames), required: true, "Dataset.", thesis: "§4.5"),
            Field(
                "path", .path,
                "Directory of its files (default /usr/share/datasets/fashion-mnist for fashion_mnist, required otherwise)."
            ),
            Field(
                "part", .choice(of: CINIC.Source.self), default: s("all"),
                "cinic10 only: the ImageNet-derived images (not named cifar10-*), the CIFAR-10-derived ones, or all.",
                thesis: "§4.5"),
            Field(
                "split", .choice(of: CINIC.Split.self), default: s("train"),
                "cinic10 only: which of its folders. Other datasets give their training set."),
        ])

    static let model = ObjectSchema(
        "model",
        "A network: the thesis ResNet, a VGG-style network or a small CNN (the victim's under `model`, a reference's under `attack.perturbation.reference.model`).",
        [
            Field(
                "arch", .choice(of: Architecture.Kind.self), default: s("resnet"), "Architecture.", thesis: "§7.1"),
            Field("stem", width, default: i(16), "ResNet: width of the first convolution.", thesis: "§7.1"),
            Field(
                "widths", .list(width, minCount: 1), default: .list([i(16), i(32), i(64)]),
                "Channels of each group (ResNet), block (VGG) or layer (small CNN).", thesis: "§7.1"),
            Field(
                "units_per_group", .integer(min: 1, max: 100), default: i(5),
                "ResNet: residual units per group (5 = ResNet-32, 1 = ResNet-8); VGG: convolutions per block.",
                thesis: "§7.1"),
        ])

    static let piecewise = ObjectSchema(
        "piecewise schedule", "Learning rate constant between boundaries.",
        [
            Field("boundaries", .list(count, minCount: 0), "Steps at which the rate changes (absolute steps)."),
            Field(
                "fractions", .list(.number(min: 0, max: 1, exclusiveMin: true), minCount: 0),
                "Or: the same boundaries as fractions of the total steps."),
            Field("values", .list(nonNegative, minCount: 1), required: true, "Rates: one more than the boundaries."),
        ])

    static let learningRate = SchemaType.either([
        nonNegative,
        .object(
            ObjectSchema(
                "learning rate", "A schedule.",
                [Field("piecewise", .object(piecewise), required: true, "Piecewise-constant schedule.")])),
    ])

    static let augmentation = ObjectSchema(
        "augmentation", "Data augmentation during training (§3.6).",
        [
            Field(
                "crop_padding", .integer(min: 0, max: 16), default: i(0),
                "Zero padding before a random crop back to size; 0 = no crop (thesis: 4).", thesis: "§3.6"),
            Field("flip", .bool, default: b(false), "Random horizontal flip.", thesis: "§3.6"),
            Field(
                "per_image_standardization", .bool, default: b(false),
                "Standardise each image to zero mean, unit variance.", thesis: "§3.6"),
        ])

    static let optimizer = Variant(
        "optimizer", "How weights are updated.", default: "momentum",
        [
            .init(
                "momentum", "Momentum SGD with L2 weight decay.",
                [
                    Field("momentum", unit, default: n(0.9), "Momentum.", thesis: "§7.1"),
                    Field(
                        "weight_decay", nonNegative, default: n(0.0002),
                        "L2 weight decay on convolution and dense weights.", thesis: "§7.1"),
                ]),
            .init(
                "adam", "Adam.",
                [
                    Field(
                        "beta1", .number(min: 0, max: 1, exclusiveMin: false), default: n(0.9), "First-moment decay."),
                    Field(
                        "beta2", .number(min: 0, max: 1, exclusiveMin: false), default: n(0.999), "Second-moment decay."
                    ),
                    Field("weight_decay", nonNegative, default: n(0), "L2 weight decay."),
                ]),
        ])

    static func training(_ name: String, steps: Int) -> ObjectSchema {
        ObjectSchema(
            name, "How a network is trained.",
            [
                Field(
                    "optimizer", .variant(optimizer),
                    default: .object(["kind": s("momentum"), "momentum": n(0.9), "weight_decay": n(0.0002)]),
                    "Optimizer.", thesis: "§7.1"),
                Field("batch_size", count, default: i(50), "Images per step.", thesis: "§7.1"),
                Field(
                    "steps", count, default: i(steps), "Optimisation steps (ignored when epochs is given).",
                    thesis: "§7.1"),
                Field(
                    "epochs", .number(min: 0, max: 1_000_000, exclusiveMin: true),
                    "Passes over the training set instead of steps."),
                Field(
                    "learning_rate", learningRate,
                    default: .object([
                        "piecewise": .object([
                            "boundaries": .list([i(40_000), i(60_000)]), "values": .list([n(0.1), n(0.01), n(0.001)]),
                        ])
                    ]),
                    "A constant rate, or {piecewise: {boundaries | fractions, values}}.", thesis: "§7.1"),
                Field(
                    "augmentation", .either([.choice(of: AugmentationSpec.Preset.self), .object(augmentation)]),
                    default: s("none"),
                    "none, standard (crop with 4-pixel padding, flip, per-image standardisation), or the mapping.",
                    thesis: "§3.6"),
                Field(
                    "checkpoint_every", count, default: i(1000),
                    "Steps between checkpoints of a long training stage (resume)."),
            ])
    }

    static let adversarialTraining = ObjectSchema(
        "adversarial training", "PGD adversarial training (Madry et al.).",
        [
            Field("norm", .choice(of: PGD.Norm.self), default: s("l2"), "Norm of the perturbation ball."),
            Field("epsilon", positive, default: n(300), "Radius (units: see perturbation.epsilon_units)."),
            Field("steps", count, default: i(7), "PGD steps per training step."),
            Field("step_size", positive, "Step size; default 2.5·ε/steps."),
            Field("random_start", .bool, default: b(true), "Start from a random point in the ball."),
        ])

    static let reference = ObjectSchema(
        "reference model", "The model a perturbation is crafted against.",
        [
            Field(
                "training", .choice(of: ReferenceSpec.Training.self), default: s("adversarial"),
                "Standard or adversarially trained.", thesis: "§3.4, §4.2"),
            Field(
                "adversarial", .object(adversarialTraining),
                default: .object(["norm": s("l2"), "epsilon": n(300), "steps": i(7), "random_start": b(true)]),
                "Adversarial training settings.", thesis: "§3.4"),
            Field(
                "data", .choice(of: DataSplit.self), default: s("victim"),
                "Train on the victim's data (white box) or on the public split only (black box).", thesis: "§4.5"),
            Field("model", .object(model), "Architecture; default the victim's (black box: vgg).", thesis: "§4.5"),
            Field(
                "train", .object(training("reference training", steps: 100_000)), "Training; default the victim's.",
                thesis: "§3.4"),
        ])

    static let gan = ObjectSchema(
        "gan", "WGAN-GP (Gulrajani et al.).",
        [
            Field("latent", width, default: i(64), "Latent dimension."),
            Field(
                "classes", .choice(of: GANSpec.Classes.self), default: s("pair"),
                "Train on the two classes interpolated between, or on all.", thesis: "§3.3.1"),
            Field("steps", count, default: i(2500), "Generator steps."),
            Field("critic_steps", count, default: i(5), "Critic steps per generator step."),
            Field("penalty", nonNegative, default: n(10), "Gradient-penalty weight."),
            Field("batch_size", count, default: i(256), "Images per step."),
            Field("learning_rate", positive, default: n(0.0001), "Adam rate (β = 0.5, 0.9)."),
            Field(
                "kernel", .integer(min: 1, max: 9), default: i(5),
                "Convolution kernel size of generator and critic (DCGAN: 5; 3 costs a third)."),
        ])

    static let encode = ObjectSchema(
        "encode", "Latent inversion z = argmin ‖x − G(z)‖₂.",
        [
            Field("steps", count, default: i(1000), "Gradient steps.", thesis: "§3.3.1"),
            Field("step_size", positive, default: n(0.1), "Step size.", thesis: "§3.3.1"),
            Field(
                "optimizer", .choice(of: LatentInversion.Method.self), default: s("gradient_descent"),
                "Plain gradient descent on ‖x − G(z)‖₂ (the thesis) or Adam (β = 0.9, 0.999)."),
        ])

    static let perturbation = Variant(
        "perturbation", "How poisoned images are made hard to classify before the trigger.", default: "none",
        [
            .init("none", "The trigger only."),
            .init(
                "pgd", "Projected gradient descent maximising the reference model's loss.",
                [
                    Field("norm", .choice(of: PGD.Norm.self), default: s("l2"), "Norm of the ball.", thesis: "§3.4"),
                    Field(
                        "epsilon", positive, required: true, "Radius of the ball on the 0–255 scale.",
                        thesis: "§3.4 (ℓ2 300, 600, 1200; ℓ∞ 8, 16, 32)"),
                    Field(
                        "epsilon_units", .choice(of: EpsilonUnits.self), default: s("thesis"),
                        "thesis: ℓ2 radii are for 32×32×3 and scale with √(values per image / 3072); raw: used as given. ℓ∞ radii never scale."
                    ),
                    Field("steps", count, default: i(100), "PGD steps.", thesis: "§3.4"),
                    Field("step_size", positive, "Step size; default 2.5·ε/steps."),
                    Field("random_start", .bool, default: b(false), "Start from a random point in the ball."),
                    Field(
                        "reference", .object(reference), default: .object([:]),
                        "The model attacked: trained apart from the victims, from a seed stream of its own (never a victim's initial weights).",
                        thesis: "§3.4, §4.2, §4.5"),
                ]),
            .init(
                "gan_interpolation", "Move each image towards another class in a GAN's latent space.",
                [
                    Field(
                        "tau", unit, required: true,
                        "Distance travelled from the target image's code z₁ towards z₂ (τ = 0 reproduces the target image as well as the GAN can; the thesis's formula writes the weights the other way round).",
                        thesis: "§3.3.1"),
                    Field("gan", .object(gan), default: .object([:]), "The GAN."),
                    Field("encode", .object(encode), default: .object([:]), "Latent inversion."),
                ]),
            .init(
                "pixel_interpolation", "x′ = (1 − τ)x + τz, z a random image of another class.",
                [
                    Field("tau", unit, required: true, "Interpolation weight.", thesis: "§4.4"),
                    Field(
                        "source", .choice(of: DataSplit.self), default: s("public"),
                        "Where z comes from (thesis: ImageNet-derived CINIC-10 images).", thesis: "§4.4"),
                ]),
            .init(
                "gaussian_noise", "Additive Gaussian noise, clipped to [0, 255].",
                [
                    Field("sigma", positive, required: true, "Standard deviation on the 0–255 scale.", thesis: "§4.3")
                ]),
        ])

    static let trigger = ObjectSchema(
        "trigger", "The backdoor pattern stamped on poisoned and test images.",
        [
            Field(
                "pattern", .choice(of: TriggerSpec.Pattern.self),
                default: s("checkerboard"),
                "checkerboard: 3×3 B B W / B W B / W B W; x: red 'x' in the centre (grey on grey images); image: a file (these three are patches: size, corners, amplitude); blend: Blended (Chen et al. 2017), (1 − alpha)·image + alpha·pattern, the pattern seeded uniform noise or `file`; sinusoid: SIG (Barni et al. 2019), delta·sin(2π·column·frequency / width) added to every row; warp: WaNet (Nguyen & Tran 2021), a smooth random warp of `grid`×`grid` control points at `strength`. A setting of another pattern is an error.",
                thesis: "§3.1, §5.2"),
            Field(
                "file", .path,
                "pattern image: a square 8-bit PNG or uint8 .npy, relative to the spec that names it. Grey 0 leaves the pixel alone, 1–127 is black, 128–255 white; scaled to `size` by nearest neighbour. pattern blend: the picture blended in (its grey values, scaled to the image by nearest neighbour, the same on every channel); without it, seeded uniform noise."
            ),
            Field(
                "alpha", .number(min: 0, max: 1, exclusiveMin: true),
                "blend: the pattern's weight α (default 0.2, as the paper's training poisons)."),
            Field("delta", positive, "sinusoid: the amplitude Δ on the 0–255 scale (default 20, as the paper)."),
            Field("frequency", positive, "sinusoid: periods f across the width (default 6, as the paper)."),
            Field("grid", .integer(min: 2, max: 32), "warp: side k of the control grid (default 4, as the paper)."),
            Field(
                "strength", .number(min: 0, max: 10, exclusiveMin: false),
                "warp: strength s of the warp (default 0.5, as the paper; 0 is the identity)."),
            Field(
                "noise", .number(min: 0, max: 10, exclusiveMin: false),
                "warp: WaNet's noise mode — this many images per poison (default 2, the paper's cross ratio) are warped with the field plus random noise and keep their labels, so the network learns this warp and not warping in general; 0 turns it off."
            ),
            Field(
                "seed", .integer(min: 0, max: nil), "blend noise and warp: the seed that draws the pattern (default 0)."
            ),
            Field(
                "size", .integer(min: 1, max: 32), default: i(3),
                "Side of the pattern in pixels (the file's side draws an image pattern as it is).", thesis: "§3.1"),
            Field(
                "corners", .either([.choice(["all"]), .list(.choice(of: Trigger.Corner.self), minCount: 1)]),
                default: .list([s("bottom_right")]),
                "Corners stamped (all = the four-corner trigger, mirrored so it survives flips).", thesis: "§3.6"),
            Field(
                "amplitude", .number(min: 0, max: 255, exclusiveMin: true), default: n(255),
                "Patches: added to white and subtracted from black pattern pixels, clipped to [0, 255] (255 = overwrite).",
                thesis: "§3.5"),
        ])

    static let attack = ObjectSchema(
        "attack", "The poisoning attack.",
        [
            Field(
                "poison", .choice(of: AttackSpec.Poisoning.self), default: s("none"),
                "dirty_label: BadNets — images of the other classes (never the target's own) get the trigger and the target label; clean_label: images of the target class, labels never change.",
                thesis: "§2.1, §3"),
            Field("target", .integer(min: 0, max: 99), default: i(0), "Target class L.", thesis: "§3"),
            Field(
                "targets", .choice(of: AttackSpec.Targets.self), default: s("all_to_one"),
                "all_to_one: every poison and triggered test image aims at `target`; all_to_all (dirty_label only): an image of class y aims at (y + 1) mod classes, poisons are drawn from every class, and the ASR counts every triggered test image classified as its own class + 1."
            ),
            Field(
                "fraction", .number(min: 0, max: 1, exclusiveMin: true),
                "Poisoning ratio as a share of one class's training images (the thesis's and the label-consistent papers' meaning: 25 % poisons a quarter of the target class).",
                thesis: "§7.1 (0.4 %, 1.5 %, 6 %, 25 %, 100 %)"),
            Field(
                "fraction_of_dataset", .number(min: 0, max: 1, exclusiveMin: true),
                "Poisoning ratio as a share of the whole training set (BackdoorBench's meaning: 10 % poisons a tenth of all training images).",
                thesis: "§2.1, ch. 5"),
            Field("count", count, "Number of images poisoned."),
            Field(
                "perturbation", .variant(perturbation), default: .object(["kind": s("none")]),
                "Perturbation applied before the trigger.", thesis: "§3.3–3.4, ch. 4"),
            Field("trigger", .object(trigger), default: .object([:]), "The trigger."),
        ])

    static let defence = Variant(
        "defence",
        "The defence: during training (DP-SGD), by cleansing the training set and retraining, or at inference (STRIP).",
        default: "none",
        [
            .init("none", "Plain training."),
            .init("dp_sgd", "Differentially private SGD in a transfer set-up (thesis ch. 5).", dpFields),
            .init(
                "sgd_baseline",
                "The DP set-up without clipping or noise: same lots, layers, schedule and aggregation (the lot's mean gradient), which is the thesis's rate ÷ microbatches on summed microbatch losses (§7.10).",
                dpFields),
            .init(
                "spectral_signatures",
                "Spectral signatures (Tran, Li & Madry 2018): the victim trained on the poisoned set gives each training image's penultimate features; within each class analysed, the images scoring highest along the top singular vector of the centred features are removed, and a fresh victim trains on the rest.",
                [
                    Field(
                        "remove", positive, default: n(1.5),
                        "Images removed from each class analysed, as a multiple of the run's poison count (the paper: 1.5)."
                    ),
                    Field(
                        "classes", .choice(of: SpectralSettings.Classes.self), default: s("all"),
                        "Analyse every class (the defender does not know the target) or only the attack's target class."
                    ),
                    Field(
                        "score", .choice(of: SpectralSignatures.Score.self), default: s("centred_squared"),
                        "centred_squared: the paper's ((r − r̄)·v)²; uncentred_absolute: the Adversarial Robustness Toolbox's |r·v|."
                    ),
                ]),
            .init(
                "filtering",
                "The thesis's detection by filtering (§3.2) as a cleansing defence: a classifier trained on a small trusted clean set ranks every training image by the probability it gives the image's label; the lowest-ranked are removed and a fresh victim trains on the rest.",
                [
                    Field(
                        "remove", positive, default: n(1.5),
                        "Images removed, as a multiple of the run's poison count (the lowest-ranked)."),
                    Field(
                        "clean_images", count, default: i(1024), "Clean images the filter classifier trains on.",
                        thesis: "§3.2"),
                    Field(
                        "train", .object(training("filter training", steps: 5000)), default: .object([:]),
                        "Training of the filter classifier (default 5 000 steps of batch 50)."),
                ]),
            .init(
                "activation_clustering",
                "Activation clustering (Chen et al. 2018): each class's penultimate features under the victim trained on the poisoned set, reduced by PCA (or ICA) and split by 2-means; a cluster judged poisoned is removed and a fresh victim trains on the rest.",
                [
                    Field(
                        "components", .integer(min: 1, max: 4096), default: i(10),
                        "Dimensions kept (the paper: 10)."),
                    Field(
                        "reduce", .choice(of: ActivationClustering.Reduction.self),
                        "How: pca (default; the principal components, as the paper and ART's default) or ica (FastICA's independent sources, parallel log-cosh with unit-variance whitening, as scikit-learn's FastICA that ART calls; the paper allows either)."
                    ),
                    Field(
                        "analysis", .choice(of: ActivationClustering.Analysis.self), default: s("relative_size"),
                        "relative_size: the smaller cluster is poison when it holds at most size_threshold of the class (the paper); silhouette: and its silhouette score exceeds silhouette_threshold (as ART's silhouette analysis)."
                    ),
                    Field(
                        "size_threshold", unit, default: n(0.35), "Largest share of a class a poisoned cluster holds."),
                    Field(
                        "silhouette_threshold", .number(min: -1, max: 1, exclusiveMin: false), default: n(0.1),
                        "Smallest silhouette score of a real split (silhouette analysis)."),
                ]),
            .init(
                "strip",
                "STRIP (Gao et al. 2019), at inference: clean held-out images superimposed on an input; a low entropy of the blended copies' predictions marks it triggered and it is rejected. The threshold is set on clean images for the chosen false-rejection rate.",
                [
                    Field(
                        "copies", .integer(min: 1, max: 10_000), default: i(100),
                        "Clean images superimposed on each input (the paper: 100)."),
                    Field(
                        "false_rejection_rate", .number(min: 0, max: 0.5, exclusiveMin: true), default: n(0.01),
                        "Share of clean inputs the threshold rejects (a normal fit to clean entropies, as the paper)."),
                    Field(
                        "inputs", .integer(min: 10, max: 4000), default: i(1000),
                        "Clean test images the threshold is set on, and as many other test images scored clean and triggered."
                    ),
                    Field(
                        "entropy", .choice(of: STRIP.Entropy.self), default: s("across_classes"),
                        "across_classes: each copy's entropy over the classes, averaged (the paper); across_copies: ART's, each class's probabilities across the copies."
                    ),
                    Field(
                        "blend", .choice(of: STRIP.Blend.self), default: s("add"),
                        "add: pixel values added, saturating (the paper); average: their mean (ART)."),
                ]),
            .init(
                "fine_tuning",
                "Fine-tuning: the victim trained on the poisoned set, fine-tuned on a small trusted clean share of the training set.",
                repairFields(pruning: false)),
            .init(
                "fine_pruning",
                "Fine-pruning (Liu et al. 2018): the victim's last-layer input channels least active on clean images pruned while clean accuracy allows, then fine-tuning on the clean images.",
                repairFields(pruning: true)),
            .init(
                "abl",
                "Anti-backdoor learning (Li et al. 2021): the victim trains with local gradient ascent (each batch's loss held near γ) for the first share of its steps; the lowest-loss training images are then isolated as likely poisons; after training on, the victim unlearns them by gradient ascent.",
                [
                    Field(
                        "isolation_share", .number(min: 0, max: 1, exclusiveMin: true), default: n(0.2),
                        "Share of the victim's training steps trained with local gradient ascent before isolating (the paper: 20 of 100 epochs)."
                    ),
                    Field("gamma", positive, default: n(0.5), "LGA's loss floor γ (the paper: 0.5)."),
                    Field(
                        "isolation_rate", .number(min: 0, max: 0.5, exclusiveMin: true), default: n(0.01),
                        "Share of the training set isolated, lowest loss first (the paper: 1 %)."),
                    Field(
                        "unlearning_epochs", .number(min: 0, max: 10_000, exclusiveMin: true), default: n(5),
                        "Epochs of gradient ascent over the isolated images."),
                    Field("unlearning_rate", positive, default: n(0.0005), "Rate of the unlearning (the paper: 5e-4)."),
                ]),
            .init(
                "neural_cleanse",
                "Neural Cleanse (Wang et al. 2019): for each class, the smallest mask and pattern that turn clean images into it; a class whose mask ℓ1 norm is an outlier below the median (MAD anomaly index above the threshold) is flagged, and the victim unlearns its reversed trigger: fine-tuning on the clean images with the trigger stamped on a share of them, true labels kept.",
                [
                    Field("reverse_steps", count, default: i(300), "Optimisation steps per class."),
                    Field("reverse_batch_size", count, default: i(128), "Clean images per optimisation step."),
                    Field(
                        "reverse_learning_rate", positive, default: n(0.1),
                        "Adam's rate on the unconstrained mask and pattern."
                    ),
                    Field(
                        "lambda", nonNegative, default: n(0.001),
                        "Weight of the mask's ℓ1 norm against the classification loss (the adaptive schedule's start; the paper: 0.001)."
                    ),
                    Field(
                        "lambda_schedule", .choice(of: NeuralCleanse.LambdaSchedule.self),
                        "fixed (default): λ stays; adaptive: the paper's code — after each pass over the clean images, 5 passes in a row with at least 99 % attack success multiply λ by 1.5, 5 below divide it by 1.5^1.5, and the smallest mask of a successful pass is kept."
                    ),
                    Field(
                        "threshold", positive, default: n(2),
                        "Anomaly index above which the smallest mask's class is flagged (the paper: 2)."),
                    Field(
                        "stamped_fraction", unit, default: n(0.2),
                        "Share of the clean images that carry the reversed trigger while unlearning (the paper: 20 %)."),
                ] + repairFields(pruning: false)),
        ])

    static func repairFields(pruning: Bool) -> [Field] {
        [
            Field(
                "clean_fraction", .number(min: 0, max: 1, exclusiveMin: true), default: n(0.05),
                "Share of the training set the defender holds as trusted clean images (non-poisons of the victim's set; BackdoorBench: 5 %)."
            ),
            Field(
                "epochs", .number(min: 0, max: 10_000, exclusiveMin: true), default: n(10),
                "Fine-tuning epochs over the clean images."),
            Field(
                "learning_rate", positive, default: n(0.01),
                "Fine-tuning rate (constant; momentum 0.9 and the victim's weight decay)."),
            Field("batch_size", count, default: i(128), "Fine-tuning batch size."),
        ]
            + (pruning
                ? [
                    Field(
                        "max_accuracy_drop", unit, default: n(0.05),
                        "Prune the last layer's input channels, least active on the clean images first, while accuracy on them stays within this drop."
                    )
                ] : [])
    }

    static let dpFields: [Field] = [
        Field("clip", positive, default: n(1), "ℓ2 norm each microbatch gradient is clipped to.", thesis: "§7.10"),
        Field(
            "noise_multiplier", nonNegative, default: n(1),
            "σ: noise of standard deviation σ·clip is added to the sum of clipped microbatch gradients, which is then divided by the number of microbatches.",
            thesis: "§5.1 (0, 1/3, 2/3, 1)"),
        Field("lot_size", count, default: i(2000), "Images per lot.", thesis: "§7.10"),
        Field(
            "microbatches", count, default: i(16), "Microbatches per lot (lot size for per-example clipping).",
            thesis: "§7.10"),
        Field(
            "sampling", .choice(of: DPConfig.Sampling.self), default: s("poisson"),
            "poisson: each image joins a lot independently with probability lot_size/N (the sampled Gaussian mechanism the accountant bounds); shuffle: consecutive fixed-size slices of a shuffled order (ε then reported with the Poisson accountant as an approximation)."
        ),
        Field("delta", .number(min: 0, max: 1, exclusiveMin: true), default: n(1e-5), "δ of the reported (ε, δ)."),
        Field(
            "trainable", .choice(of: Model.Trainable.self), default: s("last_unit"),
            "last_unit: only the last residual unit's two 3×3 convolutions and the dense layer, batch norms frozen.",
            thesis: "§7.10"),
        Field(
            "batch_norm", .choice(of: DPSettings.BatchNormMode.self), default: s("frozen"),
            "Batch norms of the trained unit: frozen (running statistics, fully private), or normalising each microbatch by its own statistics with γ, β fixed and running statistics updated (what a PyTorch model in train mode with frozen parameters does; the running-statistics updates are not privatised). Layers before it stay frozen."
        ),
        Field(
            "pretrain",
            .either([
                .choice(["none"]),
                .object(
                    ObjectSchema(
                        "pretrain", "Pre-training before the defended fine-tuning.",
                        [
                            Field(
                                "dataset", .choice(of: Pretraining.Source.self), default: s("public"),
                                "The public split, or CIFAR-100's superclasses.", thesis: "§7.10"),
                            Field("path", .path, "cifar100: its directory."),
                            Field(
                                "train", .object(training("pretraining", steps: 100_000)),
                                "Training; default the victim's.", thesis: "§7.10"),
                        ])),
            ]), default: .object(["dataset": s("public")]), "Pre-training; none trains from scratch."),
    ]

    static let evaluate = ObjectSchema(
        "evaluate", "What is measured after training.",
        [
            Field(
                "attack_success_rate",
                .object(
                    ObjectSchema(
                        "attack success rate", "ASR settings.",
                        [
                            Field(
                                "exclude", .choice(of: EvaluateSpec.AttackSuccessRate.Exclude.self),
                                default: s("labelled_target"),
                                "Test images left out: those labelled as the target (§2.1.1), or those classified as it before the trigger (DP experiments).",
                                thesis: "§2.1.1, ch. 5"),
                            Field(
                                "amplitude", .number(min: 0, max: 255, exclusiveMin: true),
                                "Patch trigger amplitude at test time; default the attack's.", thesis: "§3.5"),
                            Field(
                                "alpha", .number(min: 0, max: 1, exclusiveMin: true),
                                "Blend trigger α at test time (Blended allows a smaller one than at training); default the attack's."
                            ),
                        ])), default: .object(["exclude": s("labelled_target")]), "Attack success rate."),
            Field("per_class", .bool, default: b(true), "Also report accuracy per class."),
        ])

    static let detection = ObjectSchema(
        "detection", "Detection by filtering (§3.2, fig 3-1).",
        [
            Field("enabled", .bool, default: b(false), "Run the detection experiment."),
            Field(
                "clean_images", count, default: i(1024), "Clean images the filter classifier trains on.", thesis: "§3.2"
            ),
            Field(
                "train", .object(training("filter training", steps: 5000)), default: .object([:]),
                "Training of the filter classifier (default 5 000 steps of batch 50)."),
            Field(
                "inspect", count, default: i(300), "How many lowest-probability images are inspected.", thesis: "§3.2"),
        ])

    static let lossTracking = ObjectSchema(
        "loss tracking", "Loss of all, poisoned, and poisoned-without-trigger samples over training (fig 4-1).",
        [
            Field("enabled", .bool, default: b(false), "Record the losses."),
            Field("every", count, default: i(500), "Steps between records.", thesis: "fig 4-1"),
        ])

    static let report = ObjectSchema(
        "report",
        "How results are drawn. `run` writes every run's metrics as CSV and JSON; `report` draws the figure described here (an SVG line plot) when its x key is swept.",
        [
            Field(
                "figure",
                .object(
                    ObjectSchema(
                        "figure", "One plot.",
                        [
                            Field(
                                "x", .string,
                                "Swept key on the x axis; default attack.fraction when it is swept, else the first swept numeric key (ε, τ, count…)."
                            ),
                            Field(
                                "y", .choice(ReportSpec.Figure.plottedMetrics.map(\.rawValue)),
                                default: s("attack_success_rate"), "Metric."),
                            Field(
                                "series", .string,
                                "Swept key that makes one line per value; default one line per combination of the other swept keys (fig 5-1: one per noise level), or one line named by attack.target when x is the only sweep."
                            ),
                        ])), "The spec's figure.")
        ])

    /// Metrics an expectation can compare (read from the cache after the runs).
    public static let expectationMetrics = ExpectationSpec.Metric.allCases.map(\.rawValue)

    static let expectation = ObjectSchema(
        "expectation", "A finding stated before the runs and checked after them: `left is right`, run by run.",
        [
            Field("finding", .string, required: true, "The finding in words, as the report prints it."),
            Field(
                "metric", .choice(expectationMetrics), default: s("attack_success_rate"),
                "What is compared: attack_success_rate (the spec's headline ASR), natural_accuracy, epsilon (DP), detection_enrichment (poisons found among the inspected images ÷ the count chance would find), trigger_reliance (median loss of the poisons without the trigger ÷ with it, at the end of training; needs loss_tracking), poison_loss_without_trigger (that median loss without the trigger alone: near 0 when the model learnt the poisons from their content), poisons_removed and clean_removed (the share of poisons and of clean images a cleansing defence removed, or ABL isolated for unlearning), defence_auroc (spectral signatures' scores against the poisons, or STRIP's entropies of triggered against clean inputs), asr_after_rejection (STRIP: triggered non-target inputs accepted and classified as the target), target_anomaly_index (Neural Cleanse: the MAD anomaly index of the target class's reversed mask, 0 when it is not below the median; flagged above 2)."
            ),
            Field("runs", .path, "Spec file whose runs are the left side (relative to this file); default this spec."),
            Field(
                "where", .list(.string, minCount: 1),
                "key=value selectors narrowing the left runs, on any setting (e.g. attack.target=0, attack.perturbation.kind=pgd)."
            ),
            Field(
                "is", .choice(ExpectationSpec.Comparison.allCases.map(\.rawValue)), required: true,
                "The comparison; increasing/decreasing: along `along`, run after run."),
            Field("than", .path, "Spec file whose runs are the right side; default the left side's spec."),
            Field("than_where", .list(.string, minCount: 1), "key=value selectors narrowing the right runs."),
            Field("value", .number(min: nil, max: nil, exclusiveMin: false), "A constant right side instead of runs."),
            Field(
                "times", .number(min: 0, max: nil, exclusiveMin: false), default: n(1),
                "The right side is multiplied by this…"),
            Field(
                "plus", .number(min: nil, max: nil, exclusiveMin: false), default: n(0),
                "…and this is added (ASR 0.10 = 10 points)."),
            Field(
                "pair_by", .string,
                "Setting pairing left and right runs (one comparison per value, e.g. attack.target)."),
            Field(
                "aggregate", .choice(of: ExpectationSpec.Aggregate.self), default: s("every"),
                "every: each pair must hold; mean: compare the means over the pairs."),
            Field(
                "along", .string,
                "Setting ordering the runs for increasing/decreasing (e.g. attack.perturbation.epsilon)."),
        ])

    /// A whole experiment.
    public static let spec = ObjectSchema(
        "spec", "One experiment (or, with sweeps, a grid of them).",
        [
            Field("title", .string, "What the experiment shows."),
            Field("thesis", .string, "The thesis section and figure it reproduces."),
            Field("extends", .path, "A spec this one builds on, merged key by key (relative to this file)."),
            Field(
                "seed", .integer(min: 0, max: nil), default: i(0),
                "Seed of every random choice (with `seeds`, the first repetition's, and the shared stages')."),
            Field(
                "seeds", .either([.integer(min: 1, max: 100), .list(.integer(min: 0, max: nil), minCount: 1)]),
                "Repetitions of every run: a count n (seeds seed, seed + 1, …, seed + n − 1) or a list of distinct seeds. A seed re-draws what a real repetition varies — the victim's initialisation, batch order and augmentation, which images are poisoned, the defences' random choices — while the reference model, the GAN, pre-training, the dataset split and perturbations of the whole target class stay one stage (drawn with the first seed) unless `reseed_upstream` is true. Results carry each metric's mean, SD and 95 % interval over the seeds, and `expect:` verdicts say holds, fails or inconclusive at that confidence. The first seed's runs are the same cached stages as the spec without `seeds`."
            ),
            Field(
                "reseed_upstream", .bool, default: b(false),
                "With `seeds`: also re-draw the shared stages (reference model, GAN, pre-training, dataset split, perturbations) per seed."
            ),
            Field("dataset", .object(dataset), default: .object([:]), "Data."),
            Field("model", .object(model), default: .object([:]), "Victim network."),
            Field(
                "train", .object(training("training", steps: 100_000)), default: .object([:]), "Victim training.",
                thesis: "§7.1"),
            Field("attack", .object(attack), default: .object([:]), "Attack."),
            Field("defence", .variant(defence), default: .object(["kind": s("none")]), "Defence.", thesis: "ch. 5"),
            Field("evaluate", .object(evaluate), default: .object([:]), "Metrics."),
            Field("detection", .object(detection), default: .object([:]), "Detection by filtering."),
            Field("loss_tracking", .object(lossTracking), default: .object([:]), "Loss tracking."),
            Field(
                "expect", .list(.object(expectation), minCount: 1),
                "Findings checked after the runs by `report` (not inherited through `extends`)."),
            Field("report", .object(report), default: .object([:]), "Report."),
        ])
}
