import Glibc
import LiveUpdate
import Testing

/// What a handler, an FLB, a loader and a test written outside the package
/// can do with `import LiveUpdate` alone (no `@testable`, no internal
/// module): this file imports nothing else, so it does not compile if one
/// of these names is not public or not re-exported.
@Suite struct PublicAPITests {
    /// The model types a user must name come with `import LiveUpdate`.
    @Test func modelTypesAreExportedThroughTheProduct() throws {
        let contents = MemfdContents(contents: Array("hi".utf8))
        let content: FileContent = .memfd(contents)
        let state = HandoverState(liveupdateNumber: 4, sessions: [
            SessionRecord(name: "vm", files: [FileRecord(token: 1, compatible: "memfd-v2", content: content)]),
        ], flbs: [FLBRecord(name: "f-v1", data: 7, count: 1)])
        let bytes = ReadOnlyBytes(copying: [0, 1, 2])
        let generation: KernelGeneration = .linux7_1
        #expect(state.sessions.count == 1)
        #expect(bytes.count == 3)
        #expect(generation != .linux7_3)
        #expect(LiveUpdateOrchestrator(generation: generation).rules.flbRetrieveFailureIsSticky == false)
        #expect(LiveUpdateOrchestrator(generation: .linux7_3).rules.flbRetrieveFailureIsSticky)
    }

    /// A handler reaches the orchestrator from the arguments of every
    /// callback: `tokenOutgoing` in freeze, `fileIncoming` in retrieve.
    @Test func theOrchestratorIsReachableFromTheArguments() throws {
        final class Pair: FileHandler {
            let compatible = "pair-v1"
            var partner: [ObjectIdentifier: TestFile] = [:]
            var sawOrchestrator: [String: Bool] = [:]
            func canPreserve(_ args: FileOperationArguments) -> Bool {
                (args.file as? TestFile)?.label.hasPrefix("pair") == true
            }
            func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
                sawOrchestrator["preserve"] = args.orchestrator != nil
                args.serialized = .data(0)
            }
            func unpreserve(_ args: FileOperationArguments) {}
            func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
                sawOrchestrator["freeze"] = args.orchestrator === args.session.outgoing?.orchestrator
                guard let dependency = partner[ObjectIdentifier(args.file!)] else { return }
                args.serialized = .data(try args.tokenOutgoing(of: dependency))
            }
            func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
                sawOrchestrator["retrieve"] = args.orchestrator != nil
                if case let .data(token) = args.serialized, token != 0 {
                    _ = try args.fileIncoming(token: token)
                }
                args.file = TestFile("pair-restored-\(args.token)")
            }
            func finish(_ args: FileOperationArguments) {}
        }
        let handler = Pair()
        let luo = LiveUpdateOrchestrator()
        try luo.register(handler)
        let session = try luo.createSession(named: "s")
        let a = TestFile("pair-a")
        let b = TestFile("pair-b")
        handler.partner[ObjectIdentifier(b)] = a
        try session.preserve(b, token: 2)
        try session.preserve(a, token: 1)
        let image = try luo.reboot()
        let next = LiveUpdateOrchestrator()
        try next.register(handler)
        try next.loadIncoming(bytes: image.bytes)
        let incoming = try next.retrieveSession(named: "s")
        _ = try incoming.retrieveFile(token: 2)
        #expect(try incoming.isFileRetrieved(token: 1))
        #expect(try !incoming.wasRetrievedByUser(token: 1))
        #expect(handler.sawOrchestrator == ["preserve": true, "freeze": true, "retrieve": true])
    }

    /// A handler is unit-tested by calling its callbacks with arguments
    /// built by hand, on sessions from a state loaded without any image.
    @Test func aHandlerCanBeUnitTestedWithHandBuiltArguments() throws {
        let handler = RecordingHandler()
        let luo = LiveUpdateOrchestrator()
        try luo.register(handler)
        let outgoing = try luo.createSession(named: "unit")
        var args = FileOperationArguments(handler: handler, session: .outgoing(outgoing), token: 5,
                                          file: TestFile("x", value: 42), serialized: .data(0))
        try handler.preserve(&args)
        #expect(args.serialized == .data(42))
        #expect(args.orchestrator === luo)

        let next = LiveUpdateOrchestrator()
        try next.register(handler)
        try next.loadIncoming(HandoverState(liveupdateNumber: 1, sessions: [
            SessionRecord(name: "unit", files: [FileRecord(token: 5, compatible: "test-v1", content: .data(42))]),
        ]))
        let incoming = try next.retrieveSession(named: "unit")
        var retrieve = FileOperationArguments(handler: handler, session: .incoming(incoming), token: 5, file: nil,
                                              serialized: .data(42), dataInImage: 42)
        try handler.retrieve(&retrieve)
        #expect((retrieve.file as? TestFile)?.value == 42)
        let finish = FileOperationArguments(handler: handler, session: .incoming(incoming), token: 5,
                                            file: retrieve.file, serialized: .data(42), retrieved: true,
                                            retrievedByUser: true)
        #expect(handler.canFinish(finish))
        #expect(incoming.tokens == [5])
        #expect(next.incomingLiveupdateNumber == 1)
    }

    /// An FLB is unit-tested the same way.
    @Test func anFLBCanBeUnitTestedWithHandBuiltArguments() throws {
        let flb = RecordingFLB("unit-flb-v1", data: 9)
        var args = FLBOperationArguments(flb: flb)
        try flb.preserve(&args)
        #expect(args.data == 9)
        var incoming = FLBOperationArguments(flb: flb, data: 9)
        try flb.retrieve(&incoming)
        flb.finish(incoming)
        #expect(flb.calls == ["preserve", "retrieve:9", "finish:incoming-9"])
    }

    /// Boot-time code looks at an incoming session without consuming the
    /// one `retrieveSession` userspace gets.
    @Test func peekDoesNotRetrieve() throws {
        let handler = RecordingHandler()
        let next = LiveUpdateOrchestrator()
        try next.register(handler)
        try next.loadIncoming(HandoverState(liveupdateNumber: 3, sessions: [
            SessionRecord(name: "vm", files: [
                FileRecord(token: 1, compatible: "test-v1", content: .data(10)),
                FileRecord(token: 2, compatible: "test-v1", content: .data(20)),
            ]),
        ]))
        let before = try #require(next.peekIncomingSession(named: "vm"))
        #expect(before.name == "vm")
        #expect(!before.isRetrieved)
        #expect(before.files.map(\.token) == [1, 2])
        #expect(before.files.map(\.compatible) == ["test-v1", "test-v1"])
        #expect(before.files.map(\.content) == [.data(10), .data(20)])
        #expect(before.files.allSatisfy { !$0.isRetrieved && !$0.isRetrievedByUser })
        #expect(next.peekIncomingSession(named: "nope") == nil)
        #expect(next.incomingSessionSnapshots == [before])
        #expect(handler.log.entries.isEmpty)
        // Userspace still gets its one retrieve.
        let session = try next.retrieveSession(named: "vm")
        _ = try session.retrieveFile(token: 2)
        let after = try #require(next.peekIncomingSession(named: "vm"))
        #expect(after.isRetrieved)
        #expect(after.files[1].isRetrieved && after.files[1].isRetrievedByUser)
    }

    /// The loader's view: an image in memory (a buffer at a physical
    /// address, as a RAM dump would hold it) loaded through the reader.
    @Test func aLoaderReadsMemory() throws {
        let luo = LiveUpdateOrchestrator(generation: .linux7_3, imageBase: 0x1000_0000)
        try luo.register(RawDataHandler(compatible: "raw-v1"))
        let session = try luo.createSession(named: "vm")
        try session.preserve(RawFile(compatible: "raw-v1", content: .data(0xabc)), token: 1)
        let image = try luo.reboot()
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state.sessions.map(\.name) == ["vm"])
        let next = LiveUpdateOrchestrator(generation: .linux7_3)
        try next.register(RawDataHandler(compatible: "raw-v1"))
        try next.loadIncoming(decoded)
        #expect(next.peekIncomingSession(named: "vm")?.files.first?.dataInImage == 0xabc)
    }
}
