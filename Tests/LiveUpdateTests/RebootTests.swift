import Glibc
import Testing
import LiveUpdate

/// reboot(): freeze order, rollback on failure, the image it writes.
@Suite struct RebootTests {
    @Test func freezesSessionsInCreationOrderAndFilesInPreservationOrder() throws {
        let log = CallLog()
        let luo = try orchestrator(RecordingHandler(log: log))
        let a = try luo.createSession(named: "a")
        let b = try luo.createSession(named: "b")
        try b.preserve(TestFile("b1", value: 21), token: 1)
        try a.preserve(TestFile("a1", value: 11), token: 3)
        try a.preserve(TestFile("a2", value: 12), token: 2)
        try b.preserve(TestFile("b2", value: 22), token: 9)
        let image = try luo.reboot()
        #expect(log.of("freeze") == ["freeze:a:3", "freeze:a:2", "freeze:b:1", "freeze:b:9"])
        #expect(log.of("unfreeze").isEmpty)
        let decoded = try KHOImageReader.decodeImage(.init(copying: image.bytes))
        #expect(decoded.state == HandoverState(liveupdateNumber: 1, sessions: [
            SessionRecord(name: "a", files: [FileRecord(token: 3, compatible: "test-v1", content: .data(11)),
                                             FileRecord(token: 2, compatible: "test-v1", content: .data(12))]),
            SessionRecord(name: "b", files: [FileRecord(token: 1, compatible: "test-v1", content: .data(21)),
                                             FileRecord(token: 9, compatible: "test-v1", content: .data(22))]),
        ]))
        #expect(luo.isHandedOver)
    }

    @Test func freezeSeesChangesMadeAfterPreserve() throws {
        let luo = try orchestrator(RecordingHandler())
        let session = try luo.createSession(named: "s")
        let file = TestFile("f", value: 1)
        try session.preserve(file, token: 1)
        file.value = 99
        let image = try luo.reboot()
        let decoded = try KHOImageReader.decodeImage(.init(copying: image.bytes))
        #expect(decoded.state.sessions[0].files[0].content == .data(99))
    }

    @Test func aFailedFreezeUnfreezesInReverseAndWritesNothing() throws {
        let log = CallLog()
        let handler = RecordingHandler(log: log)
        handler.failFreeze = ["b1"]
        let luo = try orchestrator(handler)
        let a = try luo.createSession(named: "a")
        let b = try luo.createSession(named: "b")
        try a.preserve(TestFile("a1"), token: 1)
        try a.preserve(TestFile("a2"), token: 2)
        try b.preserve(TestFile("b0"), token: 3)
        try b.preserve(TestFile("b1"), token: 4)
        try b.preserve(TestFile("b2"), token: 5)
        let path = "/tmp/luo-reboot-fail-\(getpid()).img"
        unlink(path)
        let refused = error { try luo.reboot(writingTo: path) }
        #expect(refused == .handlerFailed(session: "b", token: 4, compatible: "test-v1", operation: "freeze",
                                          errno: 16, reason: "told to fail"))
        #expect(refused?.errno == EBUSY)
        #expect(log.of("freeze") == ["freeze:a:1", "freeze:a:2", "freeze:b:3", "freeze:b:4"])
        #expect(log.of("unfreeze") == ["unfreeze:b:3", "unfreeze:a:2", "unfreeze:a:1"])
        #expect(access(path, F_OK) != 0)
        #expect(!luo.isHandedOver)
        // Nothing else changed: fix the file and reboot again.
        handler.failFreeze = []
        try luo.reboot(writingTo: path)
        let decoded = try KHOImageReader.readImage(path: path)
        #expect(decoded.state.sessions.map(\.name) == ["a", "b"])
        #expect(decoded.state.sessions.map { $0.files.map(\.token) } == [[1, 2], [3, 4, 5]])
        unlink(path)
    }

    @Test func anImageTheWriterRefusesUnfreezesEverything() throws {
        let log = CallLog()
        let handler = RecordingHandler(log: log)
        let raw = RawDataHandler(compatible: "blob-v1")
        let luo = try orchestrator(handler, raw)
        let session = try luo.createSession(named: "s")
        try session.preserve(TestFile("a"), token: 1)
        try session.preserve(RawFile(compatible: "blob-v1", content: .payload([])), token: 2)
        let refused = error { _ = try luo.reboot() }
        #expect(refused == .image(.invalidModel(.emptyPayload(session: "s", token: 2))))
        #expect(refused?.errno == EINVAL)
        #expect(log.of("unfreeze") == ["unfreeze:s:1"])
        #expect(!luo.isHandedOver)
    }

    @Test func anUnwritablePathUnfreezesEverything() throws {
        let log = CallLog()
        let luo = try orchestrator(RecordingHandler(log: log))
        try luo.createSession(named: "s").preserve(TestFile("a"), token: 1)
        let refused = error { try luo.reboot(writingTo: "/nonexistent-dir/x.img") }
        guard case let .image(.io(path, _, code)) = refused else {
            Issue.record("expected an I/O error, got \(String(describing: refused))")
            return
        }
        #expect(path.hasPrefix("/nonexistent-dir/"))
        #expect(code == ENOENT)
        #expect(refused?.errno == ENOENT)
        #expect(log.of("unfreeze") == ["unfreeze:s:1"])
    }

    @Test func afterAHandoverTheOutgoingSideIsClosedEBUSY() throws {
        let luo = try orchestrator(RecordingHandler())
        let session = try luo.createSession(named: "s")
        _ = try luo.reboot()
        let refused = error { _ = try luo.createSession(named: "t") }
        #expect(refused == .alreadyHandedOver)
        #expect(refused?.errno == EBUSY)
        #expect(error { try session.preserve(TestFile("a"), token: 1) } == .alreadyHandedOver)
        #expect(error { try session.close() } == .alreadyHandedOver)
        #expect(error { _ = try luo.reboot() } == .alreadyHandedOver)
    }

    @Test func liveupdateNumberCountsUpAcrossUpdates() throws {
        var luo = LiveUpdateOrchestrator()
        #expect(luo.liveupdateNumber == 1)
        for expected in UInt64(1)...4 {
            _ = try luo.createSession(named: "state")
            let image = try luo.reboot()
            let decoded = try KHOImageReader.decodeImage(.init(copying: image.bytes))
            #expect(decoded.state.liveupdateNumber == expected)
            luo = LiveUpdateOrchestrator()
            try luo.loadIncoming(decoded)
            #expect(luo.incomingLiveupdateNumber == expected)
            #expect(luo.liveupdateNumber == expected + 1)
            try luo.retrieveSession(named: "state").close()
        }
    }
}
