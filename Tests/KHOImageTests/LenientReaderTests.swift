import HandoverModel
import KHOImage
import Testing

/// The reader accepts what the incoming kernel accepts and reports what no
/// outgoing kernel writes as a ``ReaderWarning``.
@Suite struct LenientReaderTests {
    static let rawMemfd = HandoverState(generation: .linux7_1, liveupdateNumber: 1, sessions: [
        SessionRecord(name: "vm0", files: [
            FileRecord(token: 1, compatible: "memfd-v2", content: .data(0xdead_beef)),
            FileRecord(token: 2, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: Array("kept".utf8)))),
        ]),
    ], kexecMetadata: KexecMetadata(previousRelease: "7.1.8", kexecCount: 1))

    @Test func rawDataUnderTheMemfdHandlerRoundTripsWithAWarning() throws {
        let image = try KHOImageWriter().encode(Self.rawMemfd)
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == Self.rawMemfd)
        #expect(decoded.warnings.count == 1)
        guard case let .unretrievableMemfd(session, token, compatible, data, error)? = decoded.warnings.first else {
            Issue.record("no memfd warning: \(decoded.warnings)")
            return
        }
        #expect(session == "vm0" && token == 1 && compatible == "memfd-v2" && data == 0xdead_beef)
        #expect(error == .outsideImage(what: "memfd_luo_ser of session \"vm0\" token 0x1", phys: 0xdead_beef, length: 48))
        #expect(decoded.warnings[0].file! == ("vm0", 1))
        #expect(decoded.warnings[0].description.hasPrefix(
            "session \"vm0\" token 0x1: compatible memfd-v2 with raw data 0xdeadbeef that is no valid memfd_luo_ser: "))
    }

    @Test func aBadMemfdSerLeavesTheImageAndItsBlocksAlone() throws {
        // A folio entry with unknown flags: memfd_luo_retrieve's business,
        // not LUO's; the file stays raw data and the blocks its walk had
        // claimed (ser, chunk, array) are given back.
        var image = try CraftedImage()
        let good = try image.decode()
        image.put(u64: image.u64(image.memfdArray) | (4 << 52), at: image.memfdArray)
        let decoded = try image.decode()
        let file = decoded.state.sessions[2].files[0]
        #expect(file.content == .data(image.memfdSer))
        #expect(decoded.warnings.count == 1)
        #expect(decoded.warnings.first?.file.map { $0 == ("m", 1) } == true)
        #expect(decoded.warnings.first?.description.contains("folio 0 has unknown flags 0x7") == true)
        #expect(decoded.state.sessions[0] == good.state.sessions[0])
        #expect(decoded.state.flbs == good.state.flbs)
        #expect(decoded.unreferencedBlocks.count > good.unreferencedBlocks.count)
    }

    @Test func anFLBWithCountZeroDecodesWithAWarning() throws {
        var image = try CraftedImage()
        image.put(u64: 0, at: image.layout.flbHeaderPhys + 16 + 56)
        let decoded = try image.decode()
        #expect(decoded.state.flbs.first == FLBRecord(name: "iommu-v1", data: 0x55, count: 0))
        #expect(decoded.warnings == [.emptyFLB(name: "iommu-v1")])
        #expect(decoded.warnings[0].description == "FLB \"iommu-v1\" has a count of 0: the incoming kernel accepts it, but an outgoing"
            + " kernel only serializes FLBs some file depends on (encode refuses it, so this state cannot be encoded again as it is)")
        #expect(decoded.warnings[0].file == nil)
    }

    @Test func structuresLUOWalksStayErrors() throws {
        // The session block's file pointer out of the image is still refused.
        var image = try CraftedImage()
        image.put(u64: 0x7000_0000, at: image.layout.sessions[0].entryPhys + 64)
        #expect(throws: KHOImageError.self) { try image.decode() }
    }
}
