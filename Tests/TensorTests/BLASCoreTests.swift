import CBLAS
import XCTest

@testable import Tensor

final class BLASCoreTests: XCTestCase {
    func testTheFlagsChooseTheWidestKernelSet() {
        XCTAssertNil(BLASCore.preferred(features: 0))
        XCTAssertEqual(BLASCore.preferred(features: 1), "Haswell")
        XCTAssertEqual(BLASCore.preferred(features: 1 | 2), "SkylakeX")
        XCTAssertEqual(BLASCore.preferred(features: 1 | 2 | 4), "Cooperlake")
    }

    func testOnlyAnOlderKernelSetIsReplaced() {
        // Debian 12's OpenBLAS on a 5th-generation Xeon: its SSE3 fallback.
        XCTAssertFalse(BLASCore.suffices("Prescott", for: "SkylakeX"))
        XCTAssertFalse(BLASCore.suffices("Sandybridge", for: "Haswell"))
        XCTAssertFalse(BLASCore.suffices("Haswell", for: "Cooperlake"))
        XCTAssertTrue(BLASCore.suffices("Zen", for: "Haswell"))
        XCTAssertTrue(BLASCore.suffices("SkylakeX", for: "Cooperlake"))
        XCTAssertTrue(BLASCore.suffices("SapphireRapids", for: "SkylakeX"))
    }

    /// On this machine, the kernels in use are at least those its vector flags allow (unless the user forced a set).
    func testTheKernelsInUseMatchThisCPU() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil, "OPENBLAS_CORETYPE is set")
        var c: Float = 0
        var one: Float = 1
        gemm(1, 1, 1, &one, &one, &c)
        XCTAssertEqual(c, 1)
        guard let wanted = BLASCore.preferred(features: backdoorlab_x86_vector_features()) else { return }
        XCTAssertTrue(
            BLASCore.suffices(BLASCore.name, for: wanted),
            "OpenBLAS runs \(BLASCore.name) kernels on a CPU whose flags allow \(wanted)")
    }
}
