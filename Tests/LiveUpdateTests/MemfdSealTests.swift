import Glibc
import LiveUpdate
import Testing

/// Seals through the lifecycle's `memfd-v2` handler, on real memfds: what
/// `F_GET_SEALS` says at reboot is in the image, and the retrieved memfd has
/// exactly those seals; seals the handler does not carry are refused with
/// `EOPNOTSUPP`, as the kernel refuses them.
@Suite struct MemfdSealTests {
    static let write: UInt32 = 0x8, grow: UInt32 = 0x4, shrink: UInt32 = 0x2, seal: UInt32 = 0x1

    @Test func sealsTravelAndBindTheRetrievedMemfd() throws {
        let luo = LiveUpdateOrchestrator()
        try luo.register(MemfdHandler())
        let sealed = try MemfdFile(name: "sealed", allowSealing: true)
        try sealed.write(Array("frozen".utf8))
        try sealed.addSeals(Self.write | Self.grow | Self.shrink)
        let open = try MemfdFile(name: "open", allowSealing: true)
        try open.write([1])
        let session = try luo.createSession(named: "vm")
        try session.preserve(sealed, token: 1)
        try session.preserve(open, token: 2)
        let image = try luo.reboot()
        let decoded = try KHOImageReader.decodeImage(.init(copying: image.bytes))
        #expect(decoded.state.generation == .newest)
        #expect(decoded.state.sessions[0].files.map(\.content) == [
            .memfd(MemfdContents(contents: Array("frozen".utf8), position: 6, seals: 0xe)),
            .memfd(MemfdContents(contents: [1], position: 1, seals: 0)),
        ])

        let next = LiveUpdateOrchestrator()
        try next.register(MemfdHandler())
        try next.loadIncoming(decoded)
        let incoming = try next.retrieveSession(named: "vm")
        let restored = try #require(try incoming.retrieveFile(token: 1) as? MemfdFile)
        #expect(try restored.seals() == 0xe)
        #expect(try restored.contents() == Array("frozen".utf8))
        // The seals bind: a write is refused.
        #expect(throws: LiveUpdateError.self) { try restored.write([0], at: 0) }
        let unsealed = try #require(try incoming.retrieveFile(token: 2) as? MemfdFile)
        #expect(try unsealed.seals() == 0)
        try unsealed.write([2], at: 0)
        // The next handover counts this kexec.
        #expect(next.handoverState().kexecMetadata?.kexecCount == 2)
    }

    @Test func sealsOutsideTheHandlersSetAreRefused() throws {
        // An image carrying a seal bit no kernel defines (0x40).
        let state = HandoverState(liveupdateNumber: 1, sessions: [SessionRecord(name: "vm", files: [
            FileRecord(token: 7, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: [1], seals: 0x40))),
        ])])
        // The writer refuses to lay such a state out, as the kernel's preserve does.
        #expect(throws: KHOImageError.self) { try KHOImageWriter().encode(state) }
        // A memfd-v1 handler carries no seals at all: a pre-release
        // orchestrator refuses a sealed memfd's state at reboot.
        let old = LiveUpdateOrchestrator(generation: .khoV2Prerelease)
        try old.register(MemfdHandler())
        let sealed = try MemfdFile(name: "sealed", allowSealing: true)
        try sealed.addSeals(Self.grow)
        try old.createSession(named: "vm").preserve(sealed, token: 1)
        let refused = #expect(throws: LiveUpdateError.self) { try old.reboot() }
        #expect(refused?.errno == EINVAL)
    }
}
