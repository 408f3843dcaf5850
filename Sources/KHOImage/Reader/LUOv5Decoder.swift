import FDT
import HandoverModel
import KernelABI
import HexFormat
#if canImport(Glibc)
import Glibc
#endif

/// The incoming side of `luo-v5` (Linux v7.2, v7.3): `luo_early_startup`,
/// `luo_session_setup_incoming` / `luo_session_deserialize`,
/// `luo_file_deserialize` and `luo_flb_setup_incoming`, with
/// `kho_block_set_restore`'s rules on every chain.
extension ImageDecoder {
    func decodeLUOv5(index: ImageIndex.Contents, memory: ImageMemory, root: RootView, rootBlob: FDTBlob,
                     luoSubtree: RootView.Subtree, kexecMetadata: KexecMetadata?, kexecMetadataPhys: UInt64,
                     preserved: inout PreservedMemoryMap) throws(KHOImageError) -> DecodedImage {
        let generation = root.generation
        let luoPhys = luoSubtree.phys
        // The kernel needs blob-size >= 32 (luo_early_startup) and writes
        // exactly sizeof(struct luo_ser); anything else is not an image a
        // kernel wrote, and could not be written again.
        let blobSize = luoSubtree.blobSize ?? 0
        guard blobSize == UInt64(LUOSer.size) else {
            throw .structure(what: "KHO root FDT subtree \(LUOv5.subtreeName)", error: .invalidValue(
                field: KHOv3RootFDT.blobSizeProperty, value: blobSize,
                reason: "a \(LUOv5.compatible) luo_ser is \(LUOSer.size) bytes\(blobSize < UInt64(LUOSer.size) ? " (the kernel refuses a smaller one)" : "")"))
        }
        func what() -> String { "luo_ser at \(Hex.format(luoPhys))" }
        let serBytes = try require(luoPhys, UInt64(LUOSer.size), what(), memory, &preserved)
        let ser: LUOSer
        do { ser = try LUOSer.decode(serBytes) } catch { throw .structure(what: what(), error: error) }

        var sessions: [SessionRecord] = []
        var layouts: [SessionLayout] = []
        var followed: [FollowedSlots] = []
        var sessionBlocks: [UInt64] = []
        var warnings: [ReaderWarning] = []
        if ser.sessionsPhys != 0 {
            let chain = try restoreChain(head: ser.sessionsPhys, entrySize: LUOSessionSer.size, chain: .sessions,
                                         memory: memory, preserved: &preserved)
            sessionBlocks = chain.map(\.phys)
            let list = try decodeSessionBlocks(chain, nameCheck: generation.sessionNameCheck, memfd: generation.memfd,
                                               memory: memory, preserved: &preserved, warnings: &warnings)
            (sessions, layouts, followed) = (list.sessions, list.layouts, list.followed)
        }
        let flbs = ser.flbsPhys == 0 ? [] : try decodeFLBs(ser.flbsPhys, memory, &preserved, &warnings)
        let structures = try decodeContents(&sessions, layouts, followed, generation.memfd, memory, &preserved, &warnings)

        let layout = HandoverLayout(
            regions: index.regions, khoRootFDTPhys: index.khoFDTPhys, memoryMapPhys: root.memoryMapPhys,
            luoFDTPhys: luoPhys, sessionHeaderPhys: ser.sessionsPhys, flbHeaderPhys: ser.flbsPhys,
            preservedBlocks: preserved.blocks, sessions: layouts, kexecMetadataPhys: kexecMetadataPhys,
            sessionBlocks: sessionBlocks)
        let ownNames = [LUOv5.subtreeName, generation.kexecMetadata?.nodeName].compactMap { $0 }
        return image(
            state: HandoverState(generation: generation, liveupdateNumber: ser.liveupdateNumber, sessions: sessions,
                                 flbs: flbs, kexecMetadata: kexecMetadata),
            layout: layout, memory: memory, rootBlob: rootBlob, root: root, luoBytes: Array(serBytes), ownSubtrees: ownNames,
            structures: structures, preserved: preserved, warnings: warnings)
    }

    /// `kho_block_set_restore` on the chain from `head`, then each block's
    /// used bytes checked to be in the image, preserved, and in a block no
    /// other structure uses; the blocks are claimed.
    private func restoreChain(head: UInt64, entrySize: Int, chain: KHOImageError.BlockChain, memory: ImageMemory,
                              preserved: inout PreservedMemoryMap) throws(KHOImageError) -> [(phys: UInt64, header: KHOBlock.Header)] {
        let walked = try KHOBlock.walk(head: head, entrySize: entrySize) { (phys: UInt64) throws(KHOImageError) in
            KHOBlock.Header.decode(try memory.bytes(at: phys, length: KHOBlock.headerSize, what: "\(chain) block"))
        }
        let blocks: [(phys: UInt64, header: KHOBlock.Header)]
        switch walked {
        case let .success(found): blocks = found
        case let .failure(error): throw .blockChain(chain, error)
        }
        for (number, block) in blocks.enumerated() {
            // One lookup of the preserved block holding the chain block
            // serves the claimed check, the preserved check and the claim
            // (what require() does with three).
            let owner = preserved.blockIndexNearLast(containing: block.phys)
            if let owner, preserved.isClaimed(index: owner) {
                throw .structure(what: "\(chain) block \(number)", error: .invalidValue(
                    field: "next", value: block.phys,
                    reason: "lies in the preserved block at \(Hex.format(preserved.blocks[owner].phys)), which another structure already uses"))
            }
            let length = UInt64(KHOBlock.headerSize) + block.header.count * UInt64(entrySize)
            _ = try memory.bytes(at: block.phys, length: Int(length), what: "\(chain) block \(number) (\(block.header.count) entries)")
            if let owner, block.phys + length <= preserved.blocks[owner].phys + preserved.blocks[owner].size {
                preserved.claim(index: owner)
            } else {
                try preserved.requirePreserved(block.phys, length: length, what: "\(chain) block \(number) (\(block.header.count) entries)")
                preserved.claim(block.phys)
            }
        }
        return blocks
    }

    /// `luo_session_deserialize`: each entry of each block, in order.
    private func decodeSessionBlocks(_ blocks: [(phys: UInt64, header: KHOBlock.Header)], nameCheck: SessionNameCheck,
                                     memfd: MemfdFormat, memory: ImageMemory, preserved: inout PreservedMemoryMap,
                                     warnings: inout [ReaderWarning]) throws(KHOImageError) -> SessionList {
        var list = SessionList(capacity: blocks.reduce(0) { $0 + Int($1.header.count) }, nameCheck: nameCheck)
        var fileEntries = FileEntryReader(memfd: memfd)
        var index = 0
        for block in blocks {
            let count = Int(block.header.count)
            let bytes = try memory.bytes(at: block.phys, length: KHOBlock.headerSize + count * LUOSessionSer.size,
                                         what: "session block")
            for slot in 0..<count {
                defer { index += 1 }
                let offset = KHOBlock.headerSize + slot * LUOSessionSer.size
                let entryPhys = block.phys + UInt64(offset)
                guard let read = try list.readEntry(bytes, at: offset, index: index, entryPhys: entryPhys, warnings: &warnings)
                else { continue }
                let (entry, name) = read
                // The next session's first file block, when its entry follows in this block.
                var nextSessionFiles: UnsafeRawPointer?
                if slot + 1 < count {
                    let files = bytes.loadLittleEndian(UInt64.self, at: offset + LUOSessionSer.size + LUOSessionSer.filesOffset)
                    nextSessionFiles = try? memory.bytes(at: files, length: KHOBlock.size, what: "").baseAddress
                }
                let chain = try restoreChain(head: entry.files, entrySize: LUOFileSer.size, chain: .files(session: name),
                                             memory: memory, preserved: &preserved)
                let found = chain.reduce(UInt64(0)) { $0 + $1.header.count }
                guard found == entry.count else {
                    throw .structure(what: "session \"\(name)\"", error: .invalidValue(
                        field: "file_set_ser.count", value: entry.count,
                        reason: "its file blocks hold \(found) entries (the kernel refuses the session: file count mismatch)"))
                }
                fileEntries.beginSession(count: Int(found))
                for (number, fileBlock) in chain.enumerated() {
                    let fileCount = Int(fileBlock.header.count)
                    let files = try memory.bytes(at: fileBlock.phys, length: KHOBlock.headerSize + fileCount * LUOFileSer.size,
                                                 what: "file block")
                    // The block read next starts loading while this one is read.
                    let next = number + 1 < chain.count
                        ? try? memory.bytes(at: chain[number + 1].phys, length: KHOBlock.size, what: "").baseAddress
                        : nextSessionFiles
                    try fileEntries.read(files, entriesAt: KHOBlock.headerSize, count: fileCount, phys: fileBlock.phys,
                                         session: name, preserved: preserved, next: next)
                }
                list.append(entry, name: name, entryPhys: entryPhys, files: fileEntries, fileBlocks: chain.map(\.phys))
            }
        }
        return list
    }
}
