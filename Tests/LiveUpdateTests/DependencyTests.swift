import Glibc
import Testing
import LiveUpdate

/// Seeds 000 and 001: dependency tokens only from freeze, dependencies
/// fetched from inside handlers on the incoming side, and can-finish
/// seeing what userspace explicitly retrieved.
@Suite struct DependencyTests {
    /// A handler whose file depends on another file: it records the
    /// dependency's token at freeze, as `.data`.
    final class DependentHandler: FileHandler {
        let compatible = "guest-memfd-v1"
        var dependencyOf: [ObjectIdentifier: TestFile] = [:]
        var lookupFromPreserve: LiveUpdateError?
        var seenDependencyRetrievedByUser: [Bool] = []
        var fetched: [any LiveFile] = []

        func canPreserve(_ args: FileOperationArguments) -> Bool {
            (args.file as? TestFile)?.label.hasPrefix("guest") == true
        }

        func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
            // Looking the dependency up here would enforce ordering: refused.
            let dependency = dependencyOf[ObjectIdentifier(args.file!)]!
            lookupFromPreserve = error {
                _ = try args.session.outgoing!.orchestrator!.tokenOutgoing(args.session.outgoing!, dependency)
            }
            args.serialized = .data(0)
        }

        func unpreserve(_ args: FileOperationArguments) {}

        func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
            let session = args.session.outgoing!
            let dependency = dependencyOf[ObjectIdentifier(args.file!)]!
            args.serialized = .data(try session.orchestrator!.tokenOutgoing(session, dependency))
        }

        func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
            guard case let .data(token) = args.serialized, let session = args.session.incoming else {
                throw args.failure("retrieve", errno: EINVAL, reason: "no token")
            }
            // Kernel-internal retrieval of the dependency.
            fetched.append(try session.orchestrator!.fileIncoming(session, token: token))
            args.file = TestFile("guest-restored")
        }

        func canFinish(_ args: FileOperationArguments) -> Bool {
            guard case let .data(token) = args.serialized, let session = args.session.incoming,
                  let byUser = try? session.wasRetrievedByUser(token: token) else { return false }
            seenDependencyRetrievedByUser.append(byUser)
            return byUser
        }

        func finish(_ args: FileOperationArguments) {}
    }

    @Test func dependencyTokenIsLookedUpAtFreezeInAnyPreservationOrder() throws {
        let dependent = DependentHandler()
        let luo = try orchestrator(dependent, RecordingHandler(prefix: "vm"))
        let session = try luo.createSession(named: "vm0")
        let vm = TestFile("vm-fd")
        let guest = TestFile("guest-memfd")
        dependent.dependencyOf[ObjectIdentifier(guest)] = vm
        // The dependent file first: preservation order is never enforced.
        try session.preserve(guest, token: 0x200)
        try session.preserve(vm, token: 0x100)
        #expect(dependent.lookupFromPreserve == .dependencyLookupOutsideFreeze(session: "vm0", operation: "preserve"))
        #expect(dependent.lookupFromPreserve?.errno == EINVAL)
        #expect(luo.handoverState().sessions[0].files[0].content == .data(0))
        let image = try luo.reboot()
        _ = image
        #expect(luo.handoverState().sessions[0].files.map(\.content) == [.data(0x100), .data(0)])
    }

    @Test func tokenOutgoingOutsideCallbacksAndForStrangersIsRefused() throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(handler)
        let session = try luo.createSession(named: "s")
        let file = TestFile("a")
        try session.preserve(file, token: 7)
        #expect(error { _ = try luo.tokenOutgoing(session, file) }
            == .dependencyLookupOutsideFreeze(session: "s", operation: "outside any callback"))
        var seen: [UInt64] = []
        var stranger: LiveUpdateError?
        handler.onFreeze = { (args: inout FileOperationArguments) throws(LiveUpdateError) in
            seen.append(try luo.tokenOutgoing(session, file))
            stranger = error { _ = try luo.tokenOutgoing(session, TestFile("never preserved")) }
        }
        _ = try luo.reboot()
        #expect(seen == [7])
        #expect(stranger == .fileNotInSession(session: "s"))
        #expect(stranger?.errno == ENOENT)
    }

    @Test func callbacksCannotChangeSessionsEDEADLK() throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(handler)
        let session = try luo.createSession(named: "s")
        var refused: LiveUpdateError?
        handler.onPreserve = { (_: FileOperationArguments) throws(LiveUpdateError) in
            refused = error { try session.preserve(TestFile("nested"), token: 2) }
        }
        try session.preserve(TestFile("outer"), token: 1)
        #expect(refused == .reentrantCall(operation: "preserve", insideCallback: "preserve"))
        #expect(refused?.errno == EDEADLK)
        #expect(session.tokens == [1])
    }

    @Test func dependenciesAreRetrievedFromHandlersAndCheckedAtCanFinish() throws {
        let dependent = DependentHandler()
        let plain = RecordingHandler(prefix: "vm")
        let luo = try orchestrator(dependent, plain)
        let session = try luo.createSession(named: "vm0")
        let vm = TestFile("vm-fd", value: 42)
        let guest = TestFile("guest-memfd")
        dependent.dependencyOf[ObjectIdentifier(guest)] = vm
        try session.preserve(vm, token: 0x100)
        try session.preserve(guest, token: 0x200)

        let newDependent = DependentHandler()
        let newPlain = RecordingHandler(prefix: "vm")
        let next = try handOver(luo, to: [newDependent, newPlain])
        let incoming = try next.retrieveSession(named: "vm0")
        // Userspace retrieves the dependent file first; its handler pulls the dependency in.
        let restoredGuest = try incoming.retrieveFile(token: 0x200)
        #expect((restoredGuest as? TestFile)?.label == "guest-restored")
        #expect(newDependent.fetched.count == 1)
        let dependency = newDependent.fetched[0]
        #expect((dependency as? TestFile)?.value == 42)
        #expect(try incoming.isFileRetrieved(token: 0x100))
        #expect(try incoming.wasRetrievedByUser(token: 0x100) == false)
        #expect(try incoming.wasRetrievedByUser(token: 0x200) == true)

        // The dependency was never retrieved by userspace: finish is refused, nothing finished.
        let refused = error { try incoming.finish() }
        #expect(refused == .cannotFinish(session: "vm0", token: 0x200, compatible: "guest-memfd-v1"))
        #expect(refused?.errno == EBUSY)
        #expect(newDependent.seenDependencyRetrievedByUser == [false])
        #expect(newPlain.log.of("finish").isEmpty)
        #expect(incoming.tokens == [0x100, 0x200])

        // Userspace retrieves it: the same object the handler got, and finish goes through.
        let retrieved = try incoming.retrieveFile(token: 0x100)
        #expect(retrieved === dependency)
        #expect(newPlain.log.of("retrieve") == ["retrieve:vm0:256"])
        try incoming.finish()
        #expect(newDependent.seenDependencyRetrievedByUser == [false, true])
        #expect(newPlain.finishSaw[0x100]! == (retrieved: true, byUser: true))
        #expect(incoming.tokens.isEmpty)
    }
}
