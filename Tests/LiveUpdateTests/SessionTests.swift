import Glibc
import Testing
import LiveUpdate

/// Outgoing sessions: the selftests' create_duplicate_session,
/// create_distinct_sessions, create_session_empty_name, name lengths, and
/// the kernel's 819-session limit.
@Suite struct SessionTests {
    @Test func distinctSessionsAreCreatedInOrder() throws {
        let luo = LiveUpdateOrchestrator()
        let first = try luo.createSession(named: "distinct-session-1")
        let second = try luo.createSession(named: "distinct-session-2")
        #expect(luo.outgoingSessions.map(\.name) == ["distinct-session-1", "distinct-session-2"])
        #expect(first.name == "distinct-session-1" && second.name == "distinct-session-2")
        try first.close()
        try second.close()
        #expect(luo.outgoingSessions.isEmpty)
    }

    @Test func duplicateNameIsEEXIST() throws {
        let luo = LiveUpdateOrchestrator()
        let session = try luo.createSession(named: "duplicate-session-test")
        let refused = error { _ = try luo.createSession(named: "duplicate-session-test") }
        #expect(refused == .sessionExists(name: "duplicate-session-test"))
        #expect(refused?.errno == EEXIST)
        try session.close()
        // Closing frees the name.
        let again = try luo.createSession(named: "duplicate-session-test")
        #expect(again.name == "duplicate-session-test")
    }

    @Test func namesAreOneTo63BytesWithoutNUL() throws {
        let luo = LiveUpdateOrchestrator()
        let longest = String(repeating: "A", count: 63)
        #expect(try luo.createSession(named: longest).name == SessionName(longest))
        #expect(error { _ = try luo.createSession(named: "") } == .invalidSessionName(name: "", reason: .empty))
        let tooLong = String(repeating: "X", count: 64)
        let refused = error { _ = try luo.createSession(named: tooLong) }
        #expect(refused == .invalidSessionName(name: SessionName(tooLong), reason: .tooLong(bytes: 64, maximum: 63)))
        #expect(refused?.description == "session name \"\(tooLong)\" is 64 bytes, at most 63 fit before the NUL")
        #expect(refused?.errno == EINVAL)
        #expect(error { _ = try luo.createSession(named: "a\0b") }
            == .invalidSessionName(name: "a\0b", reason: .containsNUL(offset: 1)))
        // Multi-byte UTF-8 counts bytes: 32 two-byte characters are 64 bytes.
        let wide = String(repeating: "é", count: 32)
        #expect(error { _ = try luo.createSession(named: wide) }
            == .invalidSessionName(name: SessionName(wide), reason: .tooLong(bytes: 64, maximum: 63)))
    }

    @Test func the820thSessionIsENOMEM() throws {
        let luo = LiveUpdateOrchestrator()
        for index in 0..<819 { _ = try luo.createSession(named: "many-session-\(index)") }
        #expect(luo.outgoingSessions.count == LiveUpdateOrchestrator.maximumSessions)
        let refused = error { _ = try luo.createSession(named: "many-session-819") }
        #expect(refused == .tooManySessions(name: "many-session-819", maximum: 819))
        #expect(refused?.errno == ENOMEM)
        // Closing one makes room again.
        try luo.outgoingSessions[0].close()
        #expect(try luo.createSession(named: "many-session-819").name == "many-session-819")
    }

    @Test func aClosedSessionIsEBADF() throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(handler)
        let session = try luo.createSession(named: "closed")
        try session.close()
        #expect(session.isClosed)
        let refused = error { try session.preserve(TestFile("a"), token: 1) }
        #expect(refused == .sessionClosed(name: "closed"))
        #expect(refused?.errno == EBADF)
        #expect(error { try session.unpreserve(token: 1) } == .sessionClosed(name: "closed"))
        #expect(error { try session.close() } == .sessionClosed(name: "closed"))
    }

    @Test func emptySessionsAreHandedOver() throws {
        let luo = LiveUpdateOrchestrator()
        _ = try luo.createSession(named: "multi-test-empty-1")
        _ = try luo.createSession(named: "multi-test-empty-2")
        #expect(luo.handoverState() == HandoverState(liveupdateNumber: 1, sessions: [
            SessionRecord(name: "multi-test-empty-1"), SessionRecord(name: "multi-test-empty-2"),
        ]))
        let next = try handOver(luo, to: [])
        #expect(next.incomingSessionNames == ["multi-test-empty-1", "multi-test-empty-2"])
        let session = try next.retrieveSession(named: "multi-test-empty-1")
        #expect(session.tokens.isEmpty)
        try session.finish()
        try session.close()
        #expect(next.incomingSessionNames == ["multi-test-empty-2"])
    }
}
