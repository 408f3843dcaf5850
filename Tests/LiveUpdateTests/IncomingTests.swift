import Glibc
import Testing
import LiveUpdate

/// The incoming side: loading, retrieve session and file, idempotence,
/// two-phase LIFO finish, close, and names shared with outgoing sessions.
@Suite struct IncomingTests {
    /// A session "vm" with tokens 1, 2, 3 (values 10, 20, 30), handed over
    /// to an orchestrator with `handler`.
    func incoming(_ handler: RecordingHandler) throws -> LiveUpdateOrchestrator {
        let old = try orchestrator(RecordingHandler())
        let session = try old.createSession(named: "vm")
        for token in UInt64(1)...3 { try session.preserve(TestFile("f\(token)", value: token * 10), token: token) }
        return try handOver(old, to: [handler])
    }

    @Test func retrieveSessionByName() throws {
        let luo = try incoming(RecordingHandler())
        let unknown = error { _ = try luo.retrieveSession(named: "nope") }
        #expect(unknown == .unknownSession(name: "nope"))
        #expect(unknown?.errno == ENOENT)
        let session = try luo.retrieveSession(named: "vm")
        #expect(session.isRetrieved)
        #expect(session.tokens == [1, 2, 3])
        #expect(session.compatible(token: 2) == "test-v1")
        let again = error { _ = try luo.retrieveSession(named: "vm") }
        #expect(again == .sessionAlreadyRetrieved(name: "vm"))
        #expect(again?.errno == EINVAL)
    }

    @Test func retrieveIsIdempotentAndInAnyOrder() throws {
        let handler = RecordingHandler()
        let luo = try incoming(handler)
        let session = try luo.retrieveSession(named: "vm")
        let third = try session.retrieveFile(token: 3)
        let first = try session.retrieveFile(token: 1)
        #expect((third as? TestFile)?.value == 30)
        #expect((first as? TestFile)?.value == 10)
        #expect(try session.retrieveFile(token: 3) === third)
        #expect(handler.log.of("retrieve") == ["retrieve:vm:3", "retrieve:vm:1"])
        let unknown = error { _ = try session.retrieveFile(token: 0xdead) }
        #expect(unknown == .unknownToken(session: "vm", token: 0xdead))
        #expect(unknown?.errno == ENOENT)
    }

    @Test func aFailedRetrieveKeepsItsError() throws {
        let handler = RecordingHandler()
        handler.failRetrieve = ["2"]
        let luo = try incoming(handler)
        let session = try luo.retrieveSession(named: "vm")
        let expected = LiveUpdateError.handlerFailed(session: "vm", token: 2, compatible: "test-v1",
                                                     operation: "retrieve", errno: 5, reason: "told to fail")
        #expect(error { _ = try session.retrieveFile(token: 2) } == expected)
        handler.failRetrieve = []
        #expect(error { _ = try session.retrieveFile(token: 2) } == expected)
        #expect(handler.log.of("retrieve") == ["retrieve:vm:2"])
        #expect(try session.isFileRetrieved(token: 2) == false)
    }

    @Test func finishIsTwoPhaseAndLastToFirst() throws {
        let handler = RecordingHandler()
        let luo = try incoming(handler)
        let session = try luo.retrieveSession(named: "vm")
        _ = try session.retrieveFile(token: 2)
        handler.refuseFinish = [3]
        let refused = error { try session.finish() }
        #expect(refused == .cannotFinish(session: "vm", token: 3, compatible: "test-v1"))
        #expect(refused?.errno == EBUSY)
        #expect(handler.log.of("canFinish") == ["canFinish:vm:1", "canFinish:vm:2", "canFinish:vm:3"])
        #expect(handler.log.of("finish").isEmpty)
        #expect(session.tokens == [1, 2, 3])

        handler.refuseFinish = []
        handler.log.entries = []
        try session.finish()
        #expect(handler.log.entries == ["canFinish:vm:1", "canFinish:vm:2", "canFinish:vm:3",
                                        "finish:vm:3", "finish:vm:2", "finish:vm:1"])
        #expect(handler.finishSaw[1]! == (retrieved: false, byUser: false))
        #expect(handler.finishSaw[2]! == (retrieved: true, byUser: true))
        #expect(handler.finishSaw[3]! == (retrieved: false, byUser: false))
        #expect(session.tokens.isEmpty)
        // Incoming files never take the unpreserve path.
        #expect(handler.log.of("unpreserve").isEmpty)
        // Finished files are gone; the session stays open, and finishing again is a no-op.
        #expect(error { _ = try session.retrieveFile(token: 2) } == .unknownToken(session: "vm", token: 2))
        try session.finish()
        try session.close()
        #expect(luo.incomingSessionNames.isEmpty)
        #expect(error { try session.finish() } == .sessionClosed(name: "vm"))
    }

    @Test func finishBeforeRetrieveFinishesUnretrievedFiles() throws {
        let handler = RecordingHandler()
        let luo = try incoming(handler)
        let session = try luo.retrieveSession(named: "vm")
        try session.finish()
        #expect(handler.log.of("retrieve").isEmpty)
        #expect(handler.log.of("finish") == ["finish:vm:3", "finish:vm:2", "finish:vm:1"])
        #expect(handler.finishSaw.values.allSatisfy { !$0.retrieved && !$0.byUser })
    }

    @Test func closingARetrievedSessionFinishesIt() throws {
        let handler = RecordingHandler()
        let luo = try incoming(handler)
        let session = try luo.retrieveSession(named: "vm")
        #expect(try session.close() == .finished)
        #expect(session.isClosed)
        #expect(handler.log.of("finish") == ["finish:vm:3", "finish:vm:2", "finish:vm:1"])
        #expect(error { _ = try luo.retrieveSession(named: "vm") } == .unknownSession(name: "vm"))
    }

    /// `luo_session_release`: the kernel ignores what release returns, so
    /// closing always closes; a refused finish leaks the session and its
    /// files (they stay held, the session stays listed, it can never be
    /// retrieved again).
    @Test func closingWhenCanFinishRefusesClosesAndLeaks() throws {
        let handler = RecordingHandler()
        let luo = try incoming(handler)
        let session = try luo.retrieveSession(named: "vm")
        let kept = try session.retrieveFile(token: 2)
        handler.refuseFinish = [1]
        let outcome = try session.close()
        #expect(outcome == .leaked(.cannotFinish(session: "vm", token: 1, compatible: "test-v1"), tokens: [1, 2, 3]))
        #expect(session.isClosed)
        #expect(handler.log.of("finish").isEmpty)
        #expect(error { try session.finish() } == .sessionClosed(name: "vm"))
        #expect(error { try session.close() } == .sessionClosed(name: "vm"))
        #expect(luo.incomingSessionNames == ["vm"])
        #expect(luo.peekIncomingSession(named: "vm")?.isLeaked == true)
        #expect(error { _ = try luo.retrieveSession(named: "vm") } == .sessionAlreadyRetrieved(name: "vm"))
        // The retrieved file is still held: leaked, not free to preserve.
        let out = try luo.createSession(named: "out")
        #expect(error { try out.preserve(kept, token: 9) }?.errno == EBUSY)
    }

    @Test func incomingAndOutgoingSessionsAreSeparate() throws {
        let luo = try incoming(RecordingHandler())
        let outgoing = try luo.createSession(named: "vm")
        try outgoing.preserve(TestFile("new", value: 5), token: 1)
        let incoming = try luo.retrieveSession(named: "vm")
        #expect(incoming.tokens == [1, 2, 3])
        #expect((try incoming.retrieveFile(token: 1) as? TestFile)?.value == 10)
        #expect(outgoing.tokens == [1])
        #expect(luo.handoverState().sessions == [SessionRecord(name: "vm", files: [
            FileRecord(token: 1, compatible: "test-v1", content: .data(5)),
        ])])
    }

    @Test func aRetrievedFileIsHeldUntilFinished() throws {
        let luo = try incoming(RecordingHandler())
        let incoming = try luo.retrieveSession(named: "vm")
        let restored = try incoming.retrieveFile(token: 2)
        let outgoing = try luo.createSession(named: "next")
        #expect(error { try outgoing.preserve(restored, token: 7) }
            == .fileAlreadyPreserved(session: "next", token: 7, preservedIn: "vm", preservedAs: 2))
        try incoming.finish()
        try outgoing.preserve(restored, token: 7)
        #expect(outgoing.tokens == [7])
    }

    @Test func unknownCompatibleFailsTheLoad() throws {
        let old = try orchestrator(RecordingHandler(compatible: "vfio-v1", prefix: "vfio"), RecordingHandler())
        let session = try old.createSession(named: "vm0")
        try session.preserve(TestFile("a"), token: 1)
        try session.preserve(TestFile("vfio0"), token: 0x42)
        let image = try old.reboot()
        let luo = try orchestrator(RecordingHandler())
        let refused = error { try luo.loadIncoming(bytes: image.bytes) }
        #expect(refused == .unknownCompatible(session: "vm0", token: 0x42, compatible: "vfio-v1"))
        #expect(refused?.errno == ENOENT)
        #expect(refused.map { "\($0)" } == "session \"vm0\" token 0x42: no handler is registered for compatible \"vfio-v1\"")
        #expect(luo.incomingSessionNames.isEmpty)
        #expect(luo.incomingLiveupdateNumber == nil)
    }

    @Test func anImageIsLoadedOnce() throws {
        let image = try LiveUpdateOrchestrator().reboot()
        let luo = LiveUpdateOrchestrator()
        try luo.loadIncoming(bytes: image.bytes)
        let refused = error { try luo.loadIncoming(bytes: image.bytes) }
        #expect(refused == .incomingAlreadyLoaded)
        #expect(refused?.errno == EBUSY)
    }

    @Test func aDamagedImageIsAnImageError() throws {
        let luo = LiveUpdateOrchestrator()
        let refused = error { try luo.loadIncoming(bytes: [1, 2, 3]) }
        #expect(refused == .image(.fileTooSmall(size: 3)))
        #expect(refused?.errno == EINVAL)
        let missing = error { try luo.loadIncoming(path: "/nonexistent/luo.img") }
        #expect(missing?.errno == ENOENT)
    }
}
