import Glibc
import HandoverModel
import KHOImage
import KernelABI
import Testing

/// The generation's memfd handler and `.memfd` content go together, and
/// only together: one rule (`FileRecord.pairingProblem`), which the writer
/// and the manifest parser both apply, and which the reader follows when
/// it decides which files to walk as memfds.
@Suite struct HandlerPairingTests {
    static let memfd = MemfdContents(contents: Array(repeating: 0x11, count: 100))

    static func state(_ generation: KernelGeneration, _ file: FileRecord) -> HandoverState {
        HandoverState(generation: generation, liveupdateNumber: 1, sessions: [SessionRecord(name: "s", files: [file])])
    }

    @Test func theRule() {
        let format = KernelGeneration.linux7_3.memfd
        #expect(FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(Self.memfd)).pairingProblem(memfd: format) == nil)
        #expect(FileRecord(token: 1, compatible: "memfd-v1", content: .memfd(Self.memfd)).pairingProblem(memfd: format)
                == .memfdNeedsMemfdHandler(expected: "memfd-v2"))
        #expect(FileRecord(token: 1, compatible: "memfd-v2", content: .payload([1])).pairingProblem(memfd: format)
                == .memfdHandlerNeedsMemfd)
        #expect(FileRecord(token: 1, compatible: "blob-v1", content: .payload([1])).pairingProblem(memfd: format) == nil)
        #expect(FileRecord(token: 1, compatible: "memfd-v2", content: .data(7)).pairingProblem(memfd: format) == nil)
        #expect(FileRecord(token: 1, compatible: "blob-v1", content: .data(7)).pairingProblem(memfd: format) == nil)
    }

    /// The case: a memfd under another handler's compatible would
    /// be read back by the next kernel as that handler's opaque block.
    @Test(arguments: [KernelGeneration.khoV2Prerelease, .linux7_3])
    func theWriterRefusesAMemfdUnderAnotherCompatible(_ generation: KernelGeneration) {
        let state = Self.state(generation, FileRecord(token: 5, compatible: "blob-v1", content: .memfd(Self.memfd)))
        #expect(throws: KHOImageError.invalidModel(.memfdHandlerMismatch(
            session: "s", token: 5, compatible: "blob-v1", expected: generation.memfd.compatible))) {
            try KHOImageWriter().encode(state)
        }
    }

    @Test func theWriterRefusesAPayloadUnderTheMemfdHandler() {
        let state = Self.state(.linux7_3, FileRecord(token: 5, compatible: "memfd-v2", content: .payload([1, 2, 3])))
        let error = ModelError.payloadHandlerMismatch(session: "s", token: 5, compatible: "memfd-v2")
        #expect(throws: KHOImageError.invalidModel(error)) { try KHOImageWriter().encode(state) }
        #expect(error.errno == EINVAL)
        #expect(error.description == "session \"s\" token 0x5: compatible \"memfd-v2\" is the memfd handler's; it preserves a memfd, not a payload")
    }

    @Test func rawDataGoesWithEveryHandler() throws {
        _ = try KHOImageWriter().encode(Self.state(.linux7_3, FileRecord(token: 5, compatible: "memfd-v2", content: .data(9))))
        _ = try KHOImageWriter().encode(Self.state(.linux7_3, FileRecord(token: 5, compatible: "blob-v1", content: .data(9))))
    }

    /// Read back, a `memfd_luo_ser` under another compatible is that
    /// handler's block: the reader walks memfds only for the memfd
    /// handler's files, so it is a one-page payload and the memfd's other
    /// structures are blocks nothing refers to.
    @Test func theReaderReadsAMemfdSerUnderAnotherCompatibleAsThatHandlersBlock() throws {
        let state = Self.state(.linux7_3, FileRecord(token: 5, compatible: "memfd-v2", content: .memfd(Self.memfd)))
        let encoded = try KHOImageWriter().encode(state)
        let entryPhys = encoded.layout.sessions[0].fileEntryPhys(0)
        let region = try #require(encoded.layout.regions.first { $0.phys <= entryPhys && entryPhys < $0.end })
        var bytes = try encoded.bytes
        let offset = Int(region.fileOffset(of: entryPhys))
        // "memfd-v2" -> "blob-v22": same length, another handler.
        bytes.replaceSubrange(offset..<(offset + 8), with: Array("blob-v22".utf8))
        let image = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: bytes))
        let file = image.sessions[0].files[0]
        #expect(file.record.compatible == "blob-v22")
        #expect(file.memfd == nil)
        let ser = try #require(encoded.physicalBytes(at: file.data, length: 4096))
        #expect(file.record.content == .payload(ser))
        #expect(!image.unreferencedBlocks.isEmpty)
        #expect(image.warnings.isEmpty)
    }
}
