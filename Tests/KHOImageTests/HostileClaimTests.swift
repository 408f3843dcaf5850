import FDT
import Foundation
import HandoverModel
import KernelABI
import KHOImage
import Testing
import TestSupport

/// Input that claims huge sizes, counts or chains costs memory in proportion
/// to the bytes really present, and fails with the exact error: `luo-v5`
/// chains, the `kho-v4`/`kho-v3` root's blob sizes, `memfd-v2`'s folio
/// claims, and captured memory (raw files, ELF cores) given to `import`.
/// Each case is checked twice: the library's exact error, then the CLI's
/// exit status and peak RSS against the intact input's (measured as in
/// ``ResourceBoundTests``).
@Suite struct HostileClaimTests {
    /// A few MiB of slack for the error path; a buffer sized by any of the
    /// claims below would be a GiB or more (or fail to allocate at all).
    static let slackKiB = 16 * 1024
    /// A tiny input failing in seconds at worst on a loaded machine; a walk
    /// driven by a claim (2^40 entries) would not end in minutes.
    static let secondsBound = 20.0

    /// One hostile input: the error the library throws, then the CLI run.
    struct Case {
        var name: String
        var bytes: [UInt8]
        var error: KHOImageError
    }

    /// Sessions `s0`... of `filesEach` raw files, and a last session holding
    /// one payload of `payloadBytes` (room to build a chain in).
    static func state(_ generation: KernelGeneration, sessions: Int, filesEach: Int, payloadBytes: Int = 0) -> HandoverState {
        var records = (0..<sessions).map { index in
            SessionRecord(name: "s\(index)", files: (0..<filesEach).map {
                FileRecord(token: UInt64($0 + 1), compatible: "raw-v1", content: .data(UInt64(index)))
            })
        }
        if payloadBytes > 0 {
            records.append(SessionRecord(name: "room", files: [
                FileRecord(token: 1, compatible: "blob-v1", content: .payload([UInt8](repeating: 0, count: payloadBytes))),
            ]))
        }
        return HandoverState(generation: generation, liveupdateNumber: 1, sessions: records)
    }

    /// Writes every case, checks the library's error on its path, runs
    /// `luo-serialize ARGUMENTS(path)` and bounds its peak RSS by the
    /// intact input's.
    static func check(_ cases: [Case], intact: [UInt8], directory: TemporaryDirectory,
                      decode: (String) throws -> Void, cli: (String) -> [String]) throws {
        let intactPath = directory.path("intact")
        try Data(intact).write(to: URL(fileURLWithPath: intactPath))
        #expect(throws: Never.self) { try decode(intactPath) }
        let baseline = try ResourceBoundTests.measure(cli(intactPath))
        #expect(baseline.status == 0)
        for hostile in cases {
            let path = directory.path(hostile.name)
            try Data(hostile.bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: hostile.error, "\(hostile.name)") { try decode(path) }
            let result = try ResourceBoundTests.measure(cli(path))
            #expect(result.status == 1, "\(hostile.name)")
            #expect(result.peakKiB < baseline.peakKiB + slackKiB,
                    "\(hostile.name): \(result.peakKiB) KiB against \(baseline.peakKiB) KiB for the intact input")
            #expect(result.seconds < secondsBound, "\(hostile.name) took \(result.seconds) s")
        }
    }

    // MARK: luo-v5 chains

    @Test func luoV5ChainsClaimingHugeCountsLoopsOrTooManyBlocks() throws {
        // 52 sessions (two session blocks), s0 with 64 files (two file
        // blocks), and a 160 KiB payload to lay a chain of 10,001 headers in.
        let generation = KernelGeneration.linux7_3
        let good = try CraftedImage(Self.state(generation, sessions: 52, filesEach: 0, payloadBytes: 10_001 * 16))
        let withFiles = try CraftedImage(Self.state(generation, sessions: 1, filesEach: 64))
        let sessionBlocks = good.layout.sessionBlocks
        let fileBlocks = withFiles.layout.sessions[0].fileBlocks
        var cases: [Case] = []

        var image = good
        image.put(u64: 1 << 40, at: sessionBlocks[0] + 8)
        cases.append(Case(name: "session-block-count", bytes: image.bytes,
                          error: .blockChain(.sessions, .countPastBlock(block: sessionBlocks[0], index: 0, count: 1 << 40, maximum: 51))))
        image = withFiles
        image.put(u64: 1 << 40, at: fileBlocks[1] + 8)
        cases.append(Case(name: "file-block-count", bytes: image.bytes,
                          error: .blockChain(.files(session: "s0"), .countPastBlock(block: fileBlocks[1], index: 1, count: 1 << 40, maximum: 63))))
        image = withFiles
        image.put(u64: 1 << 40, at: withFiles.layout.sessions[0].entryPhys + 72)
        cases.append(Case(name: "file-set-count", bytes: image.bytes, error: .structure(what: "session \"s0\"", error: .invalidValue(
            field: "file_set_ser.count", value: 1 << 40,
            reason: "its file blocks hold 64 entries (the kernel refuses the session: file count mismatch)"))))
        image = good
        image.put(u64: sessionBlocks[0], at: sessionBlocks[1])
        cases.append(Case(name: "session-chain-loop", bytes: image.bytes,
                          error: .blockChain(.sessions, .cyclic(head: sessionBlocks[0], repeated: sessionBlocks[0]))))
        image = withFiles
        image.put(u64: fileBlocks[1], at: fileBlocks[1])
        cases.append(Case(name: "file-chain-self-loop", bytes: image.bytes,
                          error: .blockChain(.files(session: "s0"), .cyclic(head: fileBlocks[0], repeated: fileBlocks[1]))))

        // 10,001 block headers, 16 bytes apart in the payload, each with one
        // entry: a chain one block longer than KHO_MAX_BLOCKS, in 160 KiB.
        image = good
        let room = good.layout.sessions[52].fileData[0]
        for index in 0..<10_001 {
            let phys = room + UInt64(index * 16)
            image.put(le64(index == 10_000 ? 0 : phys + 16) + le64(1), at: phys)
        }
        image.put(u64: room, at: good.layout.luoFDTPhys + UInt64(LUOSer.sessionsOffset))
        cases.append(Case(name: "chain-of-10001-blocks", bytes: image.bytes,
                          error: .blockChain(.sessions, .tooLong(head: room, maximum: 10_000))))

        let directory = try TemporaryDirectory()
        try Self.check(cases.filter { $0.name.hasPrefix("session") || $0.name.hasPrefix("chain") }, intact: good.bytes,
                       directory: directory, decode: { _ = try KHOImageReader.readImage(path: $0) }, cli: { ["verify", $0] })
        try Self.check(cases.filter { $0.name.hasPrefix("file") }, intact: withFiles.bytes,
                       directory: directory, decode: { _ = try KHOImageReader.readImage(path: $0) }, cli: { ["verify", $0] })
    }

    // MARK: the root FDT's blob sizes

    /// An FDT whose header claims more than the page (or region) it is read
    /// from: refused before anything past the header is read.
    static func truncatedFDT(_ what: String, at phys: UInt64, fileOffset: Int) -> KHOImageError {
        .structure(what: "\(what) at \(hex(phys))", error: .fdt(.libfdt(
            .truncated, function: "fdt_check_header", location: "\(what) at \(hex(phys)), byte offset \(fileOffset)")))
    }

    @Test func rootFDTsClaimingHugeBlobSizes() throws {
        for generation in [KernelGeneration.linux7_3, .linux7_1] {
            let state = Self.state(generation, sessions: 2, filesEach: 2)
            let encoded = try KHOImageWriter().encode(state)
            let good = try CraftedImage(state)
            let root = good.layout.khoRootFDTPhys
            var cases: [Case] = []

            var image = good
            try image.replaceU64(inFDTAt: root, path: "/LUO", "blob-size", with: 1 << 62)
            let luoReason = generation.luo.isFDT
                ? "the LUO FDT there is \(encoded.luoFDT.count) bytes (its totalsize, which the kernel records)"
                : "a luo-v5 luo_ser is 32 bytes"
            cases.append(Case(name: "luo-blob-size-\(generation.manifestName)", bytes: image.bytes, error: .structure(
                what: "KHO root FDT subtree LUO", error: .invalidValue(field: "blob-size", value: 1 << 62, reason: luoReason))))

            image = good
            try image.replaceU64(inFDTAt: root, path: "/kexec-metadata", "blob-size", with: 1 << 62)
            let metadata = good.layout.kexecMetadataPhys
            cases.append(Case(name: "kexec-metadata-blob-size-\(generation.manifestName)", bytes: image.bytes, error: .structure(
                what: "kexec-metadata at \(hex(metadata))", error: .invalidValue(
                    field: "kexec-metadata blob-size", value: 1 << 62,
                    reason: "runs past the preserved block at \(hex(metadata)) (4096 bytes)"))))

            // The root FDT's own header: totalsize 4 GiB - 16.
            image = good
            image.put([0xff, 0xff, 0xff, 0xf0], at: root + 4)
            cases.append(Case(name: "root-totalsize-\(generation.manifestName)", bytes: image.bytes,
                              error: Self.truncatedFDT("KHO root FDT", at: root, fileOffset: good.offset(root))))

            if generation.luo.isFDT {
                image = good
                image.put([0xff, 0xff, 0xff, 0xf0], at: good.layout.luoFDTPhys + 4)
                let luo = good.layout.luoFDTPhys
                cases.append(Case(name: "luo-fdt-totalsize-\(generation.manifestName)", bytes: image.bytes,
                                  error: Self.truncatedFDT("LUO FDT", at: luo, fileOffset: good.offset(luo))))
            }
            try Self.check(cases, intact: good.bytes, directory: try TemporaryDirectory(),
                           decode: { _ = try KHOImageReader.readImage(path: $0) }, cli: { ["verify", $0] })
        }
    }

    // MARK: memfd-v2

    @Test func memfdV2ClaimingHugeFolioCountsAndSizes() throws {
        let contents = (0..<(3 * 4096 + 5)).map { UInt8(truncatingIfNeeded: $0) }
        let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "m", files: [FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: contents)))]),
        ])
        let good = try CraftedImage(state)
        let ser = good.layout.sessions[0].fileData[0]
        let pages = good.layout.regions.reduce(0) { $0 + Int($1.size / 4096) }
        var cases: [Case] = []
        func memfd(_ problem: String) -> KHOImageError { .memfd(session: "m", token: 1, problem: problem) }

        var image = good
        image.put(u64: 1 << 40, at: ser + 8)
        cases.append(Case(name: "memfd-size", bytes: image.bytes,
                          error: memfd("size \(1 << 40) is larger than the 16384 bytes of its preserved folios")))
        image = good
        image.put(u64: 1 << 40, at: ser + 24)
        cases.append(Case(name: "memfd-folio-count", bytes: image.bytes,
                          error: memfd("nr_folios \(1 << 40) does not fit the folio array's 1 pages")))
        image = good
        image.put(le32(.max), at: ser + 40)
        cases.append(Case(name: "memfd-folio-array-pages", bytes: image.bytes,
                          error: memfd("the folio array claims \(UInt32.max) pages; the image holds \(pages)")))
        image = good
        image.put(u64: 1 << 40, at: ser + 8)
        image.put(u64: 1 << 40, at: ser + 24)
        image.put(le32(.max), at: ser + 40)
        cases.append(Case(name: "memfd-all-three", bytes: image.bytes,
                          error: memfd("the folio array claims \(UInt32.max) pages; the image holds \(pages)")))

        // A memfd the handler cannot retrieve is a warning (the file is kept
        // as raw data), and verify's exit 1.
        try Self.check(cases, intact: good.bytes, directory: try TemporaryDirectory(),
                       decode: { _ = try memfdWarningError(try KHOImageReader.readImage(path: $0)) }, cli: { ["verify", $0] })
    }

    // MARK: import sources

    /// Raw memory whose radix tree marks a whole leaf (32,768 blocks) in a
    /// capture of a few hundred pages, and whose root FDT claims 4 GiB.
    @Test func rawMemoryClaimingMoreThanItHolds() throws {
        let directory = try TemporaryDirectory()
        let good = try CraftedImage(Self.state(.linux7_3, sessions: 2, filesEach: 2))
        let base = KHOImageWriter.defaultBase
        let root = good.layout.khoRootFDTPhys
        func capture(_ image: CraftedImage) throws -> [UInt8] {
            let imagePath = directory.path("image.kho")
            try Data(image.bytes).write(to: URL(fileURLWithPath: imagePath))
            let rawPath = directory.path("image.raw")
            try SyntheticCapture.raw(ofImage: imagePath, base: base, to: rawPath)
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: rawPath)))
        }
        let intact = try capture(good)
        var cases: [Case] = []

        var image = good
        image.put([UInt8](repeating: 0xff, count: 4096), at: good.leaf(for: root, order: 0).page)
        cases.append(Case(name: "radix-leaf-all-set", bytes: try capture(image), error: .structure(
            what: "preserved-memory map", error: .radixTree(
                phys: good.layout.memoryMapPhys, problem: "lists more blocks than the memory has pages (\(intact.count / 4096))"))))
        image = good
        image.put([0xff, 0xff, 0xff, 0xf0], at: root + 4)
        cases.append(Case(name: "root-totalsize", bytes: try capture(image), error: Self.truncatedFDT("KHO root FDT", at: root, fileOffset: 0)))

        try Self.check(cases, intact: intact, directory: directory, decode: {
            try KHOImporter.importImage(from: try RawMemoryFile(path: $0, physBase: base), khoFDTPhys: root, to: $0 + ".kho")
        }, cli: { ["import", $0, "--source-format", "raw", "--phys-base", hex(base), "--kho-fdt", hex(root), "-o", $0 + ".kho"] })
    }

    /// ELF cores whose headers claim 2^32 - 1 program headers or a segment
    /// of 2^50 bytes.
    @Test func elfCoresClaimingHugeSegmentCountsAndSizes() throws {
        let directory = try TemporaryDirectory()
        let imagePath = directory.path("image.kho")
        try KHOImageWriter().encode(Self.state(.linux7_3, sessions: 2, filesEach: 2)).write(to: imagePath)
        let segments = try SyntheticCapture.regions(of: imagePath)
        let intact = SyntheticCapture.elf(segments)
        func put(_ bytes: [UInt8], at offset: Int, in core: inout [UInt8]) { core.replaceSubrange(offset..<(offset + bytes.count), with: bytes) }
        var cases: [Case] = []

        // PN_XNUM: the count is section header 0's sh_info, 2^32 - 1.
        var core = intact
        put([0xff, 0xff], at: 56, in: &core)
        put(le64(UInt64(core.count)), at: 40, in: &core)
        core += [UInt8](repeating: 0, count: 44) + le32(.max) + [UInt8](repeating: 0, count: 16)
        cases.append(Case(name: "phnum", bytes: core, error: .badSource(
            path: directory.path("phnum"), problem: "its \(UInt32.max) program headers at offset 64 run past the end of the file")))
        core = intact
        put(le64(1 << 50), at: 64 + 56 + 32, in: &core)
        let offset = intact[(64 + 56 + 8)..<(64 + 56 + 16)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        cases.append(Case(name: "filesz", bytes: core, error: .badSource(
            path: directory.path("filesz"),
            problem: "PT_LOAD segment 1 (file offset \(offset), \(1 << 50) bytes) runs past the end of the file (\(intact.count) bytes)")))

        try Self.check(cases, intact: intact, directory: directory, decode: {
            try KHOImporter.importImage(from: try ELFCoreFile(path: $0), to: $0 + ".kho")
        }, cli: { ["import", $0, "--source-format", "elf", "-o", $0 + ".kho"] })
    }
}
