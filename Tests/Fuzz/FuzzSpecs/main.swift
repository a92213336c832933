import Experiment
import Foundation

// Coverage-guided fuzzing of everything a spec file goes through before any compute: YAML reading,
// `extends`, profiles, sweeps, validation, expectations, planning and the rendering of diagnostics.
// A spec must give a plan or diagnostics; a trap or a sanitizer report is a defect.
// Build and run with Tests/Fuzz/run.sh.

/// The spec is written as `sub/spec.yaml` beside copies of the example bases, so `extends:
/// ../_base.yaml`, `_base.yaml` and `_pgd.yaml` resolve as they do in the seeds.
let root = NSTemporaryDirectory() + "backdoorlab-fuzz-\(getpid())"
let specPath = root + "/sub/spec.yaml"

func prepare() {
    let fm = FileManager.default
    try? fm.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
    let bases = [
        "experiments/examples/_base.yaml": ["_base.yaml", "sub/_base.yaml"],
        "experiments/examples/clean_label/_pgd.yaml": ["sub/_pgd.yaml"],
        "experiments/examples/gan/_gan.yaml": ["sub/_gan.yaml"],
    ]
    for (source, targets) in bases {
        guard var text = try? String(contentsOfFile: source, encoding: .utf8) else {
            fatalError("run from the repository root: \(source) not found")
        }
        text = text.replacingOccurrences(of: "extends: ../_base.yaml", with: "extends: _base.yaml")
        for t in targets { fm.createFile(atPath: root + "/" + t, contents: Data(text.utf8)) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = FileManager.default.createFile(atPath: specPath, contents: data.map { Data(bytes: $0, count: size) } ?? Data())
    let loader = SpecLoader(environment: ["DATA": "/nonexistent"], displayRoot: root)
    do {
        var planner = Planner()
        _ = try planner.plan(try loader.load(specPath))
    } catch let d as Diagnostics {
        _ = d.render(sources: loader.sources)
    } catch let d as Diagnostic {
        _ = Diagnostics([d]).render(sources: loader.sources)
    } catch {
        fatalError("a spec raised an error that is not a diagnostic: \(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    prepare()
    return 0
}
