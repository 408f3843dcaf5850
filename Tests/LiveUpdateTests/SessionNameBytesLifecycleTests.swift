import Glibc
import Testing
import LiveUpdate

/// Sessions are created and retrieved by their bytes: a name that is not
/// UTF-8 goes through the handover, and only its exact bytes find it.
@Suite struct SessionNameBytesLifecycleTests {
    static let name = SessionName(bytes: [0xff, 0x01, 0x76, 0x6d])

    @Test func aNameThatIsNotUTF8IsHandedOverAndRetrievedByItsBytes() throws {
        let luo = try orchestrator(RawDataHandler(compatible: "vfio-v1"))
        let session = try luo.createSession(named: Self.name)
        #expect(session.name == Self.name)
        #expect(luo.outgoingSession(named: Self.name) === session)
        try session.preserve(RawFile(compatible: "vfio-v1", content: .data(7)), token: 1)
        // Another spelling of "the same text" is another name.
        _ = try luo.createSession(named: SessionName(bytes: [0xc3, 0xbf, 0x01, 0x76, 0x6d]))
        let next = try handOver(luo, to: [RawDataHandler(compatible: "vfio-v1")])
        #expect(next.incomingSessionNames == [Self.name, SessionName(bytes: [0xc3, 0xbf, 0x01, 0x76, 0x6d])])
        #expect(next.peekIncomingSession(named: Self.name)?.name == Self.name)
        let incoming = try next.retrieveSession(named: Self.name)
        let file = try #require(try incoming.retrieveFile(token: 1) as? RawFile)
        #expect(file.content == .data(7))
        #expect(error { _ = try next.retrieveSession(named: Self.name) } == .sessionAlreadyRetrieved(name: Self.name))
        // The String convenience means the text's UTF-8: the other session.
        #expect(try next.retrieveSession(named: "\u{ff}\u{01}vm").name == SessionName(bytes: [0xc3, 0xbf, 0x01, 0x76, 0x6d]))
        #expect(error { _ = try next.retrieveSession(named: SessionName(bytes: [0xff, 0x01, 0x76])) }
            == .unknownSession(name: SessionName(bytes: [0xff, 0x01, 0x76])))
    }

    /// `luo_session_create`'s rule on bytes, through ``FixedCString``: one
    /// wording with the writer and the reader.
    @Test func createRefusesWhatTheKernelRefuses() throws {
        let luo = LiveUpdateOrchestrator()
        let tooLong = SessionName(bytes: [UInt8](repeating: 0xff, count: 64))
        let refused = error { _ = try luo.createSession(named: tooLong) }
        #expect(refused == .invalidSessionName(name: tooLong, reason: .tooLong(bytes: 64, maximum: 63)))
        #expect(refused?.errno == EINVAL)
        #expect(error { _ = try luo.createSession(named: SessionName(bytes: [0x61, 0])) }
            == .invalidSessionName(name: SessionName(bytes: [0x61, 0]), reason: .containsNUL(offset: 1)))
        #expect(error { _ = try luo.createSession(named: SessionName(bytes: [0x61, 0]) ) }?.description
            == #"session name "a\x00" holds a NUL byte at byte 1"#)
        #expect(try luo.createSession(named: SessionName(bytes: [UInt8](repeating: 0xff, count: 63))).name.bytes.count == 63)
    }

    /// Names and compatibles read from an image reach error messages
    /// escaped, so they cannot drive the terminal.
    @Test func errorsEscapeWhatCameFromTheImage() {
        #expect(LiveUpdateError.unknownCompatible(session: SessionName(bytes: [0xff]), token: 1, compatible: "x\u{1b}[2J").description
            == #"session "\xff" token 0x1: no handler is registered for compatible "x\x1b[2J""#)
        #expect(LiveUpdateError.cannotFinish(session: "s\n", token: 2, compatible: "c\r").description
            == #"session "s\n" token 0x2 (c\r): can-finish refused; nothing was finished"#)
    }
}

/// v6.19 and v7.0 as released check no session name: an empty one is
/// created, and a longer one keeps its first 63 bytes (`strscpy`).
@Suite struct UncheckedSessionNameTests {
    @Test(arguments: [KernelGeneration.linux7_0, .linux6_19])
    func oldReleasesTakeAnyLength(_ generation: KernelGeneration) throws {
        let luo = LiveUpdateOrchestrator(generation: generation)
        #expect(try luo.createSession(named: SessionName(bytes: [])).name == SessionName(bytes: []))
        let long = SessionName(bytes: [UInt8](repeating: 0xfe, count: 64))
        let cut = SessionName(bytes: [UInt8](repeating: 0xfe, count: 63))
        #expect(try luo.createSession(named: long).name == cut)
        // The cut name is the one that exists now.
        #expect(error { _ = try luo.createSession(named: cut) } == .sessionExists(name: cut))
        // A NUL still cannot be in a C string.
        #expect(error { _ = try luo.createSession(named: SessionName(bytes: [0x61, 0])) }
            == .invalidSessionName(name: SessionName(bytes: [0x61, 0]), reason: .containsNUL(offset: 1)))
        let image = try luo.reboot()
        let next = LiveUpdateOrchestrator(generation: generation)
        try next.loadIncoming(bytes: image.bytes)
        #expect(next.incomingSessionNames == [SessionName(bytes: []), cut])
        #expect(try next.retrieveSession(named: "").name == SessionName(bytes: []))
    }

    @Test func laterReleasesRefuseBoth() {
        let luo = LiveUpdateOrchestrator(generation: .linux7_1)
        #expect(error { _ = try luo.createSession(named: "") } == .invalidSessionName(name: "", reason: .empty))
        let long = SessionName(bytes: [UInt8](repeating: 0xfe, count: 64))
        #expect(error { _ = try luo.createSession(named: long) } == .invalidSessionName(name: long, reason: .tooLong(bytes: 64, maximum: 63)))
    }
}
