import FDT
import Foundation
import HandoverManifest
import HandoverModel
import KernelABI
import KHOImage
import TestSupport
import Testing

/// The golden fixtures in `Fixtures/`: every case re-encodes to the committed
/// image byte for byte, decodes to its input, and its FDTs agree with dtc,
/// fdtdump and python3-libfdt.
@Suite struct GoldenFixtureTests {
    static let root = Repository.root
    static let fixtures = Repository.fixtures
    /// One folder per generation: the pre-release `kho-v2` generation's
    /// eight cases, Linux v6.19's, v7.0's, v7.1's and v7.2/v7.3's.
    static let expectedGenerations = ["kho-v2-prerelease", "v6.19", "v7.0", "v7.1", "v7.3"]
    static let expectedCases = [
        "kho-v2-prerelease/01-empty", "kho-v2-prerelease/02-session-without-files",
        "kho-v2-prerelease/03-several-sessions", "kho-v2-prerelease/04-longest-names",
        "kho-v2-prerelease/05-flb-entries", "kho-v2-prerelease/06-multi-page-payload",
        "kho-v2-prerelease/07-max-sessions", "kho-v2-prerelease/08-max-files",
        "v6.19/01-empty", "v6.19/02-memfds-payload-no-flb",
        "v7.0/01-empty", "v7.0/02-memfds-payloads-flb",
        "v7.1/01-empty", "v7.1/02-sealed-sparse-memfds", "v7.1/03-flb-payload-metadata",
        "v7.3/01-empty", "v7.3/02-two-session-blocks", "v7.3/03-two-file-blocks-flb",
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var testDescription: String { name }
        var directory: URL { GoldenFixtureTests.fixtures.appendingPathComponent(name) }
        func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
        func bytes(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(file))) }
        func input() throws -> HandoverState { try HandoverManifest.load(path: path("input.json")) }
        /// The generation the case's folder is for.
        var generation: KernelGeneration {
            name.hasPrefix("v7.3/") ? .linux7_3 : name.hasPrefix("v7.1/") ? .linux7_1
                : name.hasPrefix("v7.0/") ? .linux7_0 : name.hasPrefix("v6.19/") ? .linux6_19 : .khoV2Prerelease
        }
    }

    /// The cases whose LUO state is an FDT (`luo.dtb`).
    static let cases = expectedCases.filter { !$0.hasPrefix("v7.3/") }.map { Case(name: $0) }
    /// The v7.2/v7.3 cases: the LUO blob is the 32-byte `luo_ser` (`luo.bin`).
    static let luoV5Cases = expectedCases.filter { $0.hasPrefix("v7.3/") }.map { Case(name: $0) }

    @Test func everyCaseIsPresentAndNothingElse() throws {
        let generations = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") && $0 != RealKernelCaptures.folder }.sorted()
        #expect(generations == Self.expectedGenerations)
        let found = try generations.flatMap { generation in
            try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent(generation).path)
                .filter { !$0.hasPrefix(".") }.map { "\(generation)/\($0)" }
        }.sorted()
        #expect(found == Self.expectedCases)
        for name in Self.expectedCases {
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent(name).path).sorted()
            #expect(files == (name.hasPrefix("v7.3/")
                ? ["image.kho", "index.dts", "input.json", "kho-root.dtb", "kho-root.dts", "luo.bin"]
                : ["image.kho", "index.dts", "input.json", "kho-root.dtb", "kho-root.dts", "luo.dtb", "luo.dts"]))
        }
    }

    @Test(arguments: luoV5Cases) func v73CasesReencodeAndDecode(_ fixture: Case) throws {
        let input = try fixture.input()
        #expect(input.generation == .linux7_3)
        let image = try KHOImageWriter().encode(input)
        #expect(try image.bytes == (try fixture.bytes("image.kho")))
        #expect(image.khoRootFDT == (try fixture.bytes("kho-root.dtb")))
        #expect(image.luoFDT == (try fixture.bytes("luo.bin")))
        // The file blocks written with streaming stores (as past 16 MiB of
        // chain blocks) are the same bytes.
        var streaming = KHOImageWriter()
        streaming.streamingThreshold = 0
        #expect(try streaming.encode(input).bytes == (try fixture.bytes("image.kho")))
        let decoded = try KHOImageReader.readImage(path: fixture.path("image.kho"))
        #expect(decoded.state == input.readBackFromImage)
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(try KHOImageWriter().encode(decoded.state).bytes == (try fixture.bytes("image.kho")))
        guard case let .luoSer(ser) = try KHOImageReader.read(path: fixture.path("luo.bin")) else {
            Issue.record("luo.bin is not read as a luo_ser"); return
        }
        #expect(ser == LUOSer(liveupdateNumber: input.liveupdateNumber, sessionsPhys: decoded.layout.sessionHeaderPhys,
                              flbsPhys: decoded.layout.flbHeaderPhys))
        guard case let .khoRootFDT(root, _) = try KHOImageReader.read(path: fixture.path("kho-root.dtb")) else {
            Issue.record("kho-root.dtb is not read as a KHO root FDT"); return
        }
        #expect(root.subtrees == [KHOv2RootFDT.Subtree(name: "LUO", phys: decoded.layout.luoFDTPhys),
                                  KHOv2RootFDT.Subtree(name: "kexec-metadata", phys: decoded.layout.kexecMetadataPhys)])
        for (blob, text) in [("kho-root.dtb", "kho-root.dts"), ("image.kho", "index.dts")] {
            let result = try Self.run("/usr/bin/dtc", ["-q", "-I", "dtb", "-O", "dts", fixture.path(blob)])
            #expect(result.output == String(decoding: try fixture.bytes(text), as: UTF8.self), "\(blob)")
        }
        let pyRoot = try Self.pylibfdt(fixture.path("kho-root.dtb"))
        #expect(pyRoot.nodes["/"]?["compatible"] == Self.hexString("kho-v4"))
        #expect(pyRoot.nodes["/LUO"]?["blob-size"] == Self.littleEndianHex(32))
        #expect(pyRoot.nodes["/LUO"]?["preserved-data"] == Self.littleEndianHex(decoded.layout.luoFDTPhys))
    }

    @Test(arguments: cases) func reencodesByteForByte(_ fixture: Case) throws {
        let image = try KHOImageWriter().encode(try fixture.input())
        let committed = try fixture.bytes("image.kho")
        #expect(try image.bytes.count == committed.count)
        #expect(try image.bytes == committed)
        #expect(image.khoRootFDT == (try fixture.bytes("kho-root.dtb")))
        #expect(image.luoFDT == (try fixture.bytes("luo.dtb")))
    }

    @Test(arguments: cases) func decodesToItsInput(_ fixture: Case) throws {
        let decoded = try KHOImageReader.readImage(path: fixture.path("image.kho"))
        #expect(try decoded.state == fixture.input().readBackFromImage)
        #expect(decoded.state.generation == fixture.generation)
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(decoded.khoRootFDT == (try fixture.bytes("kho-root.dtb")))
        #expect(decoded.luoFDT == (try fixture.bytes("luo.dtb")))
        // Decoding and encoding again gives the committed bytes.
        #expect(try KHOImageWriter().encode(decoded.state).bytes == (try fixture.bytes("image.kho")))
    }

    @Test(arguments: cases) func bareFDTsDecodeOnTheirOwn(_ fixture: Case) throws {
        let decoded = try KHOImageReader.readImage(path: fixture.path("image.kho"))
        guard case let .khoRootFDT(root, _) = try KHOImageReader.read(path: fixture.path("kho-root.dtb")) else {
            Issue.record("kho-root.dtb is not read as a KHO root FDT"); return
        }
        #expect(root.memoryMapPhys == decoded.layout.memoryMapPhys)
        if fixture.generation == .linux7_1 {
            // kexec-metadata is added at kho_init, LUO later: LUO comes first.
            #expect(root.subtrees == [KHOv2RootFDT.Subtree(name: "LUO", phys: decoded.layout.luoFDTPhys),
                                      KHOv2RootFDT.Subtree(name: "kexec-metadata", phys: decoded.layout.kexecMetadataPhys)])
        } else {
            #expect(root.subtrees == [KHOv2RootFDT.Subtree(name: "LUO", phys: decoded.layout.luoFDTPhys)])
        }
        guard case let .luoFDT(luo, _) = try KHOImageReader.read(path: fixture.path("luo.dtb")) else {
            Issue.record("luo.dtb is not read as a LUO FDT"); return
        }
        #expect(luo == LUOv1FDT.Contents(liveupdateNumber: decoded.state.liveupdateNumber,
                                         sessionHeaderPhys: decoded.layout.sessionHeaderPhys,
                                         flbHeaderPhys: decoded.layout.flbHeaderPhys))
    }

    @Test(arguments: cases) func dtcReadsEveryFDTAsCommitted(_ fixture: Case) throws {
        for (blob, text) in [("kho-root.dtb", "kho-root.dts"), ("luo.dtb", "luo.dts"), ("image.kho", "index.dts")] {
            let result = try Self.run("/usr/bin/dtc", ["-q", "-I", "dtb", "-O", "dts", fixture.path(blob)])
            #expect(result.status == 0, "dtc failed on \(blob): \(result.error)")
            #expect(result.output == String(decoding: try fixture.bytes(text), as: UTF8.self), "\(blob)")
        }
    }

    @Test(arguments: cases) func fdtdumpSeesTheKernelProperties(_ fixture: Case) throws {
        let decoded = try KHOImageReader.readImage(path: fixture.path("image.kho"))
        let root = try Self.run("/usr/bin/fdtdump", [fixture.path("kho-root.dtb")]).output
        #expect(root.contains("// totalsize:\t\t0x\(String(decoded.khoRootFDT.count, radix: 16)) (\(decoded.khoRootFDT.count))"))
        #expect(root.contains("compatible = \"\(fixture.generation.khoRoot.compatible)\";"))
        #expect(root.contains("preserved-memory-map = \(Self.fdtdumpCells(decoded.layout.memoryMapPhys));"))
        #expect(root.contains("LUO {"))
        // kho-v1 (v6.19, v7.0) calls the subtree's address `fdt`.
        #expect(root.contains("\(fixture.generation.khoRoot.subtreeProperty) = \(Self.fdtdumpCells(decoded.layout.luoFDTPhys));"))
        if fixture.generation == .linux7_1 {
            #expect(root.contains("kexec-metadata {"))
            #expect(root.contains("blob-size = \(Self.fdtdumpCells(UInt64(decoded.luoFDT.count)));"))
            #expect(root.contains("blob-size = \(Self.fdtdumpCells(73));"))
        }
        let luo = try Self.run("/usr/bin/fdtdump", [fixture.path("luo.dtb")]).output
        #expect(luo.contains("compatible = \"luo-v1\";"))
        #expect(luo.contains("liveupdate-number = \(Self.fdtdumpCells(decoded.state.liveupdateNumber));"))
        #expect(luo.contains("compatible = \"luo-session-v2\";"))
        #expect(luo.contains("luo-session-header = \(Self.fdtdumpCells(decoded.layout.sessionHeaderPhys));"))
        // v6.19 has no FLBs and no luo-flb node.
        let hasFLB = fixture.generation.luo.flbCompatible != nil
        #expect(luo.contains("compatible = \"luo-flb-v1\";") == hasFLB)
        #expect(luo.contains("luo-flb-header = \(Self.fdtdumpCells(decoded.layout.flbHeaderPhys));") == hasFLB)
    }

    @Test(arguments: cases) func pythonLibfdtReadsTheSameValues(_ fixture: Case) throws {
        let decoded = try KHOImageReader.readImage(path: fixture.path("image.kho"))
        let root = try Self.pylibfdt(fixture.path("kho-root.dtb"))
        #expect(root.totalsize == decoded.khoRootFDT.count)
        #expect(root.nodes["/"]?["compatible"] == Self.hexString(fixture.generation.khoRoot.compatible))
        #expect(root.nodes["/"]?["preserved-memory-map"] == Self.littleEndianHex(decoded.layout.memoryMapPhys))
        #expect(root.nodes["/LUO"]?[fixture.generation.khoRoot.subtreeProperty] == Self.littleEndianHex(decoded.layout.luoFDTPhys))
        if fixture.generation == .linux7_1 {
            #expect(root.nodes["/LUO"]?["blob-size"] == Self.littleEndianHex(UInt64(decoded.luoFDT.count)))
            #expect(root.nodes["/kexec-metadata"]?["preserved-data"] == Self.littleEndianHex(decoded.layout.kexecMetadataPhys))
            #expect(root.nodes["/kexec-metadata"]?["blob-size"] == Self.littleEndianHex(73))
            #expect(root.nodes.count == 3)
        } else {
            #expect(root.nodes.count == 2)
        }
        let luo = try Self.pylibfdt(fixture.path("luo.dtb"))
        #expect(luo.nodes["/"]?["compatible"] == Self.hexString("luo-v1"))
        #expect(luo.nodes["/"]?["liveupdate-number"] == Self.littleEndianHex(decoded.state.liveupdateNumber))
        #expect(luo.nodes["/luo-session"]?["compatible"] == Self.hexString("luo-session-v2"))
        #expect(luo.nodes["/luo-session"]?["luo-session-header"] == Self.littleEndianHex(decoded.layout.sessionHeaderPhys))
        if fixture.generation.luo.flbCompatible != nil {
            #expect(luo.nodes["/luo-flb"]?["compatible"] == Self.hexString("luo-flb-v1"))
            #expect(luo.nodes["/luo-flb"]?["luo-flb-header"] == Self.littleEndianHex(decoded.layout.flbHeaderPhys))
        } else {
            #expect(luo.nodes["/luo-flb"] == nil)
        }
        let index = try Self.pylibfdt(fixture.path("image.kho"))
        #expect(index.nodes.count == 1 + decoded.layout.regions.count)
        for region in decoded.layout.regions {
            let node = index.nodes["/region@\(String(region.phys, radix: 16))"]
            #expect(node?["reg"] == Self.bigEndianHex(region.phys) + Self.bigEndianHex(region.size))
            #expect(node?["offset"] == Self.bigEndianHex(region.fileOffset))
        }
    }

    // MARK: helpers

    struct PyFDT: Decodable {
        let totalsize: Int
        let version: Int
        let nodes: [String: [String: String]]
    }

    static func pylibfdt(_ path: String) throws -> PyFDT {
        let script = root.appendingPathComponent("tools/fdt_properties.py").path
        let result = try run("/usr/bin/python3", [script, path])
        #expect(result.status == 0, "pylibfdt failed: \(result.error)")
        return try JSONDecoder().decode(PyFDT.self, from: Data(result.output.utf8))
    }

    static func hexString(_ string: String) -> String {
        (Array(string.utf8) + [0]).map { String(format: "%02x", $0) }.joined()
    }

    static func littleEndianHex(_ value: UInt64) -> String {
        withUnsafeBytes(of: value.littleEndian) { $0.map { String(format: "%02x", $0) }.joined() }
    }

    static func bigEndianHex(_ value: UInt64) -> String {
        withUnsafeBytes(of: value.bigEndian) { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// How fdtdump prints 8 raw little-endian bytes: two big-endian cells.
    static func fdtdumpCells(_ value: UInt64) -> String {
        let bytes = withUnsafeBytes(of: value.littleEndian) { Array($0) }
        let cells = [bytes[0..<4], bytes[4..<8]].map { cell in
            "0x" + cell.map { String(format: "%02x", $0) }.joined()
        }
        return "<\(cells[0]) \(cells[1])>"
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let result = try ProcessRunner.run(executable, arguments)
        return (result.status, result.stdout, result.stderr)
    }
}
