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
}
