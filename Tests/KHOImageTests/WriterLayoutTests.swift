import FDT
import Foundation
import HandoverModel
import KernelABI
import KHOImage
import Testing
import TestSupport

let B: UInt64 = 0x1_0000_0000

func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64($0 * 8)) } }
func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32($0 * 8)) } }
func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
func field(_ string: String, _ width: Int) -> [UInt8] {
    Array(string.utf8) + [UInt8](repeating: 0, count: width - string.utf8.count)
}
func zeroBytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

/// The documented allocation order (KHOImageWriter, PhysicalArena,
/// MemfdPreserver), worked out by hand for two small states from base 4 GiB.
///
/// Common prefix:
///   B+0x0000          radix tree root (kho_init, not preserved)
///   B+0x1000          KHO root FDT (preserved, order 0) -> tree path for
///                     order-0 keys: B+0x2000 (level 4), 0x3000, 0x4000, 0x5000 (level 1), 0x6000 (leaf)
///   B+0x7000          LUO FDT (order 0, same leaf)
///   B+0x8000..0xffff  skipped to align the order-4 session block
///   B+0x10000         session block (order 4, 16 pages) -> new path for
///                     order-4 keys: B+0x20000 .. B+0x24000
///   B+0x25000         FLB block (order 0)
///   B+0x26000         first session's file array (order 1) -> new path for
///                     order-1 keys: B+0x28000 .. B+0x2c000
///   B+0x2d000         first file content allocation
@Suite struct WriterLayoutTests {
    static let small = HandoverState(
        generation: .khoV2Prerelease,
        liveupdateNumber: 7,
        sessions: [
            SessionRecord(name: "alpha", files: [
                FileRecord(token: 10, compatible: "raw-v1", content: .data(0xabc)),
                FileRecord(token: 11, compatible: "blob-v1", content: .payload([1, 2, 3])),
            ]),
            SessionRecord(name: "beta"),
        ],
        flbs: [FLBRecord(name: "iommu-v1", data: 0x55, count: 1)])

    static let memfd = HandoverState(
        generation: .khoV2Prerelease,
        liveupdateNumber: 1,
        sessions: [SessionRecord(name: "m", files: [
            FileRecord(token: 1, compatible: "memfd-v1",
                       content: .memfd(MemfdContents(contents: Array(repeating: 0xab, count: 5000), position: 17))),
        ])])

    static func bytes(_ image: EncodedImage, _ phys: UInt64, _ length: Int) -> [UInt8] {
        image.physicalBytes(at: phys, length: length)!
    }

    @Test func addressesOfEveryStructure() throws {
        let image = try KHOImageWriter().encode(Self.small)
        let layout = image.layout
        #expect(layout.memoryMapPhys == B)
        #expect(layout.khoRootFDTPhys == B + 0x1000)
        #expect(layout.luoFDTPhys == B + 0x7000)
        #expect(layout.sessionHeaderPhys == B + 0x1_0000)
        #expect(layout.flbHeaderPhys == B + 0x2_5000)
        #expect(layout.sessions == [
            SessionLayout(entryPhys: B + 0x1_0008, filesPhys: B + 0x2_6000, fileData: [0xabc, B + 0x2_d000]),
            SessionLayout(entryPhys: B + 0x1_0058, filesPhys: 0, fileData: []),
        ])
        #expect(layout.preservedBlocks == [
            PreservedBlock(phys: B + 0x1000, order: 0), PreservedBlock(phys: B + 0x7000, order: 0),
            PreservedBlock(phys: B + 0x1_0000, order: 4), PreservedBlock(phys: B + 0x2_5000, order: 0),
            PreservedBlock(phys: B + 0x2_6000, order: 1), PreservedBlock(phys: B + 0x2_d000, order: 0),
        ])
        #expect(layout.preservedPages == 1 + 1 + 16 + 1 + 2 + 1)
        // Two runs of allocated pages; the index fits one page, so data starts at 0x1000.
        #expect(layout.regions == [
            ImageRegion(phys: B, size: 0x8000, fileOffset: 0x1000),
            ImageRegion(phys: B + 0x1_0000, size: 0x1_e000, fileOffset: 0x9000),
        ])
        #expect(image.fileSize == 0x2_7000)
        #expect(try image.bytes.count == 0x2_7000)
    }

    @Test func sessionBlockFileArraysAndFLBBlockBytes() throws {
        let image = try KHOImageWriter().encode(Self.small)
        // luo_session_header_ser { count = 2 } then two luo_session_ser.
        #expect(Self.bytes(image, B + 0x1_0000, 8 + 160 + 8) ==
            le64(2)
            + field("alpha", 64) + le64(B + 0x2_6000) + le64(2)
            + field("beta", 64) + le64(0) + le64(0)
            + zeroBytes(8))
        #expect(Self.bytes(image, B + 0x2_6000, 128 + 64) ==
            field("raw-v1", 48) + le64(0xabc) + le64(10)
            + field("blob-v1", 48) + le64(B + 0x2_d000) + le64(11)
            + zeroBytes(64))
        #expect(Self.bytes(image, B + 0x2_5000, 16 + 64 + 64) ==
            le64(1) + le64(1) + field("iommu-v1", 48) + le64(0x55) + le64(1) + zeroBytes(64))
        #expect(Self.bytes(image, B + 0x2_d000, 4096) == [1, 2, 3] + zeroBytes(4093))
    }

    @Test func fdtPagesAreTheKernelsPages() throws {
        let image = try KHOImageWriter().encode(Self.small)
        let luo = try LUOv1FDT.build(.init(liveupdateNumber: 7, sessionHeaderPhys: B + 0x1_0000, flbHeaderPhys: B + 0x2_5000))
        #expect(Self.bytes(image, B + 0x7000, 4096) == luo.buffer.array)
        #expect(image.luoFDT == luo.blob)
        let root = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: B)
        try KHOv2RootFDT.addSubtree(to: root, name: "LUO", phys: B + 0x7000)
        #expect(Self.bytes(image, B + 0x1000, 4096) == root.buffer.array)
        #expect(image.khoRootFDT == root.blob)
    }

    /// Which slot of which tree page points where, and which leaf bits are set.
    @Test func memoryMapRadixTree() throws {
        let image = try KHOImageWriter().encode(Self.small)
        func slot(_ page: UInt64, _ index: Int) -> UInt64 {
            Self.bytes(image, page + UInt64(index * 8), 8).enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
        }
        func nonZeroSlots(_ page: UInt64) -> [Int] { (0..<512).filter { slot(page, $0) != 0 } }
        func setBits(_ page: UInt64) -> [Int] {
            let bytes = Self.bytes(image, page, 4096)
            return (0..<32768).filter { bytes[$0 / 8] & (1 << ($0 % 8)) != 0 }
        }
        // Root: index 0 holds order-4 keys (bit 48), 1 order-1 keys (bit 51), 2 order-0 keys (bit 52).
        #expect(nonZeroSlots(B) == [0, 1, 2])
        #expect([slot(B, 0), slot(B, 1), slot(B, 2)] == [B + 0x2_0000, B + 0x2_8000, B + 0x2000])
        // Order 0, key 1<<52 | 0x1000xx: level 4..2 index 0, level 1 index 0x20, leaf bits 0x01, 0x07, 0x25, 0x2d.
        #expect(nonZeroSlots(B + 0x2000) == [0]); #expect(slot(B + 0x2000, 0) == B + 0x3000)
        #expect(nonZeroSlots(B + 0x3000) == [0]); #expect(slot(B + 0x3000, 0) == B + 0x4000)
        #expect(nonZeroSlots(B + 0x4000) == [0]); #expect(slot(B + 0x4000, 0) == B + 0x5000)
        #expect(nonZeroSlots(B + 0x5000) == [0x20]); #expect(slot(B + 0x5000, 0x20) == B + 0x6000)
        #expect(setBits(B + 0x6000) == [0x01, 0x07, 0x25, 0x2d])
        // Order 4, key 1<<48 | 0x10001: level 4 index 64, level 1 index 2, leaf bit 1.
        #expect(nonZeroSlots(B + 0x2_0000) == [64]); #expect(slot(B + 0x2_0000, 64) == B + 0x2_1000)
        #expect(nonZeroSlots(B + 0x2_1000) == [0]); #expect(slot(B + 0x2_1000, 0) == B + 0x2_2000)
        #expect(nonZeroSlots(B + 0x2_2000) == [0]); #expect(slot(B + 0x2_2000, 0) == B + 0x2_3000)
        #expect(nonZeroSlots(B + 0x2_3000) == [2]); #expect(slot(B + 0x2_3000, 2) == B + 0x2_4000)
        #expect(setBits(B + 0x2_4000) == [1])
        // Order 1, key 1<<51 | 0x80013: level 1 index 0x10, leaf bit 0x13.
        #expect(nonZeroSlots(B + 0x2_8000) == [0]); #expect(slot(B + 0x2_8000, 0) == B + 0x2_9000)
        #expect(nonZeroSlots(B + 0x2_9000) == [0]); #expect(slot(B + 0x2_9000, 0) == B + 0x2_a000)
        #expect(nonZeroSlots(B + 0x2_a000) == [0]); #expect(slot(B + 0x2_a000, 0) == B + 0x2_b000)
        #expect(nonZeroSlots(B + 0x2_b000) == [0x10]); #expect(slot(B + 0x2_b000, 0x10) == B + 0x2_c000)
        #expect(setBits(B + 0x2_c000) == [0x13])
    }

    @Test func indexDescribesTheRegions() throws {
        let image = try KHOImageWriter().encode(Self.small)
        let index = try FDTBlob(bytes: image.index)
        #expect(try index.root.string("compatible") == "luo-serialize,kho-image-v1")
        #expect(try index.root.bigEndianU32("#address-cells") == 2)
        #expect(try index.root.bigEndianU32("#size-cells") == 2)
        #expect(try index.root.bigEndianU32("page-size") == 4096)
        #expect(try index.root.bigEndianU64("kho-fdt") == B + 0x1000)
        #expect(try index.root.subnodes().map(\.name) == ["region@100000000", "region@100010000"])
        let second = index.root.subnode("region@100010000")!
        #expect(Array(try second.requiredValue("reg")) == [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xe0, 0])
        #expect(try second.bigEndianU64("offset") == 0x9000)
        let reservations = try index.memoryReservations()
        #expect(reservations.map(\.address) == [B, B + 0x1_0000])
        #expect(reservations.map(\.size) == [0x8000, 0x1_e000])
        // The file: the index, zeros to 0x1000, then each region's bytes.
        let file = try image.bytes
        #expect(Array(file[..<image.index.count]) == image.index)
        #expect(file[image.index.count..<0x1000].allSatisfy { $0 == 0 })
        #expect(Array(file[0x1000..<0x9000]) == Self.bytes(image, B, 0x8000))
        #expect(Array(file[0x9000...]) == Self.bytes(image, B + 0x1_0000, 0x1_e000))
    }

    /// MemfdPreserver's order: ser page, content pages, array page, chunk page.
    @Test func memfdLayout() throws {
        let image = try KHOImageWriter().encode(Self.memfd)
        #expect(image.layout.sessions == [SessionLayout(entryPhys: B + 0x1_0008, filesPhys: B + 0x2_6000, fileData: [B + 0x2_d000])])
        // memfd_luo_ser { pos 17, size 5000, nr_folios 2, { first B+0x31000, total_pages 1, KHO_VMALLOC_ALLOC, order 0 } }
        #expect(Self.bytes(image, B + 0x2_d000, 48) ==
            le64(17) + le64(5000) + le64(2) + le64(B + 0x3_1000) + le32(1) + le16(1) + le16(0) + zeroBytes(8))
        // Contents: two order-0 folios.
        #expect(Self.bytes(image, B + 0x2_e000, 4096) == [UInt8](repeating: 0xab, count: 4096))
        #expect(Self.bytes(image, B + 0x2_f000, 4096) == [UInt8](repeating: 0xab, count: 904) + zeroBytes(3192))
        // The folio array: pfn | (DIRTY|UPTODATE) << 52, index.
        #expect(Self.bytes(image, B + 0x3_0000, 48) ==
            le64(0x0030_0000_0010_002e) + le64(0) + le64(0x0030_0000_0010_002f) + le64(1) + zeroBytes(16))
        // The vmalloc chunk: next 0, phys[0] = the array page, then zero.
        #expect(Self.bytes(image, B + 0x3_1000, 24) == le64(0) + le64(B + 0x3_0000) + le64(0))
        #expect(image.layout.preservedBlocks.map(\.phys) ==
            [B + 0x1000, B + 0x7000, B + 0x1_0000, B + 0x2_5000, B + 0x2_6000,
             B + 0x2_d000, B + 0x2_e000, B + 0x2_f000, B + 0x3_0000, B + 0x3_1000])
        #expect(image.layout.regions.map(\.size) == [0x8000, 0x2_2000])
    }

    @Test func anotherBaseShiftsEverything() throws {
        let image = try KHOImageWriter(base: 0x20_0000).encode(Self.small)
        #expect(image.layout.khoRootFDTPhys == 0x20_1000)
        #expect(image.layout.sessionHeaderPhys == 0x21_0000)
        #expect(image.layout.flbHeaderPhys == 0x22_5000)
    }

    @Test func sameStateSameBytes() throws {
        #expect(try KHOImageWriter().encode(Self.small).bytes == KHOImageWriter().encode(Self.small).bytes)
    }
}

/// The FDTs inside an encoded image against pylibfdt replaying the kernel's
/// calls with the image's addresses (tools/kernel_fdt_sequences.py).
@Suite struct ImageFDTsAgainstPylibfdtTests {
    static func run(_ arguments: [String]) throws -> [UInt8] {
        try ProcessRunner.kernelFDTSequence(arguments)
    }

    @Test(arguments: [KHOImageWriter.defaultBase, 0x20_0000, 0x000f_ff00_0000_0000])
    func rootAndLUOFDTsMatch(base: UInt64) throws {
        let image = try KHOImageWriter(base: base).encode(WriterLayoutTests.small)
        let layout = image.layout
        let luo = try Self.run(["luo-fdt", "7", hex(layout.sessionHeaderPhys), hex(layout.flbHeaderPhys)])
        #expect(image.luoFDT == luo)
        #expect(image.physicalBytes(at: layout.luoFDTPhys, length: luo.count) == luo)
        let root = try Self.run(["kho-root", hex(layout.memoryMapPhys), "LUO=\(hex(layout.luoFDTPhys))"])
        #expect(image.khoRootFDT == root)
        #expect(image.physicalBytes(at: layout.khoRootFDTPhys, length: root.count) == root)
    }
}
