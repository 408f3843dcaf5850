import Glibc
import Testing
import LiveUpdate

/// File-Lifecycle-Bound objects: reference counting on both sides, what
/// the image carries, and on-demand incoming retrieval.
@Suite struct FLBTests {
    @Test func firstFilePreservesLastFileUnpreserves() throws {
        let handler = RecordingHandler()
        let flb = RecordingFLB("iommu-core-v1", data: 0xabc)
        let luo = try orchestrator(handler)
        try luo.register(flb, for: handler)
        let a = try luo.createSession(named: "a")
        let b = try luo.createSession(named: "b")
        #expect(luo.flbOutgoing(flb) == nil)
        try a.preserve(TestFile("1"), token: 1)
        #expect(flb.calls == ["preserve"])
        #expect(luo.flbOutgoing(flb) as? String == "outgoing-iommu-core-v1")
        try a.preserve(TestFile("2"), token: 2)
        try b.preserve(TestFile("3"), token: 3)
        #expect(flb.calls == ["preserve"])
        #expect(luo.flbOutgoingCount(flb) == 3)
        #expect(luo.handoverState().flbs == [FLBRecord(name: "iommu-core-v1", data: 0xabc, count: 3)])
        try a.close()
        #expect(luo.flbOutgoingCount(flb) == 1)
        #expect(flb.calls == ["preserve"])
        try b.close()
        #expect(flb.calls == ["preserve", "unpreserve:\(0xabc):outgoing-iommu-core-v1"])
        #expect(luo.flbOutgoing(flb) == nil)
        #expect(luo.handoverState().flbs.isEmpty)
    }

    @Test func onlyFLBsWithDependentFilesAreSerializedInRegistrationOrder() throws {
        let handler = RecordingHandler()
        let other = RecordingHandler(compatible: "other-v1", prefix: "other")
        let unused = RecordingFLB("unused-v1", data: 1)
        let second = RecordingFLB("second-v1", data: 2)
        let first = RecordingFLB("first-v1", data: 3)
        let luo = try orchestrator(other, handler)
        try luo.register(unused, for: other)
        try luo.register(first, for: handler)
        try luo.register(second, for: handler)
        try luo.createSession(named: "s").preserve(TestFile("x"), token: 1)
        let image = try luo.reboot()
        let decoded = try KHOImageReader.decodeImage(.init(copying: image.bytes))
        #expect(decoded.state.flbs == [FLBRecord(name: "first-v1", data: 3, count: 1),
                                       FLBRecord(name: "second-v1", data: 2, count: 1)])
        #expect(unused.calls.isEmpty)
    }

    @Test func oneFLBSharedByTwoHandlersCountsTheFilesOfBoth() throws {
        let iommufd = RecordingHandler(compatible: "iommufd-v1", prefix: "iommu")
        let vfio = RecordingHandler(compatible: "vfio-v1", prefix: "vfio")
        let flb = RecordingFLB("iommu-core-v1", data: 9)
        let luo = try orchestrator(iommufd, vfio)
        try luo.register(flb, for: iommufd)
        try luo.register(flb, for: vfio)
        let session = try luo.createSession(named: "vm")
        try session.preserve(TestFile("iommu0"), token: 1)
        try session.preserve(TestFile("vfio0"), token: 2)
        try session.preserve(TestFile("vfio1"), token: 3)
        #expect(flb.calls == ["preserve"])
        #expect(luo.handoverState().flbs == [FLBRecord(name: "iommu-core-v1", data: 9, count: 3)])
    }

    @Test func aFailingFLBRefusesThePreserve() throws {
        let handler = RecordingHandler()
        let good = RecordingFLB("good-v1")
        let bad = RecordingFLB("bad-v1")
        bad.failPreserve = true
        let luo = try orchestrator(handler)
        try luo.register(good, for: handler)
        try luo.register(bad, for: handler)
        let session = try luo.createSession(named: "s")
        let refused = error { try session.preserve(TestFile("x"), token: 1) }
        #expect(refused == .flbFailed(flb: "bad-v1", operation: "preserve", errno: 12, reason: "told to fail"))
        #expect(refused?.errno == ENOMEM)
        #expect(good.calls == ["preserve", "unpreserve:\(0xf1b):outgoing-good-v1"])
        #expect(handler.log.of("preserve").isEmpty)
        #expect(session.tokens.isEmpty)
    }

    @Test func incomingRetrieveOnDemandAndFinishWithTheLastFile() throws {
        let old = RecordingHandler()
        let oldFLB = RecordingFLB("iommu-core-v1", data: 0x77)
        let luo = try orchestrator(old)
        try luo.register(oldFLB, for: old)
        let a = try luo.createSession(named: "a")
        let b = try luo.createSession(named: "b")
        try a.preserve(TestFile("1"), token: 1)
        try b.preserve(TestFile("2"), token: 2)
        let image = try luo.reboot()

        let handler = RecordingHandler()
        let flb = RecordingFLB("iommu-core-v1")
        let next = LiveUpdateOrchestrator()
        try next.register(handler)
        try next.register(flb, for: handler)
        // Before the image is loaded there is no incoming FLB data.
        let early = error { _ = try next.flbIncoming(flb) }
        #expect(early == .flbNoIncomingData(flb: "iommu-core-v1"))
        #expect(early?.errno == ENODATA)
        try next.loadIncoming(bytes: image.bytes)
        #expect(try next.flbIncoming(flb) as? String == "incoming-\(0x77)")
        #expect(try next.flbIncoming(flb) as? String == "incoming-\(0x77)")
        #expect(flb.calls == ["retrieve:\(0x77)"])
        try next.retrieveSession(named: "a").finish()
        #expect(flb.calls == ["retrieve:\(0x77)"])
        try next.retrieveSession(named: "b").finish()
        #expect(flb.calls == ["retrieve:\(0x77)", "finish:incoming-\(0x77)"])
        // Finished: no more data.
        #expect(error { _ = try next.flbIncoming(flb) } == .flbNoIncomingData(flb: "iommu-core-v1"))
    }

    @Test func finishRetrievesAnFLBNobodyAskedFor() throws {
        let old = RecordingHandler()
        let luo = try orchestrator(old)
        try luo.register(RecordingFLB("lazy-v1", data: 5), for: old)
        try luo.createSession(named: "s").preserve(TestFile("1"), token: 1)
        let handler = RecordingHandler()
        let flb = RecordingFLB("lazy-v1")
        let next = LiveUpdateOrchestrator()
        try next.register(handler)
        try next.register(flb, for: handler)
        try next.loadIncoming(bytes: try luo.reboot().bytes)
        try next.retrieveSession(named: "s").close()
        #expect(flb.calls == ["retrieve:5", "finish:incoming-5"])
    }

    @Test func anFLBMissingFromTheImageIsENOENT() throws {
        let handler = RecordingHandler()
        let flb = RecordingFLB("absent-v1")
        let luo = try orchestrator(handler)
        try luo.register(flb, for: handler)
        try luo.loadIncoming(bytes: try LiveUpdateOrchestrator().reboot().bytes)
        let refused = error { _ = try luo.flbIncoming(flb) }
        #expect(refused == .flbNotInImage(flb: "absent-v1"))
        #expect(refused?.errno == ENOENT)
        let stranger = error { _ = try luo.flbIncoming(RecordingFLB("stranger-v1")) }
        #expect(stranger == .flbNotRegistered(flb: "stranger-v1", handler: ""))
    }
}
