import Glibc
import LiveUpdate
import Testing

/// Handler and FLB registration as `liveupdate_register_file_handler`,
/// `liveupdate_unregister_file_handler`, `liveupdate_register_flb` and
/// `liveupdate_unregister_flb` behave in v7.1 and v7.3 (luo_file.c,
/// luo_flb.c): every test runs for both generations.
@Suite struct RegistrationTests {
    static let generations: [KernelGeneration] = [.linux7_1, .linux7_3]

    func orchestrator(_ generation: KernelGeneration, _ handlers: any FileHandler...) throws -> LiveUpdateOrchestrator {
        let luo = LiveUpdateOrchestrator(generation: generation)
        for handler in handlers { try luo.register(handler) }
        return luo
    }

    @Test(arguments: generations) func duplicateCompatibleIsEEXIST(_ generation: KernelGeneration) throws {
        let luo = try orchestrator(generation, RecordingHandler(compatible: "memfd-v1"))
        let refused = error { try luo.register(RecordingHandler(compatible: "memfd-v1")) }
        #expect(refused == .handlerExists(compatible: "memfd-v1"))
        #expect(refused?.errno == EEXIST)
        #expect(luo.registeredCompatibles == ["memfd-v1"])
    }

    /// The kernel checks the ops and duplicates only; a compatible the file
    /// array cannot hold is the image writer's business, at reboot.
    @Test(arguments: generations) func compatiblesAreNotValidatedAtRegistration(_ generation: KernelGeneration) throws {
        let luo = LiveUpdateOrchestrator(generation: generation)
        let tooLong = String(repeating: "c", count: 48)
        try luo.register(RecordingHandler(compatible: tooLong))
        try luo.register(RecordingHandler(compatible: ""))
        let handler = RecordingHandler(compatible: "ok-v1")
        try luo.register(handler)
        try luo.register(RecordingFLB(String(repeating: "f", count: 60)), for: handler)
        #expect(luo.registeredCompatibles == [tooLong, "", "ok-v1"])
        // The image cannot hold it: reboot refuses, nothing is handed over.
        let session = try luo.createSession(named: "s")
        try session.preserve(TestFile("long"), token: 1)
        let refused = error { _ = try luo.reboot() }
        guard case .image = refused else {
            Issue.record("reboot gave \(String(describing: refused))")
            return
        }
        #expect(!luo.isHandedOver)
    }

    /// v7.0 refused (un)registration with -EBUSY while sessions existed;
    /// v7.1 and v7.3 do not.
    @Test(arguments: generations) func registrationIsAllowedWhileSessionsExist(_ generation: KernelGeneration) throws {
        let handler = RecordingHandler(prefix: "a")
        let luo = try orchestrator(generation, handler)
        let session = try luo.createSession(named: "busy")
        try session.preserve(TestFile("a"), token: 1)
        let late = RecordingHandler(compatible: "late-v1", prefix: "late")
        try luo.register(late)
        let flb = RecordingFLB("f-v1")
        try luo.register(flb, for: late)
        try session.preserve(TestFile("late-b"), token: 2)
        #expect(luo.flbOutgoingCount(flb) == 1)
        try luo.unregister(handler)
        #expect(luo.registeredCompatibles == ["late-v1"])
        // A file preserved before keeps its handler.
        try session.close()
        #expect(handler.log.of("unpreserve") == ["unpreserve:busy:1"])
        #expect(flb.calls == ["preserve", "unpreserve:\(0xf1b):outgoing-f-v1"])
    }

    @Test(arguments: generations) func registrationIsAllowedWithIncomingSessions(_ generation: KernelGeneration) throws {
        let old = try orchestrator(generation, RecordingHandler())
        _ = try old.createSession(named: "kept")
        let image = try old.reboot()
        let new = try orchestrator(generation, RecordingHandler())
        try new.loadIncoming(bytes: image.bytes)
        try new.register(RecordingHandler(compatible: "x-v1"))
        #expect(new.registeredCompatibles == ["test-v1", "x-v1"])
    }

    /// `liveupdate_unregister_file_handler` returns void: nothing to refuse.
    @Test(arguments: generations) func unregisteringAnUnknownHandlerIsANoOp(_ generation: KernelGeneration) throws {
        let luo = try orchestrator(generation, RecordingHandler(compatible: "real-v1"))
        try luo.unregister(RecordingHandler(compatible: "ghost-v1"))
        #expect(luo.registeredCompatibles == ["real-v1"])
    }

    @Test(arguments: generations) func flbRegistrationRules(_ generation: KernelGeneration) throws {
        let first = RecordingHandler(compatible: "iommufd-v1")
        let second = RecordingHandler(compatible: "vfio-v1")
        let luo = try orchestrator(generation, first, second)
        let flb = RecordingFLB("iommu-core-v1")
        try luo.register(flb, for: first)
        // The same FLB twice for a handler.
        let twice = error { try luo.register(flb, for: first) }
        #expect(twice == .flbExists(flb: "iommu-core-v1", handler: "iommufd-v1"))
        #expect(twice?.errno == EEXIST)
        // The same FLB for a second handler is one more user.
        try luo.register(flb, for: second)
        // Another FLB object with a taken compatible.
        #expect(error { try luo.register(RecordingFLB("iommu-core-v1"), for: second) }
            == .flbExists(flb: "iommu-core-v1", handler: "vfio-v1"))
        // Unregistering a link that does not exist: warned about, ignored.
        try luo.unregister(RecordingFLB("y-v1"), from: first)
        try luo.unregister(flb, from: first)
        try luo.unregister(flb, from: second)
        // Gone from the global list: the compatible is free for another object.
        try luo.register(RecordingFLB("iommu-core-v1"), for: second)
    }

    /// `liveupdate_register_flb`: an unregistered handler is -EINVAL, and it
    /// is checked before anything else (here: before the duplicate check
    /// and the 63-FLB limit).
    @Test(arguments: generations) func flbForAnUnregisteredHandlerIsEINVALFirst(_ generation: KernelGeneration) throws {
        let registered = RecordingHandler(compatible: "reg-v1")
        let luo = try orchestrator(generation, registered)
        for index in 0..<63 { try luo.register(RecordingFLB("flb-\(index)"), for: registered) }
        let stranger = RecordingHandler(compatible: "nope-v1")
        let refused = error { try luo.register(RecordingFLB("flb-63"), for: stranger) }
        #expect(refused == .flbHandlerNotRegistered(flb: "flb-63", handler: "nope-v1"))
        #expect(refused?.errno == EINVAL)
    }

    /// On an FLB's first registration the limit comes before the compatible
    /// check: a 64th FLB with a taken compatible is -ENOSPC.
    @Test(arguments: generations) func the64thFLBIsENOSPCBeforeTheCompatibleCheck(_ generation: KernelGeneration) throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(generation, handler)
        for index in 0..<63 { try luo.register(RecordingFLB("flb-\(index)"), for: handler) }
        let refused = error { try luo.register(RecordingFLB("flb-63"), for: handler) }
        #expect(refused == .tooManyFLBs(flb: "flb-63", maximum: 63))
        #expect(refused?.errno == ENOSPC)
        #expect(error { try luo.register(RecordingFLB("flb-0"), for: handler) }?.errno == ENOSPC)
    }
}
