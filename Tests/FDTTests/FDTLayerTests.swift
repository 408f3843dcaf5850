import CLibFDT
import FDT
import Testing

func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

/// `/ { a = "b"; };` from the sequential writer.
func tinyTree() throws -> FDTSequentialWriter {
    let writer = try FDTSequentialWriter(capacity: 256)
    try writer.finishReservemap()
    try writer.beginNode("")
    try writer.property("a", string: "b")
    try writer.endNode()
    try writer.finish()
    return writer
}

/// A tree with one property of every shape the getters read.
func typedTree() throws -> FDTBlob {
    let writer = try FDTSequentialWriter(capacity: 1024)
    try writer.addReservation(address: 0x1000, size: 0x2000)
    try writer.addReservation(address: 0x10_0000, size: 0x1000)
    try writer.finishReservemap()
    try writer.beginNode("")
    try writer.property("raw", rawU64: 0x1122_3344_5566_7788)
    try writer.property("be64", bytes: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
    try writer.property("cells", cells: [1, 0xdead_beef, 3])
    try writer.property("str", string: "hello")
    try writer.property("unterminated", bytes: Array("abc".utf8))
    try writer.property("twostrings", bytes: Array("a\0b\0".utf8))
    try writer.property("empty", bytes: [])
    try writer.beginNode("child@1")
    try writer.property("x", cells: [7])
    try writer.beginNode("grandchild")
    try writer.endNode()
    try writer.endNode()
    try writer.beginNode("second")
    try writer.endNode()
    try writer.endNode()
    try writer.finish()
    return try FDTBlob(bytes: writer.blob, label: "typed")
}

@Suite struct SequentialWriterTests {
    @Test func tinyTreeBytes() throws {
        let writer = try tinyTree()
        let expected: [UInt8] =
            be32(0xd00d_feed) + be32(98) + be32(64) + be32(96) + be32(48) + be32(17) + be32(16) + be32(0) + be32(2) + be32(32)
            + [UInt8](repeating: 0, count: 8)            // header padding to the reservation block
            + [UInt8](repeating: 0, count: 16)           // the reservation block's terminator
            + be32(1) + be32(0)                          // FDT_BEGIN_NODE ""
            + be32(3) + be32(2) + be32(0) + [0x62, 0, 0, 0]  // FDT_PROP len 2 nameoff 0 "b"
            + be32(2) + be32(9)                          // FDT_END_NODE, FDT_END
            + [0x61, 0]                                  // strings: "a"
        #expect(writer.blob == expected)
        #expect(writer.totalSize == 98)
        // The buffer past totalsize is the page as libfdt left it: the old
        // string table still sits at the end of the buffer.
        #expect(writer.buffer.count == 256)
        #expect(Array(writer.buffer.copy(254..<256)) == [0x61, 0])
    }

    @Test func reservationsGoBeforeTheStructureBlock() throws {
        let writer = try FDTSequentialWriter(capacity: 256)
        try writer.addReservation(address: 0x1_0000_0000, size: 0x4000)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.endNode()
        try writer.finish()
        let blob = writer.blob
        #expect(Array(blob[8..<12]) == be32(80))        // off_dt_struct after one entry and the terminator
        #expect(Array(blob[48..<64]) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0])
        #expect(Array(blob[64..<80]) == [UInt8](repeating: 0, count: 16))
        let parsed = try FDTBlob(bytes: blob).memoryReservations()
        #expect(parsed.map(\.address) == [0x1_0000_0000])
        #expect(parsed.map(\.size) == [0x4000])
    }

    @Test func rawU64IsLittleEndianAndCellsAreBigEndian() throws {
        let blob = try typedTree()
        #expect(Array(try blob.root.requiredValue("raw")) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(Array(try blob.root.requiredValue("cells")) == [0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 3])
        #expect(Array(try blob.root.requiredValue("str")) == Array("hello\0".utf8))
    }

    @Test func capacityBelowAHeaderIsNoSpace() {
        #expect(throws: FDTError.libfdt(.noSpace, function: "fdt_create", location: "capacity 16")) {
            try FDTSequentialWriter(capacity: 16)
        }
    }

    @Test func runningOutOfRoomIsNoSpace() throws {
        let writer = try FDTSequentialWriter(capacity: 96)
        try writer.finishReservemap()
        try writer.beginNode("")
        #expect(throws: FDTError.libfdt(.noSpace, function: "fdt_property", location: "property 'big'")) {
            try writer.property("big", bytes: [UInt8](repeating: 1, count: 64))
        }
    }

    @Test func nodeBeforeTheReservationBlockIsFinishedIsBadState() throws {
        let writer = try FDTSequentialWriter(capacity: 256)
        try writer.finishReservemap()
        #expect(throws: FDTError.libfdt(.badState, function: "fdt_add_reservemap_entry", location: "reservation 0x1000")) {
            try writer.addReservation(address: 0x1000, size: 0x1000)
        }
    }
}

@Suite struct EditorTests {
    @Test func openAddSetPackGivesTheExpectedTree() throws {
        let editor = FDTEditor(editing: try tinyTree().buffer)
        try editor.openInPlace(capacity: 256)
        #expect(editor.totalSize == 256)
        let node = try editor.addSubnode(parentOffset: 0, name: "n")
        try editor.setProperty(nodeOffset: node, name: "v", rawU64: 0x0102)
        try editor.setProperty(nodeOffset: node, name: "a", bytes: [9])
        try editor.pack()
        // header 40 + reservations 16 + struct (32 + node 8 + END_NODE 4 + two props 20 + 16) + strings "a\0v\0".
        #expect(editor.totalSize == 40 + 16 + 80 + 4)
        let tree = try FDTBlob(bytes: editor.blob).tree()
        #expect(tree == FDTNode(name: "", properties: [FDTProperty(name: "a", value: Array("b\0".utf8))], children: [
            // fdt_setprop puts a new property first, right after the node's name.
            FDTNode(name: "n", properties: [FDTProperty(name: "a", value: [9]),
                                            FDTProperty(name: "v", value: [2, 1, 0, 0, 0, 0, 0, 0])], children: []),
        ]))
    }

    @Test func existingSubnodeIsExists() throws {
        let editor = FDTEditor(editing: try tinyTree().buffer)
        try editor.openInPlace(capacity: 256)
        try editor.addSubnode(parentOffset: 0, name: "n")
        #expect(throws: FDTError.libfdt(.exists, function: "fdt_add_subnode", location: "node 'n'")) {
            try editor.addSubnode(parentOffset: 0, name: "n")
        }
    }

    @Test func openIntoLessThanTheTreeIsNoSpace() throws {
        let editor = FDTEditor(editing: try tinyTree().buffer)
        #expect(throws: FDTError.libfdt(.noSpace, function: "fdt_open_into", location: "capacity 64")) {
            try editor.openInPlace(capacity: 64)
        }
    }

    @Test func setPropertyOnANonNodeOffsetIsBadOffset() throws {
        let editor = FDTEditor(editing: try tinyTree().buffer)
        try editor.openInPlace(capacity: 256)
        #expect(throws: FDTError.libfdt(.badOffset, function: "fdt_setprop", location: "property 'p'")) {
            try editor.setProperty(nodeOffset: 8, name: "p", bytes: [1])
        }
    }

    @Test func setPropertyInPlaceKeepsTheLayoutAndRefusesAnotherLength() throws {
        let editor = FDTEditor(editing: try tinyTree().buffer)
        let before = editor.blob
        try editor.setPropertyInPlace(nodeOffset: 0, name: "a", bytes: Array("c\0".utf8))
        var expected = before
        expected[84] = 0x63
        #expect(editor.blob == expected)
        #expect(throws: FDTError.libfdt(.noSpace, function: "fdt_setprop_inplace", location: "property 'a'")) {
            try editor.setPropertyInPlace(nodeOffset: 0, name: "a", bytes: Array("cd\0".utf8))
        }
        #expect(throws: FDTError.libfdt(.notFound, function: "fdt_setprop_inplace", location: "property 'zz'")) {
            try editor.setPropertyInPlace(nodeOffset: 0, name: "zz", bytes: [0])
        }
    }

    @Test func addingRunsOutOfRoomWithNoSpace() throws {
        let editor = FDTEditor(editing: try tinyTree().buffer)
        try editor.openInPlace(capacity: 104)
        #expect(throws: FDTError.libfdt(.noSpace, function: "fdt_add_subnode", location: "node 'a-long-node-name'")) {
            try editor.addSubnode(parentOffset: 0, name: "a-long-node-name")
        }
    }
}

@Suite struct FDTBlobValidationTests {
    /// A valid blob to corrupt: the tiny tree, 98 bytes.
    static func good() throws -> [UInt8] { try tinyTree().blob }

    static func patched(_ offset: Int, _ word: UInt32, in bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        copy.replaceSubrange(offset..<(offset + 4), with: be32(word))
        return copy
    }

    static func header(_ code: LibFDTErrorCode, at offset: Int = 0) -> FDTError {
        .libfdt(code, function: "fdt_check_header", location: "FDT, byte offset \(offset)")
    }

    @Test func goodBlobPasses() throws {
        let blob = try FDTBlob(bytes: try Self.good())
        #expect(blob.totalSize == 98)
        #expect(blob.version == 17)
        #expect(blob.offset == 0)
        #expect(blob.bytes == (try Self.good()))
        #expect(try blob.memoryReservations().isEmpty)
    }

    @Test func shorterThanAHeaderIsTruncated() throws {
        #expect(throws: Self.header(.truncated)) { try FDTBlob(bytes: Array(try Self.good()[..<39])) }
        #expect(throws: Self.header(.truncated)) { try FDTBlob(bytes: []) }
        // Checked first: a short window with a bad magic is still "truncated".
        #expect(throws: Self.header(.truncated)) { try FDTBlob(bytes: [UInt8](repeating: 0xff, count: 39)) }
        // The window, not the storage, is what counts.
        let storage = ReadOnlyBytes(copying: try Self.good())
        #expect(throws: Self.header(.truncated)) { try FDTBlob(storage: storage, maxLength: 39) }
    }

    @Test func misalignedStartIsAlignment() throws {
        let storage = ReadOnlyBytes(copying: [0, 0, 0, 0] + (try Self.good()))
        #expect(throws: Self.header(.alignment, at: 4)) { try FDTBlob(storage: storage, offset: 4) }
        // Checked before the magic.
        let junk = ReadOnlyBytes(copying: [UInt8](repeating: 0xff, count: 64))
        #expect(throws: Self.header(.alignment, at: 4)) { try FDTBlob(storage: junk, offset: 4) }
        // At an 8-byte offset the same blob is fine.
        let shifted = ReadOnlyBytes(copying: [UInt8](repeating: 0, count: 8) + (try Self.good()))
        #expect(try FDTBlob(storage: shifted, offset: 8).totalSize == 98)
    }

    @Test func badMagic() throws {
        #expect(throws: Self.header(.badMagic)) { try FDTBlob(bytes: Self.patched(0, 0xd00d_fefe, in: try Self.good())) }
        // The sequential writer's unfinished magic is not an FDT either.
        #expect(throws: Self.header(.badMagic)) { try FDTBlob(bytes: Self.patched(0, ~UInt32(0xd00d_feed), in: try Self.good())) }
        // Checked before the version.
        let both = Self.patched(20, 2, in: Self.patched(0, 0, in: try Self.good()))
        #expect(throws: Self.header(.badMagic)) { try FDTBlob(bytes: both) }
    }

    @Test func versionBelow16() throws {
        #expect(throws: Self.header(.badVersion)) { try FDTBlob(bytes: Self.patched(20, 15, in: try Self.good())) }
        #expect(throws: Self.header(.badVersion)) { try FDTBlob(bytes: Self.patched(20, 2, in: try Self.good())) }
        // Checked before totalsize.
        let both = Self.patched(4, 0xffff_ffff, in: Self.patched(20, 3, in: try Self.good()))
        #expect(throws: Self.header(.badVersion)) { try FDTBlob(bytes: both) }
        // Version 16 passes this check.
        #expect(try FDTBlob(bytes: Self.patched(20, 16, in: try Self.good())).version == 16)
    }

    @Test func totalSizePastTheWindow() throws {
        #expect(throws: Self.header(.truncated)) { try FDTBlob(bytes: Self.patched(4, 99, in: try Self.good())) }
        #expect(throws: Self.header(.truncated)) { try FDTBlob(bytes: Self.patched(4, 0xffff_ffff, in: try Self.good())) }
        #expect(throws: Self.header(.truncated)) { try FDTBlob(bytes: Self.patched(4, 39, in: try Self.good())) }
        let storage = ReadOnlyBytes(copying: try Self.good())
        #expect(throws: Self.header(.truncated)) { try FDTBlob(storage: storage, maxLength: 97) }
        // A window larger than totalsize is fine; totalsize is what is used.
        let padded = ReadOnlyBytes(copying: (try Self.good()) + [UInt8](repeating: 0xaa, count: 100))
        #expect(try FDTBlob(storage: padded).totalSize == 98)
    }

    @Test func fullCheckFailures() throws {
        let good = try Self.good()
        func full(_ code: LibFDTErrorCode) -> FDTError {
            .libfdt(code, function: "fdt_check_full", location: "FDT, byte offset 0")
        }
        // The root's FDT_BEGIN_NODE replaced by FDT_END_NODE: the nesting goes negative.
        #expect(throws: full(.badStructure)) { try FDTBlob(bytes: Self.patched(64, 2, in: good)) }
        // ... by FDT_PROP: the "property" names an offset outside the strings block.
        #expect(throws: full(.badOffset)) { try FDTBlob(bytes: Self.patched(64, 3, in: good)) }
        // An unknown token.
        #expect(throws: full(.badStructure)) { try FDTBlob(bytes: Self.patched(72, 7, in: good)) }
        // FDT_END replaced by another FDT_END_NODE.
        #expect(throws: full(.badStructure)) { try FDTBlob(bytes: Self.patched(92, 2, in: good)) }
        // A property name offset past the strings block.
        #expect(throws: full(.badOffset)) { try FDTBlob(bytes: Self.patched(80, 50, in: good)) }
        // The strings block runs past totalsize.
        #expect(throws: full(.truncated)) { try FDTBlob(bytes: Self.patched(32, 200, in: good)) }
    }

    @Test func labelAndOffsetNameTheBlobInErrors() throws {
        let storage = ReadOnlyBytes(copying: [UInt8](repeating: 0, count: 16) + Self.patched(0, 1, in: try Self.good()))
        #expect(throws: FDTError.libfdt(.badMagic, function: "fdt_check_header", location: "LUO FDT, byte offset 16")) {
            try FDTBlob(storage: storage, offset: 16, label: "LUO FDT")
        }
    }
}

@Suite struct TypedGetterTests {
    @Test func values() throws {
        let root = try typedTree().root
        #expect(try root.rawU64("raw") == 0x1122_3344_5566_7788)
        #expect(try root.bigEndianU64("be64") == 0x1122_3344_5566_7788)
        #expect(try root.bigEndianU64("raw") == 0x8877_6655_4433_2211)
        #expect(try root.cells("cells", count: 3) == [1, 0xdead_beef, 3])
        #expect(try root.string("str") == "hello")
        #expect(try root.subnode("child@1")!.bigEndianU32("x") == 7)
        #expect(Array(try root.bytes("empty", count: 0)) == [])
        #expect(root.value("absent") == nil)
    }

    @Test func missingProperty() throws {
        let root = try typedTree().root
        #expect(throws: FDTError.missingProperty(node: "/", property: "absent")) { try root.rawU64("absent") }
        #expect(throws: FDTError.missingProperty(node: "/", property: "absent")) { try root.string("absent") }
        let child = try root.subnode("child@1")!
        #expect(throws: FDTError.missingProperty(node: "/child@1", property: "raw")) { try child.requiredValue("raw") }
    }

    @Test func wrongLength() throws {
        let root = try typedTree().root
        #expect(throws: FDTError.badPropertyLength(node: "/", property: "str", expected: 8, actual: 6)) { try root.rawU64("str") }
        #expect(throws: FDTError.badPropertyLength(node: "/", property: "cells", expected: 8, actual: 12)) { try root.bigEndianU64("cells") }
        #expect(throws: FDTError.badPropertyLength(node: "/", property: "raw", expected: 4, actual: 8)) { try root.bigEndianU32("raw") }
        #expect(throws: FDTError.badPropertyLength(node: "/", property: "cells", expected: 8, actual: 12)) { try root.cells("cells", count: 2) }
        #expect(throws: FDTError.badPropertyLength(node: "/", property: "empty", expected: 8, actual: 0)) { try root.rawU64("empty") }
    }

    @Test func stringShapes() throws {
        let root = try typedTree().root
        #expect(throws: FDTError.badString(node: "/", property: "unterminated")) { try root.string("unterminated") }
        #expect(throws: FDTError.badString(node: "/", property: "twostrings")) { try root.string("twostrings") }
        #expect(throws: FDTError.badString(node: "/", property: "empty")) { try root.string("empty") }
    }

    @Test func navigation() throws {
        let blob = try typedTree()
        let names = try blob.root.subnodes().map(\.name)
        #expect(names == ["child@1", "second"])
        #expect(try blob.root.subnodes().map(\.path) == ["/child@1", "/second"])
        #expect(blob.node(atPath: "/child@1/grandchild")?.name == "grandchild")
        #expect(blob.node(atPath: "/nope") == nil)
        #expect(blob.root.subnode("nope") == nil)
        #expect(blob.root.subnode("child@1")?.subnode("grandchild")?.path == "/child@1/grandchild")
        #expect(try blob.root.properties().map(\.name) == ["raw", "be64", "cells", "str", "unterminated", "twostrings", "empty"])
        let reservations = try blob.memoryReservations()
        #expect(reservations.map(\.address) == [0x1000, 0x10_0000])
        #expect(reservations.map(\.size) == [0x2000, 0x1000])
        let tree = try blob.tree()
        #expect(tree.children.map(\.name) == ["child@1", "second"])
        #expect(tree.children[0].children == [FDTNode(name: "grandchild", properties: [], children: [])])
        #expect(tree.children[0].properties == [FDTProperty(name: "x", value: [0, 0, 0, 7])])
    }
}

@Suite struct ErrorCodeTests {
    @Test func everyCodeMapsFromItsNegativeReturnValue() {
        for code in LibFDTErrorCode.allCases {
            #expect(LibFDTErrorCode(returnValue: -code.rawValue) == code)
        }
        #expect(LibFDTErrorCode(returnValue: -FDT_ERR_BADMAGIC) == .badMagic)
        #expect(LibFDTErrorCode(returnValue: -FDT_ERR_ALIGNMENT) == .alignment)
        #expect(LibFDTErrorCode.allCases.count == 19)
        #expect(Set(LibFDTErrorCode.allCases.map(\.rawValue)) == Set(1...19))
    }

    @Test func anUnknownCodeIsKeptAsItIs() {
        let unknown = LibFDTErrorCode(returnValue: -99)
        #expect(unknown.rawValue == 99)
        #expect(unknown != .internal)
        #expect(!LibFDTErrorCode.allCases.contains(unknown))
        #expect(unknown.name == "FDT_ERR_99")
        #expect(FDTError.libfdt(unknown, function: "fdt_next_node", location: "offset 8").description
                == "fdt_next_node failed with FDT_ERR_99 at offset 8")
        #expect(LibFDTErrorCode(rawValue: FDT_ERR_NOTFOUND) == .notFound)
    }

    @Test func namesAreTheCMacros() {
        #expect(LibFDTErrorCode.truncated.name == "FDT_ERR_TRUNCATED")
        #expect(LibFDTErrorCode.alignment.description == "FDT_ERR_ALIGNMENT")
        #expect(FDTError.libfdt(.badMagic, function: "fdt_check_header", location: "x").description
                == "fdt_check_header failed with FDT_ERR_BADMAGIC at x")
        #expect(FDTError.badPropertyLength(node: "/", property: "p", expected: 8, actual: 4).description
                == "property 'p' of / is 4 bytes, expected 8")
    }

    @Test func byteOrderHelpers() {
        #expect(ByteOrderCoding.littleEndianBytes(UInt32(0x0102_0304)) == [4, 3, 2, 1])
        #expect(ByteOrderCoding.bigEndianBytes(UInt32(0x0102_0304)) == [1, 2, 3, 4])
        #expect(ByteOrderCoding.littleEndian(UInt64.self, from: [1, 2, 3, 4, 5, 6, 7, 8]) == 0x0807_0605_0403_0201)
        #expect(ByteOrderCoding.bigEndian(UInt16.self, from: [0xab, 0xcd]) == 0xabcd)
    }
}
