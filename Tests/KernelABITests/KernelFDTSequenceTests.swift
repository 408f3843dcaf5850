import CLibFDT
import FDT
import Foundation
import KernelABI
import TestSupport
import Testing

/// The kernel's FDT call sequences replayed on the reference encoder.
enum KernelSequences {
    /// `luo_fdt_setup` + `luo_session_setup_outgoing` + `luo_flb_setup_outgoing`.
    static func luoFDT(number: UInt64, session: UInt64, flb: UInt64) -> ReferenceFDT {
        var w = ReferenceSequentialWriter()
        w.beginNode("")
        w.property("compatible", string: "luo-v1")
        w.property("liveupdate-number", rawU64: number)
        w.beginNode("luo-session")
        w.property("compatible", string: "luo-session-v2")
        w.property("luo-session-header", rawU64: session)
        w.endNode()
        w.beginNode("luo-flb")
        w.property("compatible", string: "luo-flb-v1")
        w.property("luo-flb-header", rawU64: flb)
        w.endNode()
        w.endNode()
        return w.finish()
    }

    /// `kho_out_fdt_setup`.
    static func khoSkeleton(memoryMap: UInt64) -> ReferenceFDT {
        var w = ReferenceSequentialWriter()
        w.beginNode("")
        w.property("compatible", string: "kho-v2")
        w.property("preserved-memory-map", rawU64: memoryMap)
        w.endNode()
        return w.finish()
    }

    /// `kho_add_subtree(name, phys)`.
    static func addSubtree(_ fdt: inout ReferenceFDT, name: String, phys: UInt64) {
        let node = fdt.addSubnode(parent: 0, name: name)
        fdt.addProperty(node: node, name: "preserved-data", value: littleEndian(phys))
        fdt.pack()
    }
}

/// The header fields of a blob, decoded by hand.
struct Header: Equatable {
    var magic, totalSize, offStruct, offStrings, offReservations, version, lastCompatible, bootCPU, sizeStrings, sizeStruct: UInt32

    init(_ bytes: [UInt8]) {
        magic = headerWord(bytes, 0); totalSize = headerWord(bytes, 4); offStruct = headerWord(bytes, 8)
        offStrings = headerWord(bytes, 12); offReservations = headerWord(bytes, 16); version = headerWord(bytes, 20)
        lastCompatible = headerWord(bytes, 24); bootCPU = headerWord(bytes, 28); sizeStrings = headerWord(bytes, 32)
        sizeStruct = headerWord(bytes, 36)
    }

    init(total: UInt32, reservations: UInt32, structure: UInt32, strings: UInt32, sizeStruct: UInt32, sizeStrings: UInt32) {
        magic = 0xd00d_feed; totalSize = total; offStruct = structure; offStrings = strings; offReservations = reservations
        version = 17; lastCompatible = 16; bootCPU = 0; self.sizeStrings = sizeStrings; self.sizeStruct = sizeStruct
    }
}

struct Values: Sendable, CustomTestStringConvertible {
    var number: UInt64, session: UInt64, flb: UInt64
    var testDescription: String { "number \(number) session 0x\(String(session, radix: 16)) flb 0x\(String(flb, radix: 16))" }
}

let luoValues: [Values] = [
    Values(number: 1, session: 0x1_0000_4000, flb: 0x1_0001_4000),
    Values(number: 0, session: 0, flb: 0),
    Values(number: 0xffff_ffff_ffff_ffff, session: 0x000f_ffff_ffff_f000, flb: 0x8000_0000_0000_0000),
    Values(number: 0x0102_0304_0506_0708, session: 0x1122_3344_5566_7788, flb: 0x99),
]

@Suite struct LUOFDTByteIdentityTests {
    @Test(arguments: luoValues)
    func buildMatchesTheReferenceEncoding(_ v: Values) throws {
        let swift = try LUOv1FDT.build(.init(liveupdateNumber: v.number, sessionHeaderPhys: v.session, flbHeaderPhys: v.flb)).blob
        let reference = KernelSequences.luoFDT(number: v.number, session: v.session, flb: v.flb).bytes
        #expect(swift == reference)
    }

    @Test func headerAndBlocksAreWhereTheSequentialAPIPutsThem() throws {
        let blob = try LUOv1FDT.build(.init(liveupdateNumber: 1, sessionHeaderPhys: 0x1_0000_4000, flbHeaderPhys: 0x1_0001_4000)).blob
        // Structure: root (8) + 2 props (20 + 20) + luo-session node (4+12) + 2 props (28+20) + END_NODE
        // + luo-flb node (4+8) + 2 props (24+20) + END_NODE + root END_NODE + END = 184 bytes.
        // Strings: 15 + 19 + 18 + 11 = 63 bytes.
        #expect(Header(blob) == Header(total: 64 + 184 + 63, reservations: 48, structure: 64, strings: 248,
                                        sizeStruct: 184, sizeStrings: 63))
        #expect(blob.count == 311)
        // The reservation block (only the terminator) and the gap before it are zero.
        #expect(blob[40..<64].allSatisfy { $0 == 0 })
        // Newest name first: the sequential writer prepends.
        #expect(Array(blob[248...]) == Array("luo-flb-header\0luo-session-header\0liveupdate-number\0compatible\0".utf8))
        // liveupdate-number (after the root's BEGIN_NODE and compatible): FDT_PROP, len 8,
        // nameoff 34 (after "luo-flb-header\0luo-session-header\0"), the raw little-endian u64.
        #expect(Array(blob[92..<112]) == [0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 34, 1, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func parseReadsBackTheValues() throws {
        for v in luoValues {
            let contents = LUOv1FDT.Contents(liveupdateNumber: v.number, sessionHeaderPhys: v.session, flbHeaderPhys: v.flb)
            let blob = try FDTBlob(bytes: KernelSequences.luoFDT(number: v.number, session: v.session, flb: v.flb).bytes)
            #expect(try LUOv1FDT.parse(blob) == contents)
        }
    }
}

@Suite struct KHORootFDTByteIdentityTests {
    @Test(arguments: [UInt64(0x1_0000_0000), 0, 0x000f_ffff_ffff_f000])
    func skeletonMatchesTheReferenceEncoding(_ memoryMap: UInt64) throws {
        let swift = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: memoryMap).blob
        #expect(swift == KernelSequences.khoSkeleton(memoryMap: memoryMap).bytes)
    }

    @Test func skeletonHeader() throws {
        let blob = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000).blob
        // root (8) + compatible (12 + 8) + preserved-memory-map (12 + 8) + END_NODE + END = 56; strings 21 + 11.
        #expect(Header(blob) == Header(total: 64 + 56 + 32, reservations: 48, structure: 64, strings: 120,
                                        sizeStruct: 56, sizeStrings: 32))
        #expect(Array(blob[120...]) == Array("preserved-memory-map\0compatible\0".utf8))
    }

    @Test(arguments: ["LUO", "x", "abcd", "subsystem-with-a-long-name"])
    func addSubtreeMatchesTheReferenceEncoding(_ name: String) throws {
        let editor = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000)
        try KHOv2RootFDT.addSubtree(to: editor, name: name, phys: 0x1_0000_2000)
        var reference = KernelSequences.khoSkeleton(memoryMap: 0x1_0000_0000)
        KernelSequences.addSubtree(&reference, name: name, phys: 0x1_0000_2000)
        #expect(editor.blob == reference.bytes)
    }

    @Test func addSubtreePacksTheReservationBlockToOffset40AndAppendsTheNewName() throws {
        let editor = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000)
        try KHOv2RootFDT.addSubtree(to: editor, name: "LUO", phys: 0x1_0000_2000)
        let blob = editor.blob
        // struct: 56 + LUO node (4 + 4 + 4) + preserved-data (12 + 8) = 88; strings: 32 + 15.
        #expect(Header(blob) == Header(total: 56 + 88 + 47, reservations: 40, structure: 56, strings: 144,
                                        sizeStruct: 88, sizeStrings: 47))
        #expect(Array(blob[144...]) == Array("preserved-memory-map\0compatible\0preserved-data\0".utf8))
        // The LUO node follows the root's properties: BEGIN_NODE "LUO", PROP len 8 nameoff 32, LE address, END_NODE.
        #expect(Array(blob[(56 + 48)..<(56 + 80)]) == [0, 0, 0, 1, 0x4c, 0x55, 0x4f, 0,
                                                       0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 32,
                                                       0, 0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2])
    }

    @Test func secondSubtreeGoesBeforeTheFirstAndReusesTheName() throws {
        let editor = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000)
        try KHOv2RootFDT.addSubtree(to: editor, name: "LUO", phys: 0x1_0000_2000)
        try KHOv2RootFDT.addSubtree(to: editor, name: "memblock", phys: 0x2000)
        var reference = KernelSequences.khoSkeleton(memoryMap: 0x1_0000_0000)
        KernelSequences.addSubtree(&reference, name: "LUO", phys: 0x1_0000_2000)
        KernelSequences.addSubtree(&reference, name: "memblock", phys: 0x2000)
        #expect(editor.blob == reference.bytes)
        let contents = try KHOv2RootFDT.parse(try FDTBlob(bytes: editor.blob))
        #expect(contents.subtrees.map(\.name) == ["memblock", "LUO"])
        #expect(contents.subtrees.map(\.phys) == [0x2000, 0x1_0000_2000])
        #expect(Header(editor.blob).sizeStrings == 47)
    }

    @Test func duplicateSubtreeIsExistsAndLeavesTheTreeAsItWas() throws {
        let editor = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000)
        try KHOv2RootFDT.addSubtree(to: editor, name: "LUO", phys: 0x1_0000_2000)
        let before = editor.blob
        #expect(throws: FDTError.libfdt(.exists, function: "fdt_add_subnode", location: "node 'LUO'")) {
            try KHOv2RootFDT.addSubtree(to: editor, name: "LUO", phys: 0x5000)
        }
        #expect(editor.blob == before)
    }
}

/// Replays the same call sequences with pylibfdt (tools/kernel_fdt_sequences.py).
@Suite struct PylibfdtCrossCheckTests {
    static func run(_ arguments: [String]) throws -> [UInt8] {
        try ProcessRunner.kernelFDTSequence(arguments)
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    @Test(arguments: luoValues)
    func luoFDTMatchesPylibfdt(_ v: Values) throws {
        let python = try Self.run(["luo-fdt", "\(v.number)", Self.hex(v.session), Self.hex(v.flb)])
        let swift = try LUOv1FDT.build(.init(liveupdateNumber: v.number, sessionHeaderPhys: v.session, flbHeaderPhys: v.flb)).blob
        #expect(python.count == 311)
        #expect(swift == python)
    }

    @Test func khoRootSkeletonMatchesPylibfdt() throws {
        let python = try Self.run(["kho-root", "0x100000000"])
        #expect(python.count == 152)
        #expect(try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000).blob == python)
    }

    @Test func khoRootWithSubtreesMatchesPylibfdt() throws {
        let editor = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1_0000_0000)
        try KHOv2RootFDT.addSubtree(to: editor, name: "LUO", phys: 0x1_0000_2000)
        let python = try Self.run(["kho-root", "0x100000000", "LUO=0x100002000"])
        #expect(python.count == 191)
        #expect(editor.blob == python)
        try KHOv2RootFDT.addSubtree(to: editor, name: "memblock", phys: 0xabc_d000)
        #expect(editor.blob == (try Self.run(["kho-root", "0x100000000", "LUO=0x100002000", "memblock=0xabcd000"])))
    }
}

@Suite struct AddSubtreeFailureTests {
    /// A root page filled with subtrees until a node still fits but its
    /// `preserved-data` does not: kho_add_subtree packs the tree anyway
    /// (`goto out_pack`), leaving the node without its property.
    @Test func propertyThatDoesNotFitLeavesAPackedTree() throws {
        let editor = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0x1000)
        var count = 0
        // 64-byte names: each subtree takes 4 + 68 + 20 + 4 = 96 bytes.
        while editor.totalSize + 96 + 40 <= 4096 {
            try KHOv2RootFDT.addSubtree(to: editor, name: String(format: "%064d", count), phys: UInt64(count))
            count += 1
        }
        let free = 4096 - editor.totalSize
        // A name that leaves room for the node (8 + padded name) but not for the 20-byte property.
        let nameLength = (free - 8) / 4 * 4 - 1
        try #require(nameLength >= 1)
        #expect(nameLength + 1 + 8 <= free)
        #expect(nameLength + 1 + 8 + 20 > free)
        let name = String(repeating: "z", count: nameLength)
        #expect(throws: FDTError.libfdt(.noSpace, function: "fdt_setprop", location: "property 'preserved-data'")) {
            try KHOv2RootFDT.addSubtree(to: editor, name: name, phys: 0xabc000)
        }
        // Packed: totalsize is what the tree uses, and the empty node is the first subnode.
        let blob = try FDTBlob(bytes: editor.blob)
        #expect(editor.totalSize < 4096)
        #expect(Int(luo_fdt_off_dt_strings(editor.buffer.base) + luo_fdt_size_dt_strings(editor.buffer.base)) == editor.totalSize)
        let first = try blob.root.subnodes()[0]
        #expect(first.name == name)
        #expect(try first.properties().isEmpty)
        #expect(try blob.root.subnodes().count == count + 1)
    }
}
