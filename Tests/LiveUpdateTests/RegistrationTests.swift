import Glibc
import Testing
@testable import LiveUpdate

/// Handler and FLB registration: compatible rules, duplicates, limits, and
/// the no-session rule.
@Suite struct RegistrationTests {
    @Test func duplicateCompatibleIsEEXIST() throws {
        let luo = try orchestrator(RecordingHandler(compatible: "memfd-v1"))
        let refused = error { try luo.register(RecordingHandler(compatible: "memfd-v1")) }
        #expect(refused == .handlerExists(compatible: "memfd-v1"))
        #expect(refused?.errno == EEXIST)
        #expect(luo.registeredCompatibles == ["memfd-v1"])
    }

    @Test func compatibleIsOneTo47Bytes() throws {
        let luo = LiveUpdateOrchestrator()
        let longest = String(repeating: "c", count: 47)
        try luo.register(RecordingHandler(compatible: longest))
        let tooLong = String(repeating: "c", count: 48)
        let refused = error { try luo.register(RecordingHandler(compatible: tooLong)) }
        #expect(refused == .invalidCompatible(compatible: tooLong, reason: "is 48 bytes, at most 47 fit"))
        #expect(refused?.errno == EINVAL)
        #expect(error { try luo.register(RecordingHandler(compatible: "")) }
            == .invalidCompatible(compatible: "", reason: "is empty"))
        #expect(error { try luo.register(RecordingHandler(compatible: "a\0")) }
            == .invalidCompatible(compatible: "a\0", reason: "holds a NUL byte"))
    }

    @Test func registrationNeedsNoSessionsEBUSY() throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(handler)
        let session = try luo.createSession(named: "busy")
        let refused = error { try luo.register(RecordingHandler(compatible: "late-v1")) }
        #expect(refused == .registrationBusy(compatible: "late-v1", sessions: 1))
        #expect(refused?.errno == EBUSY)
        #expect(error { try luo.unregister(handler) } == .registrationBusy(compatible: "test-v1", sessions: 1))
        #expect(error { try luo.register(RecordingFLB("f-v1"), for: handler) }
            == .registrationBusy(compatible: "f-v1", sessions: 1))
        try session.close()
        try luo.register(RecordingHandler(compatible: "late-v1"))
        try luo.unregister(handler)
        #expect(luo.registeredCompatibles == ["late-v1"])
    }

    @Test func incomingSessionsAlsoBlockRegistration() throws {
        let old = try orchestrator(RecordingHandler())
        _ = try old.createSession(named: "kept")
        let new = try handOver(old, to: [RecordingHandler()])
        #expect(error { try new.register(RecordingHandler(compatible: "x-v1")) }
            == .registrationBusy(compatible: "x-v1", sessions: 1))
        try new.retrieveSession(named: "kept").close()
        try new.register(RecordingHandler(compatible: "x-v1"))
        #expect(new.registeredCompatibles == ["test-v1", "x-v1"])
    }

    @Test func unregisteringAnUnknownHandlerIsENOENT() throws {
        let luo = LiveUpdateOrchestrator()
        let refused = error { try luo.unregister(RecordingHandler(compatible: "ghost-v1")) }
        #expect(refused == .handlerNotRegistered(compatible: "ghost-v1"))
        #expect(refused?.errno == ENOENT)
    }

    @Test func flbRegistrationRules() throws {
        let first = RecordingHandler(compatible: "iommufd-v1")
        let second = RecordingHandler(compatible: "vfio-v1")
        let luo = try orchestrator(first, second)
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
        // A handler that is not registered.
        #expect(error { try luo.register(RecordingFLB("x-v1"), for: RecordingHandler(compatible: "nope-v1")) }
            == .handlerNotRegistered(compatible: "nope-v1"))
        // Unregistering a link that does not exist.
        let missing = error { try luo.unregister(RecordingFLB("y-v1"), from: first) }
        #expect(missing == .flbNotRegistered(flb: "y-v1", handler: "iommufd-v1"))
        #expect(missing?.errno == ENOENT)
        try luo.unregister(flb, from: first)
        try luo.unregister(flb, from: second)
        // Gone from the global list: the compatible is free for another object.
        try luo.register(RecordingFLB("iommu-core-v1"), for: second)
    }

    @Test func the64thFLBIsENOSPC() throws {
        let handler = RecordingHandler()
        let luo = try orchestrator(handler)
        for index in 0..<63 { try luo.register(RecordingFLB("flb-\(index)"), for: handler) }
        let refused = error { try luo.register(RecordingFLB("flb-63"), for: handler) }
        #expect(refused == .tooManyFLBs(flb: "flb-63", maximum: 63))
        #expect(refused?.errno == ENOSPC)
    }
}
