import Glibc
import Testing
import LiveUpdate

/// Preserve and unpreserve: tokens, limits, handler choice, double
/// preservation, LIFO unpreserve on close.
@Suite struct PreserveTests {
    @Test func preserveCallsTheFirstAcceptingHandler() throws {
        let log = CallLog()
        let vfio = RecordingHandler(compatible: "vfio-v1", prefix: "vfio", log: log)
        let any = RecordingHandler(compatible: "any-v1", prefix: "", log: log)
        let luo = try orchestrator(vfio, any)
        let session = try luo.createSession(named: "s")
        try session.preserve(TestFile("vfio0", value: 7), token: 0x10)
        try session.preserve(TestFile("blob", value: 8), token: 0x20)
        #expect(session.tokens == [0x10, 0x20])
        #expect(log.entries == ["preserve:s:16", "preserve:s:32"])
        #expect(luo.handoverState().sessions == [SessionRecord(name: "s", files: [
            FileRecord(token: 0x10, compatible: "vfio-v1", content: .data(7)),
            FileRecord(token: 0x20, compatible: "any-v1", content: .data(8)),
        ])])
    }

    @Test func duplicateTokenIsEEXIST() throws {
        let luo = try orchestrator(RecordingHandler())
        let session = try luo.createSession(named: "tokens")
        try session.preserve(TestFile("a"), token: 0x1234)
        let refused = error { try session.preserve(TestFile("b"), token: 0x1234) }
        #expect(refused == .tokenExists(session: "tokens", token: 0x1234))
        #expect(refused?.errno == EEXIST)
        // The same token in another session is fine.
        let other = try luo.createSession(named: "other")
        try other.preserve(TestFile("c"), token: 0x1234)
        #expect(other.tokens == [0x1234])
    }

    @Test func the129thFileIsENOSPCAndTokenIsCheckedFirst() throws {
        let luo = try orchestrator(RecordingHandler())
        let session = try luo.createSession(named: "many-files-test")
        for token in 0..<UInt64(128) { try session.preserve(TestFile("f\(token)"), token: token) }
        let refused = error { try session.preserve(TestFile("f128"), token: 128) }
        #expect(refused == .tooManyFiles(session: "many-files-test", token: 128, maximum: 128))
        #expect(refused?.errno == ENOSPC)
        // A used token on a full session is still -EEXIST: the kernel checks it first.
        #expect(error { try session.preserve(TestFile("x"), token: 5) } == .tokenExists(session: "many-files-test", token: 5))
        try session.unpreserve(token: 127)
        try session.preserve(TestFile("f128"), token: 128)
        #expect(session.tokens.count == 128)
        #expect(session.tokens.last == 128)
    }

    @Test func noAcceptingHandlerIsENOENT() throws {
        let luo = try orchestrator(RecordingHandler(prefix: "memfd"))
        let session = try luo.createSession(named: "unsupported-fd-test")
        let refused = error { try session.preserve(TestFile("dev-null"), token: 0xDEAD) }
        #expect(refused == .noHandler(session: "unsupported-fd-test", token: 0xDEAD))
        #expect(refused?.errno == ENOENT)
        #expect(session.tokens.isEmpty)
    }

    @Test func preservingTheSameFileTwiceIsEBUSY() throws {
        let luo = try orchestrator(RecordingHandler())
        let first = try luo.createSession(named: "double-preserve-session-1")
        let second = try luo.createSession(named: "double-preserve-session-2")
        let file = TestFile("memfd")
        try first.preserve(file, token: 0x1111)
        let elsewhere = error { try second.preserve(file, token: 0x2222) }
        #expect(elsewhere == .fileAlreadyPreserved(session: "double-preserve-session-2", token: 0x2222,
                                                   preservedIn: "double-preserve-session-1", preservedAs: 0x1111))
        #expect(elsewhere?.errno == EBUSY)
        #expect(error { try first.preserve(file, token: 0x3333) }
            == .fileAlreadyPreserved(session: "double-preserve-session-1", token: 0x3333,
                                     preservedIn: "double-preserve-session-1", preservedAs: 0x1111))
        // Once unpreserved it can go elsewhere.
        try first.unpreserve(token: 0x1111)
        try second.preserve(file, token: 0x2222)
        #expect(second.tokens == [0x2222])
    }

    /// The kernel has no per-file unpreserve (files leave a session only
    /// when it closes, last to first); the extension keeps that order: only
    /// the last preserved file can go.
    @Test func unpreserveIsAnExtensionThatKeepsLIFO() throws {
        let log = CallLog()
        let luo = try orchestrator(RecordingHandler(log: log))
        let session = try luo.createSession(named: "u")
        try session.preserve(TestFile("a"), token: 1)
        try session.preserve(TestFile("b"), token: 2)
        try session.preserve(TestFile("c"), token: 3)
        let outOfOrder = error { try session.unpreserve(token: 2) }
        #expect(outOfOrder == .unpreserveOutOfOrder(session: "u", token: 2, lastToken: 3))
        #expect(outOfOrder?.errno == EINVAL)
        #expect(session.tokens == [1, 2, 3])
        #expect(log.of("unpreserve").isEmpty)
        try session.unpreserve(token: 3)
        try session.unpreserve(token: 2)
        #expect(session.tokens == [1])
        #expect(log.of("unpreserve") == ["unpreserve:u:3", "unpreserve:u:2"])
        let refused = error { try session.unpreserve(token: 2) }
        #expect(refused == .unknownToken(session: "u", token: 2))
        #expect(refused?.errno == ENOENT)
        // The token is free again.
        try session.preserve(TestFile("b2"), token: 2)
        #expect(session.tokens == [1, 2])
    }

    @Test func closeUnpreservesLastToFirst() throws {
        let log = CallLog()
        let luo = try orchestrator(RecordingHandler(log: log))
        let session = try luo.createSession(named: "lifo")
        for token in [UInt64(5), 9, 2, 7] { try session.preserve(TestFile("f\(token)"), token: token) }
        try session.close()
        #expect(log.of("unpreserve") == ["unpreserve:lifo:7", "unpreserve:lifo:2", "unpreserve:lifo:9", "unpreserve:lifo:5"])
        #expect(luo.outgoingSessions.isEmpty)
        #expect(luo.handoverState().sessions.isEmpty)
    }

    @Test func aFailedPreserveLeavesNothingBehind() throws {
        let handler = RecordingHandler()
        handler.failPreserve = ["bad"]
        let flb = RecordingFLB("iommu-core-v1")
        let luo = try orchestrator(handler)
        try luo.register(flb, for: handler)
        let session = try luo.createSession(named: "s")
        let refused = error { try session.preserve(TestFile("bad"), token: 1) }
        #expect(refused == .handlerFailed(session: "s", token: 1, compatible: "test-v1", operation: "preserve",
                                          errno: 5, reason: "told to fail"))
        #expect(refused?.errno == EIO)
        #expect(session.tokens.isEmpty)
        // The FLB taken for the file was released again.
        #expect(flb.calls == ["preserve", "unpreserve:\(0xf1b):outgoing-iommu-core-v1"])
        #expect(luo.flbOutgoingCount(flb) == 0)
        // The token and the file are free.
        let file = TestFile("good")
        try session.preserve(file, token: 1)
        #expect(session.file(token: 1) === file)
    }
}
