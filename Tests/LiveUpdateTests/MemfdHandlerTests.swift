import Glibc
import Testing
import LiveUpdate

/// The memfd handler on real memfds, in one process: `memfd-v2` (the
/// newest generation's, which carries seals) unless a test says `memfd-v1`.
@Suite struct MemfdHandlerTests {
    func memfd(_ contents: [UInt8], position: UInt64) throws -> MemfdFile {
        let file = try MemfdFile(name: "test")
        try file.write(contents)
        try file.seek(to: position)
        return file
    }

    @Test func preserveWritesTheKernelLayoutAndRetrieveRebuildsTheMemfd() throws {
        let luo = try orchestrator(MemfdHandler())
        let session = try luo.createSession(named: "preserve-memfd-test")
        let big = (0..<(5 * 4096 + 17)).map { UInt8(truncatingIfNeeded: $0 * 31) }
        try session.preserve(try memfd(Array("hello liveupdate".utf8), position: 3), token: 0x1234)
        try session.preserve(try memfd([], position: 0), token: 0x2222)
        try session.preserve(try memfd(big, position: 9000), token: 0x3333)
        let image = try luo.reboot()

        // The image holds memfd-v2 structures the reader decodes; plain
        // memfds report F_SEAL_SEAL, which memfd-v2 carries.
        let decoded = try KHOImageReader.decodeImage(.init(copying: image.bytes))
        #expect(decoded.state.sessions[0].files == [
            FileRecord(token: 0x1234, compatible: "memfd-v2",
                       content: .memfd(MemfdContents(contents: Array("hello liveupdate".utf8), position: 3, seals: 1))),
            FileRecord(token: 0x2222, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: [], seals: 1))),
            FileRecord(token: 0x3333, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: big, position: 9000, seals: 1))),
        ])
        #expect(decoded.unreferencedBlocks.isEmpty)

        let next = LiveUpdateOrchestrator()
        try next.register(MemfdHandler())
        try next.loadIncoming(decoded)
        let incoming = try next.retrieveSession(named: "preserve-memfd-test")
        let restored = try #require(try incoming.retrieveFile(token: 0x3333) as? MemfdFile)
        #expect(try restored.contents() == big)
        #expect(try restored.size() == UInt64(big.count))
        #expect(try restored.position() == 9000)
        let empty = try #require(try incoming.retrieveFile(token: 0x2222) as? MemfdFile)
        #expect(try empty.size() == 0)
        // A real memfd: /proc names it memfd:...
        var link = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/self/fd/\(restored.fd)", &link, 255)
        let target = String(decoding: link.prefix(max(length, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(target.hasPrefix("/memfd:luo"))
        try incoming.finish()
    }

    /// Preserve reads none of the memfd: the image's bytes are sent from the
    /// memfd itself when the image is written, so they are the file's then
    /// (as the kernel's preserved folios are the live ones).
    @Test func theImageIsWrittenFromTheLiveMemfd() throws {
        let luo = try orchestrator(MemfdHandler())
        let file = try memfd(Array("before".utf8), position: 0)
        try luo.createSession(named: "s").preserve(file, token: 1)
        let image = try luo.reboot()
        try file.write(Array("after!".utf8), at: 0)
        let decoded = try KHOImageReader.decodeImage(.init(copying: try image.bytes))
        #expect(decoded.state.sessions[0].files[0].content == .memfd(MemfdContents(contents: Array("after!".utf8), seals: 1)))
        // A memfd that shrank since fails the write, naming the memfd.
        try file.truncate(to: 2)
        #expect(throws: KHOImageError.self) { try image.bytes }
    }

    @Test func freezeCarriesWritesMadeAfterPreserve() throws {
        let luo = try orchestrator(MemfdHandler())
        let file = try memfd(Array("before".utf8), position: 0)
        try luo.createSession(named: "s").preserve(file, token: 1)
        try file.write(Array("after!!".utf8), at: 0)
        let decoded = try KHOImageReader.decodeImage(.init(copying: try luo.reboot().bytes))
        #expect(decoded.state.sessions[0].files[0].content == .memfd(MemfdContents(contents: Array("after!!".utf8), seals: 1)))
    }

    @Test func memfdV1DoesNotCarrySeals() throws {
        let luo = LiveUpdateOrchestrator(generation: .khoV2Prerelease)
        try luo.register(MemfdHandler(format: .memfdV1))
        // A memfd created with MFD_ALLOW_SEALING and sealed against writes.
        typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        let create = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create")!, to: MemfdCreate.self)
        let fd = create("sealed", 1 | 2) // MFD_CLOEXEC | MFD_ALLOW_SEALING
        #expect(fd >= 0)
        let sealed = MemfdFile(adopting: fd)
        try sealed.write([1, 2, 3])
        let fSetSeals: Int32 = 1033, fGetSeals: Int32 = 1034, fSealWrite: Int32 = 8
        #expect(fcntl(fd, fSetSeals, fSealWrite) == 0)
        try luo.createSession(named: "s").preserve(sealed, token: 1)
        let next = try handOver(luo, to: [MemfdHandler(format: .memfdV1)])
        let restored = try #require(try next.retrieveSession(named: "s").retrieveFile(token: 1) as? MemfdFile)
        #expect(try restored.contents() == [1, 2, 3])
        // The new memfd is unsealed: it can be written.
        #expect(fcntl(restored.fd, fGetSeals) == -1 || fcntl(restored.fd, fGetSeals) & fSealWrite == 0)
        try restored.write([9], at: 0)
        #expect(try restored.contents() == [9, 2, 3])
    }

    @Test func preservingLeavesTheMemfdIntact() throws {
        // The selftests' preserve_memfd and preserve_multiple_memfds: after
        // preserving (and closing the session) each memfd still reads back
        // its own contents.
        let luo = try orchestrator(MemfdHandler())
        let session = try luo.createSession(named: "preserve-multi-memfd-test")
        let one = try memfd(Array("data for memfd one".utf8), position: 18)
        let two = try memfd(Array("data for memfd two".utf8), position: 18)
        try session.preserve(one, token: 0xAAAA)
        try session.preserve(two, token: 0xBBBB)
        #expect(try one.contents() == Array("data for memfd one".utf8))
        #expect(try two.contents() == Array("data for memfd two".utf8))
        try session.close()
        #expect(try one.contents() == Array("data for memfd one".utf8))
        #expect(try one.position() == 18)
    }

    @Test func theRetrievedDescriptorCanBeTakenOver() throws {
        let luo = try orchestrator(MemfdHandler())
        try luo.createSession(named: "s").preserve(try memfd([4, 5, 6], position: 1), token: 1)
        let next = try handOver(luo, to: [MemfdHandler()])
        let restored = try #require(try next.retrieveSession(named: "s").retrieveFile(token: 1) as? MemfdFile)
        let fd = restored.takeDescriptor()
        #expect(restored.fd == -1)
        defer { close(fd) }
        var byte: UInt8 = 0
        #expect(read(fd, &byte, 1) == 1)
        #expect(byte == 5)
    }

    @Test func onlyMemfdsAreAccepted() throws {
        let luo = try orchestrator(MemfdHandler())
        let session = try luo.createSession(named: "s")
        #expect(error { try session.preserve(TestFile("not a memfd"), token: 1) } == .noHandler(session: "s", token: 1))
    }

    @Test func retrieveRejectsNonMemfdState() throws {
        // An image whose memfd-v1 file is handed to a raw handler on the way
        // out and a memfd handler on the way in carries .memfd: fine. A .data
        // content under memfd-v1 cannot be written (the writer lays memfd-v1
        // out itself), so check the handler directly.
        let handler = MemfdHandler()
        let luo = LiveUpdateOrchestrator()
        try luo.loadIncoming(HandoverState(liveupdateNumber: 1, sessions: [SessionRecord(name: "s", files: [])]))
        let session = try luo.retrieveSession(named: "s")
        var args = FileOperationArguments(handler: handler, session: .incoming(session), token: 5,
                                          file: nil, serialized: .data(1))
        let refused = error { try handler.retrieve(&args) }
        #expect(refused == .handlerFailed(session: "s", token: 5, compatible: "memfd-v2", operation: "retrieve",
                                          errno: EINVAL, reason: "the image holds no memfd-v2 state for this file"))
    }
}
