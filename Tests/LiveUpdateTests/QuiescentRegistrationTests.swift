import Glibc
import LiveUpdate
import Testing

/// v6.19 and v7.0 (un)register handlers and FLBs only while no session
/// exists, incoming or outgoing (`luo_session_quiesce()`, -EBUSY), a rule
/// v7.1 dropped; v6.19 has no FLBs. The same calls succeed on v7.1 and v7.3.
@Suite struct QuiescentRegistrationTests {
    @Test(arguments: [KernelGeneration.linux7_0, .linux6_19])
    func registrationWhileAnOutgoingSessionExistsIsEBUSY(_ generation: KernelGeneration) throws {
        let luo = LiveUpdateOrchestrator(generation: generation)
        let first = RecordingHandler(compatible: "first-v1")
        try luo.register(first)
        let session = try luo.createSession(named: "vm")
        let refused = error { try luo.register(RecordingHandler(compatible: "second-v1")) }
        #expect(refused?.errno == EBUSY)
        #expect(error { try luo.unregister(first) }?.errno == EBUSY)
        #expect(luo.registeredCompatibles == ["first-v1"])
        // Quiescent again once the session is gone.
        try session.close()
        try luo.register(RecordingHandler(compatible: "second-v1"))
        try luo.unregister(first)
        #expect(luo.registeredCompatibles == ["second-v1"])
    }

    @Test func incomingSessionsCountToo() throws {
        let old = LiveUpdateOrchestrator(generation: .linux7_0)
        try old.register(RecordingHandler(compatible: "test-v1"))
        try old.createSession(named: "vm").preserve(TestFile("a"), token: 1)
        let image = try old.reboot()
        let next = LiveUpdateOrchestrator(generation: .linux7_0)
        let handler = RecordingHandler(compatible: "test-v1")
        try next.register(handler)
        try next.loadIncoming(bytes: image.bytes)
        #expect(error { try next.register(RecordingHandler(compatible: "late-v1")) }?.errno == EBUSY)
        #expect(error { try next.register(RecordingFLB("late-flb-v1"), for: handler) }?.errno == EBUSY)
    }

    @Test func v619HasNoFLBs() throws {
        let luo = LiveUpdateOrchestrator(generation: .linux6_19)
        let handler = RecordingHandler(compatible: "test-v1")
        try luo.register(handler)
        #expect(error { try luo.register(RecordingFLB("flb-v1"), for: handler) }?.errno == EOPNOTSUPP)
    }

    @Test(arguments: [KernelGeneration.linux7_1, .linux7_3])
    func laterKernelsRegisterWithSessionsOpen(_ generation: KernelGeneration) throws {
        let luo = LiveUpdateOrchestrator(generation: generation)
        _ = try luo.createSession(named: "vm")
        let handler = RecordingHandler(compatible: "any-v1")
        try luo.register(handler)
        try luo.register(RecordingFLB("flb-v1"), for: handler)
        try luo.unregister(handler)
    }
}
