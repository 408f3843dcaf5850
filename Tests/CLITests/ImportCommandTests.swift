import Foundation
import KHOImage
import TestSupport
import Testing

/// `luo-serialize import`, and decode / verify / retrieve reading captured
/// memory directly, on memory made from the bundled example's image.
@Suite struct ImportCommandTests {
    /// The example's image and raw memory holding its regions from `base`.
    static func capture(in directory: TemporaryDirectory, base: UInt64 = defaultBase) throws -> (image: String, raw: String) {
        let image = try encodeExample(in: directory)
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(ofImage: image, base: base, to: raw)
        return (image, raw)
    }

    /// A base just below the writer's first page, so the raw file is small.
    static let defaultBase: UInt64 = 0xff00_0000
    static let baseOption = ["--phys-base", "0xff000000"]

    @Test func importGivesTheImageBackAndSaysWhatItFound() throws {
        let directory = try TemporaryDirectory()
        let (image, raw) = try Self.capture(in: directory, base: 0xc000_0000)
        let output = directory.path("imported.kho")
        let result = CLI.run(["import", raw, "--phys-base", "0xc0000000", "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try readBytes(output) == (try readBytes(image)))
        let layout = try KHOImageReader.readImage(path: image).layout
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(output): imported from \(raw): kho-v3 KHO root FDT at 0x\(String(layout.khoRootFDTPhys, radix: 16)), LUO: luo-v1 FDT")
        #expect(lines.count == 4)
    }

    /// extract shares the input options: it reads captured memory too.
    @Test func extractReadsRawMemory() throws {
        let directory = try TemporaryDirectory()
        let (image, raw) = try Self.capture(in: directory)
        for kind in ["kho", "luo"] {
            let fromImage = directory.path("\(kind)-image.dtb"), fromMemory = directory.path("\(kind)-memory.dtb")
            #expect(CLI.run(["extract", image, "--fdt", kind, "-o", fromImage]).status == 0)
            let result = CLI.run(["extract", raw, "--source-format", "raw"] + Self.baseOption + ["--fdt", kind, "-o", fromMemory])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try readBytes(fromMemory) == readBytes(fromImage))
        }
    }

    @Test func decodeVerifyAndRetrieveReadRawMemoryAndELFCores() throws {
        let directory = try TemporaryDirectory()
        let (image, raw) = try Self.capture(in: directory)
        let core = directory.path("core.elf")
        // An ELF core of the same memory, one PT_LOAD per range.
        try directory.write("core.elf", bytes: SyntheticCapture.elf(try SyntheticCapture.regions(of: image)))
        let expected = CLI.run(["decode", image])
        #expect(expected.status == 0)
        for source in [[raw, "--source-format", "raw"] + Self.baseOption, [core]] {
            let decoded = CLI.run(["decode"] + source)
            #expect(decoded.status == 0, "\(decoded.stderr)")
            #expect(decoded.stdout == expected.stdout)
            let verified = CLI.run(["verify"] + source)
            #expect(verified.status == 0)
            #expect(verified.stdout.hasPrefix("\(source[0]): valid: a Linux 7.1 kernel accepts it (kho-v3+luo-v1+memfd-v2): "))
            let text = CLI.run(["decode"] + source + ["--format", "text"])
            #expect(text.stdout.hasPrefix("KHO image imported from \(source[0]) ("))
            let out = directory.path("retrieved-\(source.count)")
            let retrieved = CLI.run(["retrieve"] + source + ["--session", "vm0", "--token", "1", "-o", out])
            let fromImage = directory.path("retrieved-image")
            #expect(CLI.run(["retrieve", image, "--session", "vm0", "--token", "1", "-o", fromImage]).status == 0)
            #expect(retrieved.status == 0, "\(retrieved.stderr)")
            #expect(try readBytes(out) == (try readBytes(fromImage)))
        }
        // No temporary image is left behind in the temporary directory.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: KHOImageReader.defaultTemporaryDirectory)
            .filter { $0.hasPrefix(".luo-serialize-") }
        #expect(leftovers.isEmpty)
    }

    @Test func badSourcesGiveOneLineAndNoOutput() throws {
        let directory = try TemporaryDirectory()
        let (image, raw) = try Self.capture(in: directory)
        let output = directory.path("out.kho")
        func expectFailure(_ arguments: [String], _ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = CLI.run(arguments)
            #expect(result.status == 1, sourceLocation: sourceLocation)
            #expect(result.stderrLines == ["luo-serialize: " + line], sourceLocation: sourceLocation)
            #expect(!FileManager.default.fileExists(atPath: output), sourceLocation: sourceLocation)
        }
        let zeros = try directory.write("zeros.raw", bytes: [UInt8](repeating: 0, count: 16 * 4096))
        try expectFailure(["import", zeros, "--source-format", "raw", "-o", output],
                          "\(zeros): no KHO root FDT whose memory map walks cleanly in 16 pages; give its address with --kho-fdt")
        try expectFailure(["import", zeros, "-o", output],
                          "\(zeros): is neither an FDT (a KHO image, a debugfs FDT) nor an ELF core; for raw physical memory give --source-format raw (and --phys-base if it does not start at 0)")
        try expectFailure(["import", raw, "--phys-base", "0x10", "-o", output], "\(raw): --phys-base 0x10 is not page aligned")
        // Two handovers in one memory: both are listed, none is chosen.
        let second = directory.path("second.kho")
        #expect(CLI.run(["encode", Repository.exampleManifest, "--base", "0x120000000", "-o", second]).status == 0)
        let both = directory.path("both.raw")
        try SyntheticCapture.raw(SyntheticCapture.regions(of: image) + SyntheticCapture.regions(of: second), base: Self.defaultBase, to: both)
        let roots = [try KHOImageReader.readImage(path: image).layout.khoRootFDTPhys,
                     try KHOImageReader.readImage(path: second).layout.khoRootFDTPhys].map { "0x" + String($0, radix: 16) }
        try expectFailure(["import", both] + Self.baseOption + ["-o", output],
                          "\(both): 2 pages hold a usable KHO root FDT (\(roots.joined(separator: ", "))); choose one with --kho-fdt")
        // An ELF core whose segments overlap.
        let page = [UInt8](repeating: 7, count: 8192)
        let overlapping = try directory.write("overlap.elf", bytes: SyntheticCapture.elf([(0x1000, page), (0x2000, page)]))
        try expectFailure(["import", overlapping, "-o", output],
                          "\(overlapping): PT_LOAD segments overlap in physical memory: 0x1000-0x3000 and 0x2000-0x4000")
        // Memory cut short inside the handover: the first missing page the
        // walk needs (a map node or a preserved block) is named.
        let bytes = try readBytes(raw)
        let layout = try KHOImageReader.readImage(path: image).layout
        let cut = try directory.write("cut.raw", bytes: Array(bytes[0..<Int(layout.regions.last!.phys - Self.defaultBase + 4096)]))
        let result = CLI.run(["import", cut] + Self.baseOption + ["--kho-fdt", "0x" + String(layout.khoRootFDTPhys, radix: 16), "-o", output])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(cut): "))
        #expect(result.stderr.hasSuffix(" is not in the captured memory\n"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
