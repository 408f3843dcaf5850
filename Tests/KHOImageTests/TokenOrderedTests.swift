import HandoverModel
import KHOImage
import Testing

/// Files by token: the one lookup the sessions and `HandoverIndex` share.
@Suite struct TokenOrderedTests {
    static func file(_ token: UInt64, _ compatible: String) -> FileRecord {
        FileRecord(token: token, compatible: compatible, content: .data(token))
    }

    @Test func findsByTokenInOrder() {
        var files = TokenOrdered([Self.file(5, "a"), Self.file(9, "b"), Self.file(7, "c")])
        #expect(files.map(\.token) == [5, 9, 7])
        #expect(files[token: 9]?.compatible == "b")
        #expect(files.index(of: 7) == 2)
        #expect(files[token: 1] == nil)
        files.append(Self.file(1, "d"))
        #expect(files.index(of: 1) == 3)
        #expect(files.remove(at: 1).token == 9)
        #expect(files[token: 9] == nil)
        #expect(files.index(of: 7) == 1)
        #expect(files.index(of: 1) == 2)
        #expect(files.removeLast().token == 1)
        #expect(files.map(\.token) == [5, 7])
    }

    /// A token given twice (refused by the writer) finds its first file,
    /// and the next one once the first is gone.
    @Test func theFirstOfATokenGivenTwiceIsFound() {
        var files = TokenOrdered([Self.file(5, "first"), Self.file(6, "x"), Self.file(5, "second")])
        #expect(files[token: 5]?.compatible == "first")
        files.remove(at: 0)
        #expect(files[token: 5]?.compatible == "second")
        #expect(files.index(of: 6) == 0)

        let index = HandoverIndex(HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "s", files: [Self.file(5, "first"), Self.file(5, "second")]),
        ]))
        #expect(index.file(session: "s", token: 5)! == (0, 0))
        #expect(index.file(session: 1, token: 5) == nil)
    }
}
