import FDT
import HandoverModel
import KernelABI
import KHOImage
import Testing

@Suite struct RoundTripTests {
    static let sample = HandoverState(
        generation: .khoV2Prerelease,
        liveupdateNumber: 3,
        sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: "memfd-v1", content: .memfd(MemfdContents(contents: Array(repeating: 0xab, count: 5000), position: 17))),
                FileRecord(token: 2, compatible: "vfio-v1", content: .data(0xdead_beef)),
                FileRecord(token: 3, compatible: "blob-v1", content: .payload(Array(repeating: 7, count: 8192))),
            ]),
            SessionRecord(name: "empty"),
        ],
        flbs: [FLBRecord(name: "iommu-core-v1", data: 0x1234, count: 2)])

    @Test func encodeThenDecodeGivesTheSameState() throws {
        let image = try KHOImageWriter().encode(Self.sample)
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == Self.sample)
        #expect(decoded.layout == image.layout)
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(decoded.khoRootFDT == image.khoRootFDT)
        #expect(decoded.luoFDT == image.luoFDT)
    }

    @Test func payloadsReadBackPaddedToTheirBlock() throws {
        let state = HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "p", files: [FileRecord(token: 1, compatible: "blob-v1", content: .payload([1, 2, 3]))]),
            SessionRecord(name: "q", files: [FileRecord(token: 2, compatible: "blob-v1",
                                                       content: .payload([UInt8](repeating: 9, count: 3 * 4096 + 1)))]),
        ])
        let expected = state.readBackFromImage
        #expect(expected.sessions[0].files[0].content == .payload([1, 2, 3] + [UInt8](repeating: 0, count: 4093)))
        #expect(expected.sessions[1].files[0].content
                == .payload([UInt8](repeating: 9, count: 3 * 4096 + 1) + [UInt8](repeating: 0, count: 4095)))
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: try KHOImageWriter().encode(state).bytes))
        #expect(decoded.state == expected)
        #expect(expected.readBackFromImage == expected)
    }
}
