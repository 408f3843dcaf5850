import FDT
import Foundation
import HandoverModel
import KHOImage
import KernelABI
import TestSupport
import Testing

/// The `kho-v1` generation of Linux v7.0 and v6.19: the chunk list of
/// per-order bitmaps as `kho_mem_serialize` lays it out, the `fdt` subtree
/// property, v6.19 without FLBs, every reader error of the chunk list, and
/// import of captured kho-v1 memory.
@Suite struct KHOv1GenerationTests {
    static func state(_ generation: KernelGeneration) -> HandoverState {
        HandoverState(generation: generation, liveupdateNumber: 7, sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: "memfd-v1",
                           content: .memfd(MemfdContents(contents: (0..<9000).map { UInt8(truncatingIfNeeded: $0 &* 3) }, position: 4))),
                FileRecord(token: 2, compatible: "blob-v1", content: .payload([UInt8](repeating: 0x5a, count: 3 * 4096))),
                FileRecord(token: 3, compatible: "raw-v1", content: .data(0x1234)),
            ]),
            SessionRecord(name: "idle"),
        ], flbs: generation.luo.flbCompatible == nil ? [] : [FLBRecord(name: "iommu-v1", data: 9, count: 1)])
    }

    static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << UInt64($1 * 8) }
    }

    /// The image's bytes at `phys` (the writer's own memory).
    static func page(_ image: EncodedImage, _ phys: UInt64) throws -> [UInt8] {
        let region = image.layout.regions.first { $0.phys <= phys && phys < $0.end }!
        let offset = Int(region.fileOffset + (phys - region.phys))
        return Array(try image.bytes[offset..<(offset + 4096)])
    }

    @Test(arguments: [KernelGeneration.linux7_0, .linux6_19])
    func roundTripsByteForByte(_ generation: KernelGeneration) throws {
        let state = Self.state(generation)
        let image = try KHOImageWriter().encode(state)
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == state.readBackFromImage)
        #expect(decoded.state.generation == generation)
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(try KHOImageWriter().encode(decoded.state).bytes == image.bytes)
        let root = String(decoding: image.khoRootFDT, as: UTF8.self)
        #expect(root.contains("kho-v1") && !root.contains("preserved-data") && !root.contains("blob-size"))
        #expect(String(decoding: image.luoFDT, as: UTF8.self).contains("luo-flb") == (generation == .linux7_0))
        #expect(image.layout.flbHeaderPhys == 0 || generation == .linux7_0)
    }

    /// `kho_init` allocates the root FDT page and then, as it is preserved,
    /// the order-0 bitmap; `kho_finalize` allocates one chunk per order, in
    /// ascending order, after everything else; neither is preserved.
    @Test func chunkListLayout() throws {
        let image = try KHOImageWriter().encode(Self.state(.linux7_0))
        let layout = image.layout
        let base = KHOImageWriter.defaultBase
        #expect(layout.khoRootFDTPhys == base)
        var chunk = layout.memoryMapPhys
        var orders: [UInt32] = []
        var bitmaps: [UInt64] = []
        var chunks: [UInt64] = []
        while chunk != 0 {
            let bytes = try Self.page(image, chunk)
            let header = Self.u64(bytes, 8)
            orders.append(UInt32(truncatingIfNeeded: header))
            #expect(header >> 32 == 1, "one bitmap per order in a small image")
            bitmaps.append(Self.u64(bytes, 24))
            chunks.append(chunk)
            chunk = Self.u64(bytes, 0)
        }
        // Root FDT, LUO FDT, FLB, memfd pages: 0; file array: 1; payload of
        // 3 pages: 2; session block: 4.
        #expect(orders == [0, 1, 2, 4])
        #expect(bitmaps[0] == base + 0x1000, "the order-0 bitmap right after the root FDT page")
        #expect(chunks == chunks.sorted() && chunks.allSatisfy { $0 > bitmaps.max()! })
        let preserved = Set(layout.preservedBlocks.map(\.phys))
        #expect((chunks + bitmaps).allSatisfy { !preserved.contains($0) })
        // Order 0 bitmap: phys_start = (pfn / 32768) * 32768 pages.
        #expect(Self.u64(try Self.page(image, chunks[0]), 16) == base)
    }

    // MARK: reader errors

    static func broken(_ patch: (inout [UInt8], (UInt64) -> Int, HandoverLayout) -> Void) throws -> KHOImageError? {
        let image = try KHOImageWriter().encode(Self.state(.linux7_0))
        var bytes = try image.bytes
        let layout = image.layout
        let offset: (UInt64) -> Int = { phys in
            let region = layout.regions.first { $0.phys <= phys && phys < $0.end }!
            return Int(region.fileOffset + (phys - region.phys))
        }
        patch(&bytes, offset, layout)
        do {
            _ = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: bytes))
            return nil
        } catch {
            return error
        }
    }

    static func put32(_ value: UInt32, _ bytes: inout [UInt8], _ at: Int) {
        for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> UInt32(i * 8)) }
    }

    static func put64(_ value: UInt64, _ bytes: inout [UInt8], _ at: Int) {
        for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> UInt64(i * 8)) }
    }

    @Test func aCycleInTheChunkList() throws {
        var first: UInt64 = 0
        let error = try Self.broken { bytes, offset, layout in
            first = layout.memoryMapPhys
            // The last chunk points back at the first.
            var chunk = first
            while Self.u64(bytes, offset(chunk)) != 0 { chunk = Self.u64(bytes, offset(chunk)) }
            Self.put64(first, &bytes, offset(chunk))
        }
        #expect(error == .structure(what: "preserved-memory map",
                                    error: .memoryChunk(phys: first, problem: "the list comes back to this chunk (a cycle)")))
    }

    @Test func numElmsPast255() throws {
        var first: UInt64 = 0
        let error = try Self.broken { bytes, offset, layout in
            first = layout.memoryMapPhys
            Self.put32(256, &bytes, offset(first) + 12)
        }
        #expect(error == .structure(what: "preserved-memory map", error: .memoryChunk(
            phys: first, problem: "num_elms is 256, more than the 255 entries a chunk holds")))
    }

    @Test func aBitmapOutsideTheImage() throws {
        var first: UInt64 = 0
        let error = try Self.broken { bytes, offset, layout in
            first = layout.memoryMapPhys
            Self.put64(0x7000_0000_0000, &bytes, offset(first) + 24)
        }
        #expect(error == .structure(what: "preserved-memory map", error: .memoryChunk(
            phys: first, problem: "bitmap 0 at 0x700000000000 is not inside the image")))
    }

    @Test func anOrderAboveTheKernelsMaximum() throws {
        var first: UInt64 = 0
        let error = try Self.broken { bytes, offset, layout in
            first = layout.memoryMapPhys
            Self.put32(11, &bytes, offset(first) + 8)
        }
        #expect(error == .structure(what: "preserved-memory map", error: .memoryChunk(
            phys: first, problem: "order 11 is above the kernel's maximum (MAX_PAGE_ORDER 10)")))
    }

    @Test func aMisalignedPhysStart() throws {
        var first: UInt64 = 0
        let error = try Self.broken { bytes, offset, layout in
            first = layout.memoryMapPhys
            Self.put64(KHOImageWriter.defaultBase + 0x1000, &bytes, offset(first) + 16)
        }
        #expect(error == .structure(what: "preserved-memory map", error: .memoryChunk(
            phys: first, problem: "bitmap 0 starts at 0x100001000, not a multiple of the 0x8000000 bytes an order-0 bitmap covers below 2^52")))
    }

    @Test func aChunkOutsideTheImage() throws {
        let error = try Self.broken { bytes, offset, layout in
            Self.put64(0x7000_0000_0000, &bytes, offset(layout.memoryMapPhys))
        }
        #expect(error == .structure(what: "preserved-memory map", error: .memoryChunk(
            phys: 0x7000_0000_0000, problem: "the chunk page is not inside the image")))
    }

    @Test func aMapThatWasNeverFinalized() throws {
        let error = try Self.broken { bytes, offset, layout in
            // kho_out_fdt_setup writes 0; only kho_finalize sets the map.
            let root = Array(bytes[offset(layout.khoRootFDTPhys)..<(offset(layout.khoRootFDTPhys) + 4096)])
            let needle = (0..<8).map { UInt8(truncatingIfNeeded: layout.memoryMapPhys >> UInt64($0 * 8)) }
            let at = (0...(4096 - 8)).first { Array(root[$0..<($0 + 8)]) == needle }!
            Self.put64(0, &bytes, offset(layout.khoRootFDTPhys) + at)
        }
        #expect(error == .structure(what: "KHO root FDT", error: .invalidValue(
            field: "preserved-memory-map", value: 0,
            reason: "the kho-v1 memory map was never finalized (it is 0 until reboot() calls kho_finalize); the next kernel would not restore anything (kho_populate: -ENOENT)")))
    }

    // MARK: import

    @Test func importOfKHOv1MemoryGivesTheWritersImage() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("image.kho")
        try KHOImageWriter().encode(Self.state(.linux7_0)).write(to: image)
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(try SyntheticCapture.regions(of: image), base: 0xf000_0000, to: raw)
        let output = directory.path("imported.kho")
        let plan = try KHOImporter.importImage(from: try RawMemoryFile(path: raw, physBase: 0xf000_0000), to: output)
        #expect(plan.rootCompatible == "kho-v1")
        #expect(plan.memoryMapNodes.count == 8, "four chunks and four bitmaps")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == (try Data(contentsOf: URL(fileURLWithPath: image))))
    }

    /// The next kernel frees the chunk list once it has read it: memory
    /// captured later may hold anything there. The error says so.
    @Test func importAfterTheChunkPagesWereReused() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("image.kho")
        let encoded = try KHOImageWriter().encode(Self.state(.linux7_0))
        try encoded.write(to: image)
        var pieces = try SyntheticCapture.regions(of: image)
        let chunk = encoded.layout.memoryMapPhys
        let index = pieces.firstIndex { $0.phys <= chunk && chunk < $0.phys + UInt64($0.bytes.count) }!
        let at = Int(chunk - pieces[index].phys)
        for i in 0..<4096 { pieces[index].bytes[at + i] = 0xee }
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(pieces, base: 0, to: raw)
        let output = directory.path("imported.kho")
        #expect {
            try KHOImporter.importImage(from: try RawMemoryFile(path: raw, physBase: 0), khoFDTPhys: encoded.layout.khoRootFDTPhys, to: output)
        } throws: { error in
            let text = "\(error)"
            return text.contains("num_elms is 4008636142, more than the 255 entries a chunk holds")
                && text.contains("not preserved") && text.contains("after the next kernel started")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
