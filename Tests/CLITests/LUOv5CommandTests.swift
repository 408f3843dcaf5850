import Foundation
import HandoverModel
import KHOImage
import TestSupport
import Testing

/// The command line with v7.2/v7.3 inputs: a bare 32-byte `luo_ser` (what
/// debugfs `sub_fdts/LUO` shows from v7.2 on), a real v7.3.4 capture, and an
/// image with the empty session block a kernel bug leaves behind.
@Suite struct LUOv5CommandTests {
    static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64($0 * 8)) } }
    static let luoSer = Array("luo-v5".utf8) + [0, 0] + le64(1) + le64(0x3bc000) + le64(0x395000)

    @Test func decodeAndVerifyABareLuoSer() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("LUO", bytes: Self.luoSer)
        let text = CLI.run(["decode", path, "--format", "text"])
        #expect(text.status == 0)
        #expect(text.stdout == "bare luo_ser \(path) (32 bytes, not an FDT): addresses only, the memory they name is not in this file\n"
            + "generation: kho-v4+luo-v5+memfd-v2; written by Linux 7.2, 7.3\n"
            + "compatible: \"luo-v5\"\nliveupdate_num: 1\nsessions_pa: 0x3bc000 (first session kho_block)\n"
            + "flbs_pa: 0x395000 (luo_flb_header_ser)\n")
        let json = CLI.run(["decode", path])
        #expect(json.stdout == "{\n  \"kind\": \"luo-ser\",\n  \"compatible\": \"luo-v5\",\n  \"liveupdate_number\": 1,\n"
            + "  \"sessions_pa\": \"0x3bc000\",\n  \"flbs_pa\": \"0x395000\"\n}\n")
        let verify = CLI.run(["verify", path])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("\(path): valid bare luo_ser (luo-v5, Linux 7.2/7.3): liveupdate_num 1,"))
    }

    @Test func theRealCaptureDecodesAndVerifies() throws {
        let capture = Repository.path("Fixtures/kernel-captures/7.3/capture.kho")
        let verify = CLI.run(["verify", capture])
        #expect(verify.stdout == "\(capture): valid: a Linux 7.2 or 7.3 kernel accepts it (kho-v4+luo-v5+memfd-v2): 4 sessions, 10 files, 1105 preserved pages in 1105 blocks, 3 FLB entries, liveupdate-number 1\n")
        let text = CLI.run(["decode", capture, "--format", "text"]).stdout
        #expect(text.contains("generation: kho-v4+luo-v5+memfd-v2; written by Linux 7.2, 7.3\n"))
        #expect(text.contains("LUO luo_ser @ 0x394000 (32 bytes, luo-v5): liveupdate_num 1, sessions_pa 0x3bc000, flbs_pa 0x395000\n"))
        #expect(text.contains("sessions: 4 in 1 kho_block: 0x3bc000\n"))
        let json = CLI.run(["decode", capture]).stdout
        #expect(json.hasPrefix("{\n  \"kernel\": \"7.3\",\n"))
    }

    @Test func verifyExplainsTheEmptySessionBlock() throws {
        let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1,
                                  sessions: (0..<52).map { SessionRecord(name: "s\($0)") })
        let image = try KHOImageWriter().encode(state)
        var bytes = try image.bytes
        let blocks = image.layout.sessionBlocks
        func offset(_ phys: UInt64) -> Int {
            let region = image.layout.regions.first { $0.phys <= phys && phys < $0.end }!
            return Int(region.fileOffset + (phys - region.phys))
        }
        // What the bug leaves: the first block full, the second linked and empty.
        bytes.replaceSubrange(offset(blocks[1])..<(offset(blocks[1]) + 96), with: [UInt8](repeating: 0, count: 96))
        let directory = try TemporaryDirectory()
        let path = try directory.write("bug.kho", bytes: bytes)
        let result = CLI.run(["verify", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("session chain: block 1 of the chain, at 0x\(String(blocks[1], radix: 16)), has count 0;"
            + " the next kernel refuses it"))
        #expect(result.stderr.contains("panics at boot"))
    }
}
