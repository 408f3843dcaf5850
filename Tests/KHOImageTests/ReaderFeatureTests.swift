import FDT
import Glibc
import HandoverModel
import KernelABI
import KHOImage
import Testing

/// What the reader reports besides the state: other KHO subtrees, preserved
/// blocks nothing refers to, and memfd folio entries it skips.
@Suite struct ReaderFeatureTests {
    @Test func otherSubtreesAreListed() throws {
        var image = try CraftedImage()
        let root = image.layout.khoRootFDTPhys
        let editor = FDTEditor(editing: AlignedBytes(copying: image.read(root, 4096)))
        try KHOv2RootFDT.addSubtree(to: editor, name: "memblock", phys: 0xdead_0000)
        image.put(editor.buffer.array, at: root)
        let decoded = try image.decode()
        #expect(decoded.otherSubtrees.map(\.name) == ["memblock"])
        #expect(decoded.otherSubtrees.map(\.phys) == [0xdead_0000])
        #expect(decoded.khoRootFDT == editor.blob)
        #expect(decoded.state == CraftedImage.richState)
    }

    @Test func preservedBlocksNothingUsesAreReported() throws {
        var image = try CraftedImage()
        // A radix-tree page is allocated but not preserved; preserving it
        // leaves a block no LUO structure refers to.
        let node = image.layout.memoryMapPhys + 0x2000
        image.setPreservedBit(node, order: 0, to: true)
        let decoded = try image.decode()
        #expect(decoded.unreferencedBlocks == [PreservedBlock(phys: node, order: 0)])
        #expect(decoded.layout.preservedBlocks.contains(PreservedBlock(phys: node, order: 0)))
        #expect(decoded.state == CraftedImage.richState)
    }

    @Test func memfdFolioEntriesWithPfnZeroAreSkipped() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let secondFolio = (image.u64(array + 16) & ((1 << 52) - 1)) << 12
        image.put(zeroBytes(16), at: array + 16)
        image.put(u64: 4096, at: image.memfdSer + 8)
        let decoded = try image.decode()
        #expect(decoded.state.sessions[2].files[0].content
                == .memfd(MemfdContents(size: 4096, position: 17, contents: [UInt8](repeating: 0xab, count: 4096))))
        #expect(decoded.unreferencedBlocks == [PreservedBlock(phys: secondFolio, order: 0)])
    }

    @Test func rawDataStaysRawAndPayloadsAreWholeBlocks() throws {
        let state = HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 2, sessions: [SessionRecord(name: "s", files: [
            FileRecord(token: 1, compatible: "raw-v1", content: .data(0)),
            FileRecord(token: 2, compatible: "blob-v1", content: .payload([9, 8, 7])),
        ])])
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: try KHOImageWriter().encode(state).bytes))
        #expect(decoded.state.sessions[0].files[0].content == .data(0))
        // A payload comes back as its whole block: the bytes, then zeros to 4 KiB.
        #expect(decoded.state.sessions[0].files[1].content == .payload([9, 8, 7] + zeroBytes(4093)))
    }

    @Test func errnoOfEachKind() {
        #expect(KHOImageError.missingSubtree(name: "LUO").errno == ENOENT)
        #expect(KHOImageError.duplicateSession(name: "a").errno == EEXIST)
        #expect(KHOImageError.duplicateToken(session: "a", token: 1).errno == EEXIST)
        #expect(KHOImageError.duplicateFLB(name: "f").errno == EEXIST)
        #expect(KHOImageError.fileTooLarge(size: 2, limit: 1).errno == EFBIG)
        #expect(KHOImageError.io(path: "/x", operation: "open", errno: EACCES).errno == EACCES)
        #expect(KHOImageError.invalidModel(.tooManySessions(count: 820, maximum: 819)).errno == ENOMEM)
        for error: KHOImageError in [.fileTooSmall(size: 1), .notPreserved(what: "x", phys: 0, length: 1),
                                     .memfd(session: "m", token: 1, problem: "p"), .region(name: "r", problem: "p"),
                                     .structure(what: "x", error: .countOutOfRange(field: "count", count: 820, maximum: 819))] {
            #expect(error.errno == EINVAL)
        }
    }

    @Test func descriptionsNameWhatAndWhere() {
        #expect(KHOImageError.outsideImage(what: "LUO FDT", phys: 0x10, length: 40).description
                == "LUO FDT at 0x10 (40 bytes) is not inside any region of the image")
        #expect(KHOImageError.structure(what: "session header at 0x100010000",
                                        error: .countOutOfRange(field: "count", count: 820, maximum: 819)).description
                == "session header at 0x100010000: count is 820, more than the maximum 819")
        #expect(KHOImageError.memfd(session: "m", token: 1, problem: "size is 5000 but nr_folios is 0").description
                == "session \"m\" token 0x1 (memfd): size is 5000 but nr_folios is 0")
    }
}
