import FDT
import Foundation
import HandoverModel
import KHOImage
import TestSupport
import Testing

/// `KHOImporter` and the three `PhysicalMemory` sources, on memory made
/// from images the writer laid out: importing that memory must give the
/// writer's image back byte for byte (the image holds exactly the preserved
/// blocks, the map's nodes and the root page, which is what the writer
/// allocates), and every bad source must fail with its exact error and
/// leave no output.
@Suite struct ImportTests {
    static let state = HandoverState(liveupdateNumber: 3, sessions: [
        SessionRecord(name: "vm0", files: [
            FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(MemfdContents(size: 12288, position: 5,
                contents: (0..<12288).map { UInt8(truncatingIfNeeded: $0 &* 7) }))),
            FileRecord(token: 2, compatible: "blob-v1", content: .payload(Array("payload".utf8))),
        ]),
        SessionRecord(name: "empty"),
    ], flbs: [FLBRecord(name: "iommu", data: 0x1234, count: 1)])

    /// An image of ``state`` from `base`, written to `directory`.
    static func image(in directory: TemporaryDirectory, base: UInt64 = KHOImageWriter.defaultBase, name: String = "image.kho") throws -> String {
        let path = directory.path(name)
        try KHOImageWriter(base: base).encode(state).write(to: path)
        return path
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test(arguments: [UInt64(0), 0xf000_0000])
    func rawMemoryImportsToTheWritersImage(base: UInt64) throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory)
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(try SyntheticCapture.regions(of: image), base: base, to: raw)
        let output = directory.path("imported.kho")
        let plan = try KHOImporter.importImage(from: try RawMemoryFile(path: raw, physBase: base), to: output)
        #expect(try Self.bytes(output) == (try Self.bytes(image)))
        let decoded = try KHOImageReader.readImage(path: image)
        #expect(plan.khoFDTPhys == decoded.layout.khoRootFDTPhys)
        #expect(plan.memoryMapPhys == decoded.layout.memoryMapPhys)
        #expect(plan.rootCompatible == "kho-v4")
        #expect(plan.luo == "luo-v5 packed luo_ser")
        #expect(plan.preservedBlocks == decoded.layout.preservedBlocks)
        #expect(plan.subtrees.map(\.name) == ["LUO", "kexec-metadata"])
    }

    @Test func elfCoreImportsToTheWritersImage() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory)
        // Segments split at page boundaries and listed out of order: the
        // importer sorts them and reads across touching ones.
        var segments: [(phys: UInt64, bytes: [UInt8])] = []
        for region in try SyntheticCapture.regions(of: image) {
            var offset = 0
            while offset < region.bytes.count {
                let length = min(3 * 4096, region.bytes.count - offset)
                segments.append((region.phys + UInt64(offset), Array(region.bytes[offset..<(offset + length)])))
                offset += length
            }
        }
        let core = directory.path("core.elf")
        try Data(SyntheticCapture.elf(segments.reversed())).write(to: URL(fileURLWithPath: core))
        let output = directory.path("imported.kho")
        try KHOImporter.importImage(from: try ELFCoreFile(path: core), to: output)
        #expect(try Self.bytes(output) == (try Self.bytes(image)))
    }

    @Test func imageMemoryImportsToItself() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory, base: 0x2000_0000)
        let memory = try KHOImageMemory(path: image)
        let output = directory.path("imported.kho")
        try KHOImporter.importImage(from: memory, khoFDTPhys: memory.khoFDTPhys, to: output)
        #expect(try Self.bytes(output) == (try Self.bytes(image)))
    }

    @Test func readerDecodesCapturedMemoryDirectly() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory)
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(try SyntheticCapture.regions(of: image), base: 0, to: raw)
        guard case let .image(decoded) = try KHOImageReader.read(memory: try RawMemoryFile(path: raw)) else {
            Issue.record("not decoded as an image")
            return
        }
        #expect(decoded.state == Self.state.readBackFromImage)
        #expect(decoded.layout == (try KHOImageReader.readImage(path: image)).layout)
    }

    @Test func twoHandoversInOneMemoryAreNamedAndEitherCanBeChosen() throws {
        let directory = try TemporaryDirectory()
        let first = try Self.image(in: directory, base: 0x1000_0000, name: "a.kho")
        let second = try Self.image(in: directory, base: 0x3000_0000, name: "b.kho")
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(try SyntheticCapture.regions(of: first) + SyntheticCapture.regions(of: second), base: 0, to: raw)
        let memory = try RawMemoryFile(path: raw)
        let roots = [try KHOImageReader.readImage(path: first).layout.khoRootFDTPhys,
                     try KHOImageReader.readImage(path: second).layout.khoRootFDTPhys]
        #expect(throws: KHOImageError.severalKHORoots(candidates: roots)) { try KHOImporter.plan(memory) }
        let output = directory.path("imported.kho")
        try KHOImporter.importImage(from: memory, khoFDTPhys: roots[1], to: output)
        #expect(try Self.bytes(output) == (try Self.bytes(second)))
    }

    @Test func memoryWithoutARootSaysSoAndWritesNothing() throws {
        let directory = try TemporaryDirectory()
        let raw = directory.path("zeros.raw")
        try SyntheticCapture.raw([], base: 0, size: 64 * 4096, to: raw)
        let output = directory.path("out.kho")
        #expect(throws: KHOImageError.noKHORoot(pagesSearched: 64, rejected: [])) {
            try KHOImporter.importImage(from: try RawMemoryFile(path: raw), to: output)
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(directory.entries == ["zeros.raw"])
    }

    @Test func aMapPointingOutsideTheSourceIsNamed() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory)
        let decoded = try KHOImageReader.readImage(path: image)
        // An ELF core of the image's memory with the memfd's first folio cut out.
        let missing = try #require(decoded.layout.preservedBlocks.last { $0.order == 0 })
        var segments: [(phys: UInt64, bytes: [UInt8])] = []
        for region in try SyntheticCapture.regions(of: image) {
            let end = region.phys + UInt64(region.bytes.count)
            guard region.phys <= missing.phys, missing.phys < end else { segments.append(region); continue }
            let cut = Int(missing.phys - region.phys)
            if cut > 0 { segments.append((region.phys, Array(region.bytes[..<cut]))) }
            let resume = cut + Int(missing.size)
            if resume < region.bytes.count { segments.append((missing.phys + missing.size, Array(region.bytes[resume...]))) }
        }
        let core = directory.path("cut.elf")
        try Data(SyntheticCapture.elf(segments)).write(to: URL(fileURLWithPath: core))
        let output = directory.path("out.kho")
        #expect(throws: KHOImageError.preservedBlock(phys: missing.phys, order: 0, problem: "is not in the captured memory")) {
            try KHOImporter.importImage(from: try ELFCoreFile(path: core), khoFDTPhys: decoded.layout.khoRootFDTPhys, to: output)
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func aRootOutsideTheSourceIsNamed() throws {
        let directory = try TemporaryDirectory()
        let raw = directory.path("small.raw")
        try SyntheticCapture.raw([], base: 0, size: 8192, to: raw)
        #expect(throws: KHOImageError.outsideSource(what: "KHO root FDT", phys: 0x10000, length: 40)) {
            try KHOImporter.plan(try RawMemoryFile(path: raw), khoFDTPhys: 0x10000)
        }
    }

    @Test func elfCoresThatCannotBeTrustedAreRefused() throws {
        let directory = try TemporaryDirectory()
        func core(_ bytes: [UInt8]) throws -> String {
            let path = directory.path("core-\(UUID().uuidString).elf")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let page = [UInt8](repeating: 1, count: 8192)
        let overlapping = try core(SyntheticCapture.elf([(0x1000, page), (0x2000, page)]))
        #expect(throws: KHOImageError.badSource(path: overlapping, problem:
            "PT_LOAD segments overlap in physical memory: 0x1000-0x3000 and 0x2000-0x4000")) { try ELFCoreFile(path: overlapping) }
        let notCore = try core(SyntheticCapture.elf([(0x1000, page)], type: 2))
        #expect(throws: KHOImageError.badSource(path: notCore, problem: "is an ELF file of type 2, not a core (ET_CORE, 4)")) {
            try ELFCoreFile(path: notCore)
        }
        let thirtyTwo = try core(SyntheticCapture.elf([(0x1000, page)], elfClass: 1))
        #expect(throws: KHOImageError.badSource(path: thirtyTwo, problem: "is not a 64-bit little-endian ELF file (class 1, data 1)")) {
            try ELFCoreFile(path: thirtyTwo)
        }
        var truncatedBytes = SyntheticCapture.elf([(0x1000, page)])
        truncatedBytes.removeLast(100)
        let truncated = try core(truncatedBytes)
        #expect(throws: KHOImageError.badSource(path: truncated, problem:
            "PT_LOAD segment 1 (file offset 4096, 8192 bytes) runs past the end of the file (12188 bytes)")) {
            try ELFCoreFile(path: truncated)
        }
        let tiny = try core(Array("\u{7f}ELF".utf8))
        #expect(throws: KHOImageError.badSource(path: tiny, problem: "is 4 bytes, too short for an ELF header")) {
            try ELFCoreFile(path: tiny)
        }
    }

    @Test func rawMemoryNeedsAPageAlignedBase() throws {
        let directory = try TemporaryDirectory()
        let raw = directory.path("m.raw")
        try SyntheticCapture.raw([], base: 0, size: 4096, to: raw)
        #expect(throws: KHOImageError.badSource(path: raw, problem: "--phys-base 0x800 is not page aligned")) {
            try RawMemoryFile(path: raw, physBase: 0x800)
        }
    }

    @Test func readsAcrossTouchingSegmentsButNotAcrossGaps() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("c.elf")
        let a = [UInt8](repeating: 0xaa, count: 4096), b = [UInt8](repeating: 0xbb, count: 4096)
        try Data(SyntheticCapture.elf([(0x2000, b), (0x1000, a), (0x5000, a)])).write(to: URL(fileURLWithPath: path))
        let memory = try ELFCoreFile(path: path)
        #expect(memory.ranges == [PhysicalRange(phys: 0x1000, size: 0x2000), PhysicalRange(phys: 0x5000, size: 0x1000)])
        #expect(try memory.bytes(0x1ffe, count: 4, what: "x") == [0xaa, 0xaa, 0xbb, 0xbb])
        #expect(throws: KHOImageError.outsideSource(what: "x", phys: 0x2ffe, length: 4)) {
            try memory.bytes(0x2ffe, count: 4, what: "x")
        }
        #expect(memory.contains(0x1000, length: 0x2000))
        #expect(!memory.contains(0x1000, length: 0x2001))
    }

    @Test func aDebugfsPrefixOfTheRootIsNamed() throws {
        let root = try KHOImageWriter().encode(Self.state).khoRootFDT
        let prefix = ReadOnlyBytes(copying: root.prefix(root.count - 52))
        #expect(throws: KHOImageError.truncatedFDT(compatible: "kho-v4", totalSize: root.count, available: root.count - 52)) {
            try KHOImageReader.decode(prefix)
        }
    }
}
