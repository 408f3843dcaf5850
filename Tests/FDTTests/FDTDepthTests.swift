import FDT
import Testing

/// A tree nested deeper than the kernel's FDT_MAX_DEPTH (64) is refused by
/// `materialize()` instead of overflowing the stack (a fuzzing finding: a
/// 1.2 MB FDT of 100 000 nested nodes crashed `decode --format text`).
@Suite struct FDTDepthTests {
    /// A root with `depth` nodes named "a" nested below it, each deeper one
    /// inside the last.
    static func nested(_ depth: Int) throws -> FDTBlob {
        let writer = try FDTSequentialWriter(capacity: 256 + depth * 16)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.property("compatible", string: "deep")
        for _ in 0..<depth { try writer.beginNode("a") }
        for _ in 0...depth { try writer.endNode() }
        try writer.finish()
        return try FDTBlob(bytes: writer.blob)
    }

    static func path(_ depth: Int) -> String { "/" + Array(repeating: "a", count: depth).joined(separator: "/") }

    @Test func sixtyFourLevelsMaterialize() throws {
        var node = try Self.nested(64).tree()
        var levels = 0
        while let child = node.children.first {
            node = child
            levels += 1
        }
        #expect(levels == 64)
        #expect(FDTNodeRef.maxDepth == 64)
    }

    @Test func deeperTreesAreRefused() throws {
        let expected = FDTError.tooDeep(node: Self.path(65), limit: 64)
        #expect(throws: expected) { try Self.nested(65).tree() }
        // Deep enough to overflow the stack without the limit.
        #expect(throws: expected) { try Self.nested(100_000).tree() }
        #expect(expected.description == "node \(Self.path(65)) is nested more than 64 levels deep")
        // A subtree is counted from where the walk starts.
        let blob = try Self.nested(70)
        let start = try #require(blob.node(atPath: Self.path(6)))
        #expect(try start.materialize().name == "a")
        let higher = try #require(blob.node(atPath: Self.path(5)))
        #expect(throws: FDTError.tooDeep(node: Self.path(70), limit: 64)) { try higher.materialize() }
    }

    /// A fuzzing finding: a property whose length (0xfffffff4) wraps
    /// libfdt 1.6.1's offset back onto the property made fdt_check_full loop
    /// forever; it is refused before libfdt walks the tree.
    @Test func propertyLengthThatWrapsTheOffset() throws {
        let writer = try tinyTree()
        var bytes = writer.blob
        let structure = Int(be32At(bytes, 8))
        // BEGIN_NODE "" (8 bytes), then FDT_PROP, len: the length is at +12.
        #expect(Array(bytes[(structure + 8)..<(structure + 12)]) == be32(3))
        bytes.replaceSubrange((structure + 12)..<(structure + 16), with: be32(0xffff_fff4))
        #expect(throws: FDTError.libfdt(.truncated, function: "fdt_check_full", location: "FDT, byte offset 0")) {
            try FDTBlob(bytes: bytes)
        }
        // Any length running past the structure block is refused the same way.
        bytes.replaceSubrange((structure + 12)..<(structure + 16), with: be32(0x100))
        #expect(throws: FDTError.libfdt(.truncated, function: "fdt_check_full", location: "FDT, byte offset 0")) {
            try FDTBlob(bytes: bytes)
        }
    }

    func be32At(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | UInt32($1) }
    }
}
