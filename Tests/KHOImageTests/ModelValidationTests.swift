import Glibc
import HandoverModel
import KernelABI
import KHOImage
import Testing

@Suite struct ModelValidationTests {
    static func refused(_ state: HandoverState, base: UInt64 = KHOImageWriter.defaultBase) -> KHOImageError? {
        do {
            _ = try KHOImageWriter(base: base).encode(state)
            return nil
        } catch {
            return error
        }
    }

    static func session(_ name: String, _ files: [FileRecord] = []) -> SessionRecord {
        SessionRecord(name: SessionName(name), files: files)
    }

    static func raw(_ token: UInt64, _ compatible: String = "raw-v1") -> FileRecord {
        FileRecord(token: token, compatible: compatible, content: .data(token))
    }

    static func check(_ state: HandoverState, _ expected: ModelError, errno: Int32, base: UInt64 = KHOImageWriter.defaultBase) {
        let error = refused(state, base: base)
        #expect(error == .invalidModel(expected))
        #expect(error?.errno == errno)
        #expect(expected.errno == errno)
    }

    @Test func sessionNames() {
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("")]),
                   .badSessionName(name: "", reason: .empty), errno: EINVAL)
        let long = String(repeating: "s", count: 64)
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session(long)]),
                   .badSessionName(name: SessionName(long), reason: .tooLong(bytes: 64, maximum: 63)), errno: EINVAL)
        // 32 two-byte characters are 64 bytes too.
        let wide = String(repeating: "é", count: 32)
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session(wide)]),
                   .badSessionName(name: SessionName(wide), reason: .tooLong(bytes: 64, maximum: 63)), errno: EINVAL)
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("a\0b")]),
                   .badSessionName(name: "a\0b", reason: .containsNUL(offset: 1)), errno: EINVAL)
        #expect(Self.refused(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session(String(repeating: "s", count: 63))])) == nil)
    }

    @Test func duplicateSessionName() {
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("a"), Self.session("b"), Self.session("a")]),
                   .duplicateSessionName(name: "a"), errno: EEXIST)
    }

    @Test func sessionLimit() {
        let names = (0..<820).map { Self.session("s\($0)") }
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: names),
                   .tooManySessions(count: 820, maximum: 819), errno: ENOMEM)
        #expect(Self.refused(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: Array(names.prefix(819)))) == nil)
    }

    @Test func fileLimit() {
        let files = (0..<129).map { Self.raw(UInt64($0)) }
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", files)]),
                   .tooManyFiles(session: "s", count: 129, maximum: 128), errno: ENOSPC)
        #expect(Self.refused(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", Array(files.prefix(128)))])) == nil)
    }

    @Test func duplicateToken() {
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [Self.raw(5), Self.raw(6), Self.raw(5)])]),
                   .duplicateToken(session: "s", token: 5), errno: EEXIST)
        // The same token in two sessions is fine.
        #expect(Self.refused(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("a", [Self.raw(5)]),
                                                                           Self.session("b", [Self.raw(5)])])) == nil)
    }

    @Test func compatibles() {
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [Self.raw(1, "")])]),
                   .badCompatible(session: "s", token: 1, compatible: "", reason: .empty), errno: EINVAL)
        let long = String(repeating: "c", count: 48)
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [Self.raw(2, long)])]),
                   .badCompatible(session: "s", token: 2, compatible: long, reason: .tooLong(bytes: 48, maximum: 47)), errno: EINVAL)
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [Self.raw(3, "x\0")])]),
                   .badCompatible(session: "s", token: 3, compatible: "x\0", reason: .containsNUL(offset: 1)), errno: EINVAL)
    }

    @Test func payloads() {
        let empty = FileRecord(token: 1, compatible: "blob-v1", content: .payload([]))
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [empty])]),
                   .emptyPayload(session: "s", token: 1), errno: EINVAL)
        let big = FileRecord(token: 2, compatible: "blob-v1", content: .payload([UInt8](repeating: 1, count: (4 << 20) + 1)))
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [big])]),
                   .payloadTooLarge(session: "s", token: 2, bytes: (4 << 20) + 1, maximum: 4 << 20), errno: E2BIG)
        #expect(ModelValidator.maximumPayloadBytes == 4_194_304)
    }

    @Test func memfdSizeMismatch() {
        let file = FileRecord(token: 9, compatible: "memfd-v1",
                              content: .memfd(MemfdContents(size: 10, position: 0, contents: [1, 2, 3])))
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [file])]),
                   .memfdSizeMismatch(session: "s", token: 9, size: 10, contents: 3), errno: EINVAL)
    }

    @Test func flbs() {
        func state(_ flbs: [FLBRecord]) -> HandoverState { HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, flbs: flbs) }
        Self.check(state([FLBRecord(name: "", data: 0, count: 1)]), .badFLBName(name: "", reason: .empty), errno: EINVAL)
        let long = String(repeating: "f", count: 48)
        Self.check(state([FLBRecord(name: long, data: 0, count: 1)]),
                   .badFLBName(name: long, reason: .tooLong(bytes: 48, maximum: 47)), errno: EINVAL)
        Self.check(state([FLBRecord(name: "f", data: 0, count: 1), FLBRecord(name: "f", data: 1, count: 1)]),
                   .duplicateFLBName(name: "f"), errno: EEXIST)
        Self.check(state((0..<64).map { FLBRecord(name: "f\($0)", data: 0, count: 1) }),
                   .tooManyFLBs(count: 64, maximum: 63), errno: ENOSPC)
        Self.check(state([FLBRecord(name: "f", data: 0, count: 0)]), .zeroFLBCount(name: "f"), errno: EINVAL)
        #expect(Self.refused(state((0..<63).map { FLBRecord(name: "f\($0)", data: 0, count: 1) })) == nil)
    }

    @Test func baseAddress() {
        let state = HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1)
        Self.check(state, .badBaseAddress(address: 0, reason: "must be non-zero and page aligned"), errno: EINVAL, base: 0)
        Self.check(state, .badBaseAddress(address: 0x1_0000_0800, reason: "must be non-zero and page aligned"),
                   errno: EINVAL, base: 0x1_0000_0800)
        Self.check(state, .badBaseAddress(address: 1 << 52, reason: "is beyond the 52-bit physical address space"),
                   errno: EINVAL, base: 1 << 52)
        let nearTop: UInt64 = (1 << 52) - 0x1000
        Self.check(state, .badBaseAddress(address: nearTop, reason: "the handover does not fit below 2^52 from here"),
                   errno: EINVAL, base: nearTop)
    }

    @Test func firstBrokenRuleInModelOrderWins() {
        // A bad name in the first session is reported before a duplicate token in it.
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("", [Self.raw(1), Self.raw(1)])]),
                   .badSessionName(name: "", reason: .empty), errno: EINVAL)
        // Sessions before FLBs.
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("a"), Self.session("a")],
                                 flbs: [FLBRecord(name: "", data: 0, count: 1)]),
                   .duplicateSessionName(name: "a"), errno: EEXIST)
        // A duplicate token is found before the later file's bad compatible.
        Self.check(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [Self.session("s", [Self.raw(1), Self.raw(1, "")])]),
                   .duplicateToken(session: "s", token: 1), errno: EEXIST)
    }
}
