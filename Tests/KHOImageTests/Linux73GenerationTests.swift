import FDT
import Foundation
import HandoverModel
import KernelABI
import KHOImage
import Testing

/// Linux v7.2/v7.3's generation (kho-v4 + packed luo-v5 + memfd-v2 +
/// kexec-metadata): the generation value, exact bytes, the kernel's
/// allocation order, round trips at scale and every chain error.
@Suite struct Linux73GenerationTests {
    static let memfd = MemfdContents(contents: Array(repeating: 0x5a, count: 4096) + Array(repeating: 0, count: 100), position: 3, seals: 0x1)
    static let state = HandoverState(
        generation: .linux7_3,
        liveupdateNumber: 7,
        sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(memfd)),
                FileRecord(token: 2, compatible: "vfio-pci-v1", content: .data(0xfeed)),
            ]),
            SessionRecord(name: "idle"),
        ],
        flbs: [FLBRecord(name: "iommu-core-v1", data: 0x1234, count: 1)])

    static func manySessions(_ count: Int, filesEach: Int = 0) -> HandoverState {
        HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: (0..<count).map { index in
            SessionRecord(name: "s\(index)", files: (0..<filesEach).map {
                FileRecord(token: UInt64($0), compatible: "raw-v1", content: .data(UInt64(index)))
            })
        })
    }

    static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64($0 * 8)) } }

    // MARK: the generation as a value

    @Test func lookupAndDefault() throws {
        #expect(try KernelGeneration.forRelease("7.2") == .linux7_3)
        #expect(try KernelGeneration.forRelease("7.3") == .linux7_3)
        #expect(try KernelGeneration.forRelease("7.3.4-amd64") == .linux7_3)
        #expect(try KernelGeneration.lookup("kho-v4+luo-v5+memfd-v2") == .linux7_3)
        #expect(KernelGeneration.newest == .linux7_3)
        #expect(HandoverState(liveupdateNumber: 1).generation == .linux7_3)
        #expect(HandoverState(liveupdateNumber: 1).kexecMetadata == KexecMetadata(previousRelease: "7.3.4", kexecCount: 1))
        #expect(KernelGeneration.linux7_3.releases == ["7.2", "7.3"])
        #expect(KernelGeneration.linux7_3.manifestName == "7.3")
        #expect(KernelGeneration.linux7_3.khoRoot.compatible == "kho-v4")
        #expect(KernelGeneration.linux7_3.luo.compatible == "luo-v5" && !KernelGeneration.linux7_3.luo.isFDT)
        #expect(LUOv5.sessionsPerBlock == 51 && LUOv5.filesPerBlock == 63)
        #expect(KernelGeneration.linux7_3.limits.maxSessions == 510_000)
        #expect(KernelGeneration.linux7_3.limits.maxFilesPerSession == 630_000)
    }

    // MARK: exact bytes

    @Test func luoSerBytes() throws {
        let ser = LUOSer(liveupdateNumber: 7, sessionsPhys: 0x1_0000_5000, flbsPhys: 0x1_0000_4000)
        #expect(ser.bytes == Array("luo-v5".utf8) + [0, 0] + Self.le64(7) + Self.le64(0x1_0000_5000) + Self.le64(0x1_0000_4000))
        #expect(try ser.bytes.withUnsafeBytes { try LUOSer.decode($0) } == ser)
        let image = try KHOImageWriter().encode(Self.state)
        #expect(image.luoFDT == LUOSer(liveupdateNumber: 7, sessionsPhys: image.layout.sessionHeaderPhys,
                                       flbsPhys: image.layout.flbHeaderPhys).bytes)
        #expect(image.physicalBytes(at: image.layout.luoFDTPhys, length: 4096) == image.luoFDT + Array(repeating: 0, count: 4096 - 32))
    }

    @Test func sessionAndFileBlockBytes() throws {
        let image = try KHOImageWriter().encode(Self.state)
        let layout = image.layout
        #expect(layout.sessionBlocks == [layout.sessionHeaderPhys])
        var session = Self.le64(0) + Self.le64(2)
        session += Array("vm0".utf8) + Array(repeating: 0, count: 61) + Self.le64(layout.sessions[0].filesPhys) + Self.le64(2)
        session += Array("idle".utf8) + Array(repeating: 0, count: 60) + Self.le64(0) + Self.le64(0)
        #expect(image.physicalBytes(at: layout.sessionHeaderPhys, length: 4096) == session + Array(repeating: 0, count: 4096 - session.count))
        var files = Self.le64(0) + Self.le64(2)
        files += Array("memfd-v2".utf8) + Array(repeating: 0, count: 40) + Self.le64(layout.sessions[0].fileData[0]) + Self.le64(1)
        files += Array("vfio-pci-v1".utf8) + Array(repeating: 0, count: 37) + Self.le64(0xfeed) + Self.le64(2)
        #expect(image.physicalBytes(at: layout.sessions[0].filesPhys, length: 4096) == files + Array(repeating: 0, count: 4096 - files.count))
        // The FLB block is luo-flb-v1's: pgcnt 1, count, entries.
        var flb = Self.le64(1) + Self.le64(1)
        flb += Array("iommu-core-v1".utf8) + Array(repeating: 0, count: 35) + Self.le64(0x1234) + Self.le64(1)
        #expect(image.physicalBytes(at: layout.flbHeaderPhys, length: 4096) == flb + Array(repeating: 0, count: 4096 - flb.count))
    }

    @Test func rootFDTHasLUOFirstWithBlobSize32() throws {
        let image = try KHOImageWriter().encode(Self.state)
        let root = try KHOv4RootFDT.parse(try FDTBlob(bytes: image.khoRootFDT))
        #expect(root.subtrees == [KHOv3RootFDT.Subtree(name: "LUO", phys: image.layout.luoFDTPhys, blobSize: 32),
                                  KHOv3RootFDT.Subtree(name: "kexec-metadata", phys: image.layout.kexecMetadataPhys, blobSize: 73)])
        #expect(try FDTBlob(bytes: image.khoRootFDT).root.string("compatible") == "kho-v4")
    }

    @Test func allocationOrderAndBlockGrowth() throws {
        let layout = try KHOImageWriter().encode(Self.state).layout
        // kho_init, then luo_state_setup, then sessions and files.
        #expect(layout.memoryMapPhys < layout.khoRootFDTPhys)
        #expect(layout.khoRootFDTPhys < layout.kexecMetadataPhys)
        #expect(layout.kexecMetadataPhys < layout.luoFDTPhys)
        #expect(layout.luoFDTPhys < layout.flbHeaderPhys)
        #expect(layout.flbHeaderPhys < layout.sessionHeaderPhys)
        #expect(layout.sessionHeaderPhys < layout.sessions[0].filesPhys)
        #expect(layout.sessions[0].filesPhys < layout.sessions[0].fileData[0])
        #expect(layout.preservedBlocks.allSatisfy { $0.order == 0 })
        // No session, no session block: sessions_pa stays 0.
        let empty = try KHOImageWriter().encode(HandoverState(generation: .linux7_3, liveupdateNumber: 1))
        #expect(empty.layout.sessionHeaderPhys == 0 && empty.layout.sessionBlocks.isEmpty)
        #expect(empty.luoFDT[16..<24].allSatisfy { $0 == 0 })
        #expect(empty.layout.preservedBlocks.count == 4)  // root FDT, kexec-metadata, luo_ser, FLB
        // 51 sessions fill one block; the 52nd opens a second, linked from the first.
        let two = try KHOImageWriter().encode(Self.manySessions(52))
        #expect(two.layout.sessionBlocks.count == 2)
        #expect(two.physicalBytes(at: two.layout.sessionBlocks[0], length: 16) == Self.le64(two.layout.sessionBlocks[1]) + Self.le64(51))
        #expect(two.physicalBytes(at: two.layout.sessionBlocks[1], length: 16) == Self.le64(0) + Self.le64(1))
        #expect(try KHOImageWriter().encode(Self.manySessions(51)).layout.sessionBlocks.count == 1)
        // 63 files fill one file block; the 64th opens a second.
        let files = try KHOImageWriter().encode(Self.manySessions(1, filesEach: 64)).layout.sessions[0]
        #expect(files.fileBlocks.count == 2)
        #expect(files.fileEntryPhys(63) == files.fileBlocks[1] + 16)
    }

    // MARK: round trips

    @Test func roundTripIsByteIdentical() throws {
        for state in [Self.state, HandoverState(generation: .linux7_3, liveupdateNumber: 1), Self.manySessions(103, filesEach: 2)] {
            let image = try KHOImageWriter().encode(state)
            let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
            #expect(decoded.state == state)
            #expect(decoded.layout == image.layout)
            #expect(decoded.unreferencedBlocks.isEmpty)
            #expect(try KHOImageWriter().encode(decoded.state).bytes == image.bytes)
        }
    }

    /// Past `streamingThreshold` bytes of chain blocks the file blocks are
    /// written with streaming stores: the bytes are the cached path's, for
    /// one handler or several, full and partial blocks, memfds and payloads.
    @Test func streamingStoresWriteTheSameBytes() throws {
        var mixed = Self.manySessions(130, filesEach: 70)
        mixed.sessions[3].files[5].compatible = "vfio-pci-v1"
        mixed.sessions[3].files[6].compatible = String(repeating: "c", count: 47)
        mixed.sessions[7].files.append(FileRecord(token: 9_999, compatible: "memfd-v2", content: .memfd(Self.memfd)))
        mixed.sessions[8].files.append(FileRecord(token: 9_999, compatible: "payload-v1", content: .payload([1, 2, 3])))
        mixed.sessions.append(SessionRecord(name: "idle"))
        var streaming = KHOImageWriter()
        streaming.streamingThreshold = 0
        for state in [Self.state, mixed, Self.manySessions(1, filesEach: 1_000)] {
            let cached = try KHOImageWriter().encode(state)
            #expect(try streaming.encode(state).bytes == cached.bytes)
        }
        // The default writes a large image with them too, and it reads back.
        let large = Self.manySessions(4_200, filesEach: 1)
        let image = try KHOImageWriter().encode(large)
        #expect(image.layout.sessions.count * KHOBlock.size >= KHOImageWriter().streamingThreshold)
        #expect(try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes)).state == large)
    }

    @Test func tenThousandSessions() throws {
        let state = Self.manySessions(10_000)
        let image = try KHOImageWriter().encode(state)
        #expect(image.layout.sessionBlocks.count == 197)  // ceil(10000 / 51)
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == state)
        #expect(decoded.layout.sessionBlocks == image.layout.sessionBlocks)
    }

    @Test func aSessionOfAThousandFiles() throws {
        let state = Self.manySessions(1, filesEach: 1_000)
        let image = try KHOImageWriter().encode(state)
        #expect(image.layout.sessions[0].fileBlocks.count == 16)  // ceil(1000 / 63)
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == state)
    }

    // MARK: the reader's refusals

    @Test func chainErrors() throws {
        var cyclic = try CraftedImage(Self.manySessions(52))
        let blocks = cyclic.layout.sessionBlocks
        cyclic.put(u64: blocks[0], at: blocks[1])
        #expect(throws: KHOImageError.blockChain(.sessions, .cyclic(head: blocks[0], repeated: blocks[0]))) { try cyclic.decode() }

        var past = try CraftedImage(Self.manySessions(52))
        past.put(u64: 52, at: blocks[0] + 8)
        #expect(throws: KHOImageError.blockChain(.sessions, .countPastBlock(block: blocks[0], index: 0, count: 52, maximum: 51))) {
            try past.decode()
        }

        var fileChain = try CraftedImage(Self.manySessions(1, filesEach: 64))
        let fileBlocks = fileChain.layout.sessions[0].fileBlocks
        fileChain.put(u64: 0, at: fileBlocks[1] + 8)
        #expect(throws: KHOImageError.blockChain(.files(session: "s0"), .emptyBlock(block: fileBlocks[1], index: 1))) {
            try fileChain.decode()
        }

        var mismatch = try CraftedImage(Self.manySessions(1, filesEach: 64))
        let entry = mismatch.layout.sessions[0].entryPhys
        mismatch.put(u64: 65, at: entry + 72)
        #expect(throws: KHOImageError.structure(what: "session \"s0\"", error: .invalidValue(
            field: "file_set_ser.count", value: 65,
            reason: "its file blocks hold 64 entries (the kernel refuses the session: file count mismatch)"))) {
            try mismatch.decode()
        }
    }

    /// The kernel bug: creating a session whose name is taken, while every
    /// session block is full, grows the chain by a block before the name is
    /// checked and never shrinks it again. The next kernel panics on the
    /// empty block; the reader refuses the image and says so.
    @Test func anEmptySessionBlockIsRefusedWithTheReason() throws {
        var image = try CraftedImage(Self.manySessions(52))
        let blocks = image.layout.sessionBlocks
        // What the bug leaves: 51 sessions in the first block, an empty second one.
        image.put(Self.le64(blocks[1]) + Self.le64(51), at: blocks[0])
        image.put(Self.le64(0) + Self.le64(0) + Array(repeating: 0, count: 80), at: blocks[1])
        let error = KHOImageError.blockChain(.sessions, .emptyBlock(block: blocks[1], index: 1))
        #expect(throws: error) { try image.decode() }
        #expect(error.description == "session chain: block 1 of the chain, at \(hex(blocks[1])), has count 0;"
            + " the next kernel refuses it (kho_block_set_restore: invalid entry count 0) and panics at boot, losing every session."
            + " Linux 7.2 and 7.3 leave such an empty block linked when creating a session with a name already in use fails (EEXIST)"
            + " while every session block is full")
    }

    @Test func luoSerErrors() throws {
        var size = try CraftedImage(Self.state)
        try size.replaceU64(inFDTAt: size.layout.khoRootFDTPhys, path: "/LUO", "blob-size", with: 33)
        #expect(throws: KHOImageError.structure(what: "KHO root FDT subtree LUO", error: .invalidValue(
            field: "blob-size", value: 33, reason: "a luo-v5 luo_ser is 32 bytes"))) { try size.decode() }
        try size.replaceU64(inFDTAt: size.layout.khoRootFDTPhys, path: "/LUO", "blob-size", with: 24)
        #expect(throws: KHOImageError.structure(what: "KHO root FDT subtree LUO", error: .invalidValue(
            field: "blob-size", value: 24, reason: "a luo-v5 luo_ser is 32 bytes (the kernel refuses a smaller one)"))) { try size.decode() }

        var older = try CraftedImage(Self.state)
        let luo = older.layout.luoFDTPhys
        older.put(Array("luo-v4".utf8), at: luo)
        #expect(throws: KHOImageError.structure(what: "luo_ser at \(hex(luo))", error: .unsupportedGeneration(
            node: "LUO", found: "luo-v4", supported: "luo-v5"))) { try older.decode() }
        var other = try CraftedImage(Self.state)
        other.put(Array("garbage".utf8), at: luo)
        #expect(throws: KHOImageError.structure(what: "luo_ser at \(hex(luo))", error: .wrongCompatible(
            node: "LUO luo_ser", expected: "luo-v5", found: "garbage"))) { try other.decode() }
    }

    @Test func aBareLuoSerIsRecognized() throws {
        let ser = LUOSer(liveupdateNumber: 2, sessionsPhys: 0x3bc000, flbsPhys: 0x395000)
        guard case let .luoSer(found) = try KHOImageReader.decode(ReadOnlyBytes(copying: ser.bytes)) else {
            Issue.record("not a luo_ser")
            return
        }
        #expect(found == ser)
        #expect(throws: KHOImageError.fileTooSmall(size: 32)) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: Array("luo-v4".utf8) + Array(repeating: 0, count: 26)))
        }
    }

    @Test func modelLimitsAreTheChainsNotTheOldArrays() throws {
        let many = Self.manySessions(1, filesEach: 129)
        #expect(throws: Never.self) { try KHOImageWriter().encode(many) }
        var old = many
        old.generation = .linux7_1
        #expect(throws: KHOImageError.invalidModel(.tooManyFiles(session: "s0", count: 129, maximum: 128))) {
            try KHOImageWriter().encode(old)
        }
    }
}

/// `kho_block_set_restore`'s rules, on chains made up in memory.
@Suite struct KHOBlockChainTests {
    static func walk(_ chain: [UInt64: KHOBlock.Header], head: UInt64, entrySize: Int = 80) throws -> Result<[(phys: UInt64, header: KHOBlock.Header)], KHOBlock.ChainError> {
        try KHOBlock.walk(head: head, entrySize: entrySize) { (phys: UInt64) throws(KHOImageError) in chain[phys]! }
    }

    @Test func everyRule() throws {
        #expect(try Self.walk([:], head: 0).get().isEmpty)
        let good = try Self.walk([0x1000: .init(next: 0x3000, count: 51), 0x3000: .init(next: 0, count: 1)], head: 0x1000).get()
        #expect(good.map(\.phys) == [0x1000, 0x3000])
        #expect(throws: KHOBlock.ChainError.cyclic(head: 0x1000, repeated: 0x3000)) {
            try Self.walk([0x1000: .init(next: 0x3000, count: 1), 0x3000: .init(next: 0x3000, count: 1)], head: 0x1000).get()
        }
        #expect(throws: KHOBlock.ChainError.emptyBlock(block: 0x3000, index: 1)) {
            try Self.walk([0x1000: .init(next: 0x3000, count: 51), 0x3000: .init(next: 0, count: 0)], head: 0x1000).get()
        }
        #expect(throws: KHOBlock.ChainError.countPastBlock(block: 0x1000, index: 0, count: 64, maximum: 63)) {
            try Self.walk([0x1000: .init(next: 0, count: 64)], head: 0x1000, entrySize: 64).get()
        }
        // 10,000 blocks are accepted, 10,001 are not.
        var chain: [UInt64: KHOBlock.Header] = [:]
        for index in 0..<10_001 { chain[UInt64(index + 1) << 12] = .init(next: index == 10_000 ? 0 : UInt64(index + 2) << 12, count: 1) }
        #expect(throws: KHOBlock.ChainError.tooLong(head: 0x1000, maximum: 10_000)) { try Self.walk(chain, head: 0x1000).get() }
        chain[10_000 << 12] = .init(next: 0, count: 1)
        #expect(try Self.walk(chain, head: 0x1000).get().count == 10_000)
    }
}
