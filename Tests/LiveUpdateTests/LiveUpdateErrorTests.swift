import Glibc
import Testing
import LiveUpdate

/// Every error case maps to the kernel's errno for the same situation and
/// names what it is about.
@Suite struct LiveUpdateErrorTests {
    static let table: [(LiveUpdateError, Int32, String)] = [
        (.handlerExists(compatible: "memfd-v1"), EEXIST, "a file handler \"memfd-v1\" is already registered"),
        (.flbHandlerNotRegistered(flb: "f", handler: "x-v1"), EINVAL,
         "cannot register FLB \"f\": file handler \"x-v1\" is not registered"),
        (.unpreserveOutOfOrder(session: "s", token: 1, lastToken: 2), EINVAL,
         "session \"s\" token 0x1: only the last preserved file (token 0x2) can be unpreserved"),
        (.retrieveCycle(session: "s", token: 1, requestedBySession: "s", requestedBy: 2), EDEADLK,
         "session \"s\" token 0x1: circular dependency: its retrieve is still running and token 0x2 asked for it"),
        (.flbFinishSkipped(flb: "f", retrieveError: .flbFailed(flb: "f", operation: "retrieve", errno: EIO, reason: "r")),
         EIO, "FLB \"f\": retrieve failed at finish, so its finish did not run and its state is leaked: FLB \"f\": retrieve failed: r (errno 5)"),
        (.flbExists(flb: "f", handler: "h"), EEXIST, "FLB \"f\" is already registered (handler \"h\")"),
        (.flbNotRegistered(flb: "f", handler: "h"), ENOENT, "FLB \"f\" is not registered with handler \"h\""),
        (.flbNotRegistered(flb: "f", handler: ""), ENOENT, "FLB \"f\" is not registered"),
        (.tooManyFLBs(flb: "f", maximum: 63), ENOSPC, "cannot register FLB \"f\": at most 63 FLBs exist"),
        (.invalidSessionName(name: "", reason: .empty), EINVAL, "session name \"\" is empty"),
        (.sessionExists(name: "s"), EEXIST, "an outgoing session \"s\" already exists"),
        (.tooManySessions(name: "s", maximum: 819), ENOMEM, "cannot create session \"s\": at most 819 outgoing sessions"),
        (.sessionClosed(name: "s"), EBADF, "session \"s\" is closed"),
        (.tokenExists(session: "s", token: 0x10), EEXIST, "session \"s\" already has a file with token 0x10"),
        (.tooManyFiles(session: "s", token: 0x80, maximum: 128), ENOSPC,
         "session \"s\" token 0x80: the session already holds 128 files"),
        (.noHandler(session: "s", token: 1), ENOENT, "session \"s\" token 0x1: no registered handler can preserve the file"),
        (.fileAlreadyPreserved(session: "s", token: 2, preservedIn: "t", preservedAs: 3), EBUSY,
         "session \"s\" token 0x2: the file is already held by session \"t\" as token 0x3"),
        (.unknownToken(session: "s", token: 0xdead), ENOENT, "session \"s\" has no file with token 0xdead"),
        (.fileNotInSession(session: "s"), ENOENT, "the file is not preserved in session \"s\""),
        (.dependencyLookupOutsideFreeze(session: "s", operation: "preserve"), EINVAL,
         "session \"s\": tokenOutgoing called from preserve; dependency tokens are looked up only from freeze"),
        (.reentrantCall(operation: "close", insideCallback: "freeze"), EDEADLK, "close called from inside the freeze callback"),
        (.alreadyHandedOver, EBUSY, "the live update was already handed over by reboot()"),
        (.unknownSession(name: "s"), ENOENT, "no incoming session \"s\""),
        (.sessionAlreadyRetrieved(name: "s"), EINVAL, "incoming session \"s\" was already retrieved"),
        (.incomingAlreadyLoaded, EBUSY, "an incoming image was already loaded"),
        (.unknownCompatible(session: "s", token: 1, compatible: "c"), ENOENT,
         "session \"s\" token 0x1: no handler is registered for compatible \"c\""),
        (.cannotFinish(session: "s", token: 1, compatible: "c"), EBUSY,
         "session \"s\" token 0x1 (c): can-finish refused; nothing was finished"),
        (.flbNoIncomingData(flb: "f"), ENODATA, "FLB \"f\": no incoming FLB data"),
        (.flbNotInImage(flb: "f"), ENOENT, "FLB \"f\" is not in the incoming image"),
        (.handlerFailed(session: "s", token: 1, compatible: "c", operation: "freeze", errno: EIO, reason: "r"), EIO,
         "session \"s\" token 0x1 (c): freeze failed: r (errno 5)"),
        (.flbFailed(flb: "f", operation: "preserve", errno: ENOMEM, reason: "r"), ENOMEM,
         "FLB \"f\": preserve failed: r (errno 12)"),
        (.system(operation: "fstat", errno: EBADF), EBADF, "fstat failed: Bad file descriptor"),
        (.image(.fileTooSmall(size: 3)), EINVAL, "image: input is 3 bytes, smaller than an FDT header (40 bytes)"),
        (.image(.io(path: "/x", operation: "open", errno: ENOENT)), ENOENT, "image: /x: open failed: No such file or directory"),
    ]

    @Test(arguments: 0..<LiveUpdateErrorTests.table.count)
    func errnoAndDescription(_ index: Int) {
        let (error, code, text) = Self.table[index]
        #expect(error.errno == code)
        #expect(error.description == text)
    }

    @Test func aRetrieveThatSetsNoFileIsRefused() throws {
        final class Forgetful: FileHandler {
            let compatible = "test-v1"
            func canPreserve(_ args: FileOperationArguments) -> Bool { true }
            func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) { args.serialized = .data(1) }
            func unpreserve(_ args: FileOperationArguments) {}
            func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {}
            func finish(_ args: FileOperationArguments) {}
        }
        let old = try orchestrator(Forgetful())
        try old.createSession(named: "s").preserve(TestFile("a"), token: 4)
        let luo = try handOver(old, to: [Forgetful()])
        let session = try luo.retrieveSession(named: "s")
        #expect(error { _ = try session.retrieveFile(token: 4) }
            == .handlerFailed(session: "s", token: 4, compatible: "test-v1", operation: "retrieve",
                              errno: EINVAL, reason: "the handler set no file"))
    }

    @Test func fileIncomingOnAClosedSessionIsEBADF() throws {
        let old = try orchestrator(RecordingHandler())
        try old.createSession(named: "s").preserve(TestFile("a"), token: 4)
        let luo = try handOver(old, to: [RecordingHandler()])
        let session = try luo.retrieveSession(named: "s")
        try session.close()
        #expect(error { _ = try luo.fileIncoming(session, token: 4) } == .sessionClosed(name: "s"))
        #expect(error { _ = try session.retrieveFile(token: 4) } == .sessionClosed(name: "s"))
    }

    @Test func tokenOutgoingOnAClosedSessionIsEBADF() throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(handler)
        let gone = try luo.createSession(named: "gone")
        let file = TestFile("g")
        try gone.preserve(file, token: 1)
        try gone.close()
        try luo.createSession(named: "live").preserve(TestFile("l"), token: 2)
        var refused: LiveUpdateError?
        handler.onFreeze = { (_: inout FileOperationArguments) throws(LiveUpdateError) in
            refused = error { _ = try luo.tokenOutgoing(gone, file) }
        }
        _ = try luo.reboot()
        #expect(refused == .sessionClosed(name: "gone"))
    }

    @Test func memfdSystemErrorsNameTheCall() throws {
        let file = MemfdFile(adopting: -1)
        #expect(error { _ = try file.size() } == .system(operation: "fstat(memfd -1)", errno: EBADF))
        #expect(error { _ = try file.position() } == .system(operation: "lseek(memfd -1)", errno: EBADF))
        #expect(error { try file.write([1]) } == .system(operation: "write(memfd -1)", errno: EBADF))
    }
}
