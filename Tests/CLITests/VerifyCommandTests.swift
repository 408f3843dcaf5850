import Foundation
import KHOImage
import TestSupport
import Testing

/// `luo-serialize verify`: a one-line summary for valid images, one error line otherwise.
@Suite struct VerifyCommandTests {
    @Test func validImageGivesTheSummary() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let layout = try KHOImageReader.readImage(path: image).layout
        let result = CLI.run(["verify", image])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdout == "\(image): valid: a Linux 7.1 kernel accepts it (kho-v3+luo-v1+memfd-v2): 2 sessions, 3 files, \(layout.preservedPages) preserved pages"
            + " in \(layout.preservedBlocks.count) blocks, 1 FLB entry, liveupdate-number 1\n")
    }

    /// A generation no released kernel reads says so instead of naming a release.
    @Test func thePreReleaseGenerationIsNamedAsNoKernels() throws {
        let image = Repository.path("Fixtures/kho-v2-prerelease/01-empty/image.kho")
        let result = CLI.run(["verify", image])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("\(image): valid: no released kernel accepts it (kho-v2+luo-v1+memfd-v1): 0 sessions"))
    }

    /// The file offset of physical address `phys`.
    private func fileOffset(_ phys: UInt64, _ layout: HandoverLayout) throws -> Int {
        let region = try #require(layout.regions.first { $0.phys <= phys && phys < $0.end })
        return Int(region.fileOffset + (phys - region.phys))
    }

    @Test func corruptSessionCountIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let layout = try KHOImageReader.readImage(path: image).layout
        var bytes = try readBytes(image)
        let offset = try fileOffset(layout.sessionHeaderPhys, layout)
        bytes[offset] = 0x10
        bytes[offset + 1] = 0x27 // count = 10000
        let corrupt = try directory.write("corrupt.kho", bytes: bytes)
        let result = CLI.run(["verify", corrupt])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(corrupt): session header at 0x\(String(layout.sessionHeaderPhys, radix: 16))"))
        #expect(result.stderr.contains("10000"))
    }

    @Test func corruptFileDataPointerIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let layout = try KHOImageReader.readImage(path: image).layout
        var bytes = try readBytes(image)
        // The memfd's `data` (luo_file_ser.data, offset 48) points outside the image.
        let offset = try fileOffset(layout.sessions[0].filesPhys, layout) + 48
        for index in 0..<8 { bytes[offset + index] = index == 7 ? 0x7f : 0 }
        let corrupt = try directory.write("corrupt.kho", bytes: bytes)
        let result = CLI.run(["verify", corrupt])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("memfd_luo_ser of session \"vm0\" token 0x1 at 0x7f00000000000000"))
    }

    @Test func truncatedImageIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let truncated = try directory.write("t.kho", bytes: Array(try readBytes(image).prefix(3000)))
        let result = CLI.run(["verify", truncated])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(truncated): "))
    }

    /// verify checks bare debugfs FDTs as far as they go, as decode reads
    /// them, and says that nothing past the FDT was checked.
    @Test func bareFDTsAreCheckedAsFarAsTheyGo() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let luo = directory.path("luo.dtb"), root = directory.path("kho.dtb")
        #expect(CLI.run(["extract", image, "--fdt", "luo", "-o", luo]).status == 0)
        #expect(CLI.run(["extract", image, "--fdt", "kho", "-o", root]).status == 0)
        let layout = try KHOImageReader.readImage(path: image).layout
        func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
        let result = CLI.run(["verify", luo])
        #expect(result.status == 0)
        #expect(result.stdout == "\(luo): valid bare LUO FDT: liveupdate-number 1, session header at \(hex(layout.sessionHeaderPhys)),"
            + " FLB header at \(hex(layout.flbHeaderPhys)); the memory it points at is not in the file, so nothing past the FDT was checked\n")
        let rootResult = CLI.run(["verify", root])
        #expect(rootResult.status == 0)
        // v7.1's root lists LUO first, then kexec-metadata (added earlier).
        #expect(rootResult.stdout.hasPrefix("\(root): valid bare KHO root FDT: memory map at \(hex(layout.memoryMapPhys)),"
            + " subtrees: LUO at \(hex(layout.luoFDTPhys)), kexec-metadata at 0x"))
        #expect(rootResult.stdout.hasSuffix("; the memory it points at is not in the file, so nothing past the FDT was checked\n"))
        // A bare FDT cut short is named, not passed.
        let cut = try directory.write("cut.dtb", bytes: Array(try readBytes(root).dropLast(8)))
        let cutResult = CLI.run(["verify", cut])
        #expect(cutResult.status == 1)
        #expect(cutResult.stderrLines.count == 1)
        #expect(cutResult.stderr.hasPrefix("luo-serialize: \(cut): a kho-v3 KHO root FDT cut short: its header says"))
    }

    @Test func missingImageIsExitOne() throws {
        let result = CLI.run(["verify", "/nonexistent/image.kho"])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: /nonexistent/image.kho: open failed: No such file or directory"])
    }
}
