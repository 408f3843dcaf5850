import Testing
import LiveUpdate

/// The raw handler: images written by other handlers decode and re-encode
/// without loss.
@Suite struct RawDataHandlerTests {
    static let foreign = HandoverState(
        liveupdateNumber: 6,
        sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: Array(repeating: 0xab, count: 5000), position: 17, seals: 0x5))),
                FileRecord(token: 2, compatible: "vfio-v1", content: .data(0xdead_beef)),
                FileRecord(token: 3, compatible: "blob-v1", content: .payload(Array(repeating: 7, count: 8192))),
            ]),
            SessionRecord(name: "empty"),
        ])

    @Test func anImageOfOtherHandlersIsCarriedOverUnchanged() throws {
        let image = try KHOImageWriter().encode(Self.foreign)
        let luo = LiveUpdateOrchestrator()
        for compatible in ["memfd-v2", "vfio-v1", "blob-v1"] { try luo.register(RawDataHandler(compatible: compatible)) }
        try luo.loadIncoming(bytes: image.bytes)
        #expect(luo.incomingLiveupdateNumber == 6)
        // Carry every session over to the next kernel as it is.
        var retrieved: [(SessionName, [(UInt64, any LiveFile)])] = []
        for name in luo.incomingSessionNames {
            let session = try luo.retrieveSession(named: name)
            retrieved.append((name, try session.tokens.map { ($0, try session.retrieveFile(token: $0)) }))
            try session.close()
        }
        for (name, files) in retrieved {
            let session = try luo.createSession(named: name)
            for (token, file) in files { try session.preserve(file, token: token) }
        }
        let again = try KHOImageReader.decodeImage(.init(copying: try luo.reboot().bytes))
        var expected = Self.foreign
        expected.liveupdateNumber = 7
        // kexec-metadata counts this kexec too.
        expected.kexecMetadata?.kexecCount += 1
        #expect(again.state == expected)
    }

    @Test func rawFilesMatchTheirCompatibleOnly() throws {
        let luo = try orchestrator(RawDataHandler(compatible: "vfio-v1"))
        let session = try luo.createSession(named: "s")
        try session.preserve(RawFile(compatible: "vfio-v1", content: .data(3)), token: 1)
        #expect(error { try session.preserve(RawFile(compatible: "other-v1", content: .data(3)), token: 2) }
            == .noHandler(session: "s", token: 2))
        #expect(luo.handoverState().sessions[0].files == [FileRecord(token: 1, compatible: "vfio-v1", content: .data(3))])
    }
}
