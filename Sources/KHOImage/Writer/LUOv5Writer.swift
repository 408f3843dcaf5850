import FDT
import HandoverModel
import KernelABI
import CLinuxSupport

/// The `luo-v5` generation (Linux v7.2, v7.3) on the writer's simulated
/// memory, in the kernel's allocation order (all blocks order 0, zeroed):
///
/// 1. `kho_init`: the radix root (not preserved), the KHO root FDT page,
///    the `kexec-metadata` block, added as a subtree at once;
/// 2. `luo_late_startup` -> `luo_state_setup`: the `luo_ser` block, then
///    (`luo_flb_setup_outgoing`) the FLB page with `pgcnt` 1; then `LUO` is
///    added to the root with `blob-size` 32;
/// 3. per session in model order: when it is session 1, 52, 103, ... a new
///    session block, linked to the previous one at once
///    (`luo_session_insert` -> `kho_block_set_grow`); then per file: when
///    it is file 1, 64, 127, ... of the session a new file block, linked
///    at once (`luo_preserve_file`, before the handler runs); then the
///    handler's `preserve`;
/// 4. `liveupdate_reboot`: every entry and block count filled in place,
///    `sessions_pa` set when there is a session, the FLB entries.
extension KHOImageWriter {
    func layOutLUOv5(_ state: HandoverState) throws(FDTError) -> EncodedImage {
        let generation = state.generation
        var arena = PhysicalArena(base: base)
        let chainBlocks = Self.chainBlocks(state)
        // Each chain block and its share of radix pages, plus the fixed blocks.
        arena.reserve(additional: (64 + 2 * chainBlocks) * PageGeometry.pageSize)
        arena.reserveBlocks(chainBlocks)

        arena.allocateRadixRoot()
        let khoRootPhys = arena.allocatePreservedFDTPage()
        var kexecMetadataPhys: UInt64 = 0
        if let metadata = generation.kexecMetadata {
            kexecMetadataPhys = arena.allocatePreserved(order: PageGeometry.order(forBytes: metadata.size))
        }
        let luoSerPhys = arena.allocatePreserved(order: PageGeometry.order(forBytes: LUOSer.size))
        let flbBlock = arena.allocatePreserved(order: PageGeometry.order(forBytes: LUOv5.flbBlockPages * PageGeometry.pageSize))

        // The plain structures first, then the root FDT, edited in its own
        // page of the arena, lent for the length of the edit; its bytes
        // are copied out before the next allocation (which may move the arena).
        let metadata = generation.kexecMetadata == nil ? nil : state.kexecMetadata
        if let metadata {
            arena.withBytes(at: kexecMetadataPhys, length: KexecMetadataSer.size) {
                KexecMetadataSer(previousRelease: metadata.previousRelease, kexecCount: metadata.kexecCount)
                    .encode(into: $0, at: 0)
            }
        }
        arena.withBytes(at: flbBlock, length: LUOFLBHeaderSer.size) {
            $0.storeLittleEndian(UInt64(LUOv5.flbBlockPages), at: LUOFLBHeaderSer.pageCountOffset)
        }
        let khoRootBlob = try arena.withBorrowedBytes(at: khoRootPhys, length: PageGeometry.pageSize) { (page) throws(FDTError) in
            let khoRoot = try KHOv4RootFDT.makeSkeleton(memoryMapPhys: arena.radixRoot, into: page)
            if metadata != nil {
                try KHOv4RootFDT.addSubtree(to: khoRoot, name: KexecMetadataSer.format.nodeName,
                                            phys: kexecMetadataPhys, blobSize: UInt64(KexecMetadataSer.size))
            }
            try KHOv4RootFDT.addSubtree(to: khoRoot, name: LUOv5.subtreeName, phys: luoSerPhys, blobSize: UInt64(LUOSer.size))
            return khoRoot.blob
        }

        // Sessions and files: each chain grows by a block when an entry no
        // longer fits. Chain blocks are written whole at reboot() (`next`,
        // `count`, the entries, then zeros to the end of the page), so they
        // are not zeroed first and each of their bytes is written once; the
        // `next` link the kernel stores at once is stored then too, with
        // the same value.
        let sessionsPerBlock = LUOv5.sessionsPerBlock
        let filesPerBlock = LUOv5.filesPerBlock
        var sessionBlocks: [UInt64] = []
        sessionBlocks.reserveCapacity(KHOBlock.blocks(forEntries: state.sessions.count, entrySize: LUOSessionSer.size))
        var layouts: [SessionLayout] = []
        layouts.reserveCapacity(state.sessions.count)
        for (index, session) in state.sessions.enumerated() {
            if index % sessionsPerBlock == 0 {
                sessionBlocks.append(Self.allocateChainBlock(in: &arena))
            }
            var fileBlocks: [UInt64] = []
            fileBlocks.reserveCapacity(KHOBlock.blocks(forEntries: session.files.count, entrySize: LUOFileSer.size))
            var data: [UInt64] = []
            data.reserveCapacity(session.files.count)
            // A block, then the files it will hold (no division per file).
            var slot = 0
            while slot < session.files.count {
                fileBlocks.append(Self.allocateChainBlock(in: &arena))
                let end = min(slot + filesPerBlock, session.files.count)
                while slot < end {
                    data.append(preserve(session.files[slot].content, memfdFormat: generation.memfd, in: &arena))
                    slot += 1
                }
            }
            layouts.append(SessionLayout(entryPhys: 0, filesPhys: fileBlocks.first ?? 0, fileData: data, fileBlocks: fileBlocks))
        }

        // reboot(): no allocation from here on, so arena pointers stay valid.
        var lastCompatible = ""
        var lastCompatibleField: UnsafeRawPointer?
        // File blocks beyond the caches are written with streaming stores
        // (no read of each line before it is overwritten).
        let streaming = chainBlocks * KHOBlock.size >= streamingThreshold
        let field = UnsafeMutableRawBufferPointer.allocate(byteCount: LUOFileSer.size, alignment: 16)
        defer { field.deallocate() }
        var streamedCompatible: String?
        for (index, session) in state.sessions.enumerated() {
            let block = sessionBlocks[index / sessionsPerBlock]
            let entryPhys = block + UInt64(KHOBlock.headerSize + (index % sessionsPerBlock) * LUOSessionSer.size)
            layouts[index].entryPhys = entryPhys
            let fileBlocks = layouts[index].fileBlocks
            let fileData = layouts[index].fileData
            arena.withBytes(at: entryPhys, length: LUOSessionSer.size) {
                LUOSessionSer(name: session.name.bytes, files: fileBlocks.first ?? 0, count: UInt64(session.files.count))
                    .encode(into: $0, at: 0)
            }
            session.files.withUnsafeBufferPointer { files in
                fileData.withUnsafeBufferPointer { fileData in
                    for (number, fileBlock) in fileBlocks.enumerated() {
                        let first = number * filesPerBlock
                        let count = min(filesPerBlock, files.count - first)
                        let next = number + 1 < fileBlocks.count ? fileBlocks[number + 1] : 0
                        if streaming {
                            arena.withBytes(at: fileBlock, length: KHOBlock.size) { bytes in
                                Self.streamFileBlock(bytes, next: next, files: files, data: fileData, first: first, count: count,
                                                     field: field, lastCompatible: &streamedCompatible)
                            }
                            continue
                        }
                        arena.withBytes(at: fileBlock, length: KHOBlock.size) { bytes in
                            bytes.storeLittleEndian(next, at: KHOBlock.nextOffset)
                            bytes.storeLittleEndian(UInt64(count), at: KHOBlock.countOffset)
                            var entry = bytes.baseAddress! + KHOBlock.headerSize
                            for slot in first..<(first + count) {
                                if let field = lastCompatibleField, files[slot].compatible == lastCompatible {
                                    // Files mostly share a handler: copy its encoded name.
                                    entry.copyMemory(from: field, byteCount: LUOv1.handlerCompatibleLength)
                                    entry.storeBytes(of: fileData[slot].littleEndian, toByteOffset: LUOFileSer.dataOffset, as: UInt64.self)
                                    entry.storeBytes(of: files[slot].token.littleEndian, toByteOffset: LUOFileSer.tokenOffset, as: UInt64.self)
                                } else {
                                    LUOFileSer.encode(compatible: files[slot].compatible, data: fileData[slot], token: files[slot].token,
                                                      into: UnsafeMutableRawBufferPointer(start: entry, count: LUOFileSer.size), at: 0)
                                    lastCompatible = files[slot].compatible
                                    lastCompatibleField = UnsafeRawPointer(entry)
                                }
                                entry += LUOFileSer.size
                            }
                            let used = KHOBlock.headerSize + count * LUOFileSer.size
                            (bytes.baseAddress! + used).initializeMemory(as: UInt8.self, repeating: 0, count: KHOBlock.size - used)
                        }
                    }
                }
            }
        }
        if streaming { luo_stream_fence() }
        for (number, block) in sessionBlocks.enumerated() {
            let count = min(sessionsPerBlock, state.sessions.count - number * sessionsPerBlock)
            let next = number + 1 < sessionBlocks.count ? sessionBlocks[number + 1] : 0
            arena.withBytes(at: block, length: KHOBlock.size) { bytes in
                bytes.storeLittleEndian(next, at: KHOBlock.nextOffset)
                bytes.storeLittleEndian(UInt64(count), at: KHOBlock.countOffset)
                let used = KHOBlock.headerSize + count * LUOSessionSer.size
                (bytes.baseAddress! + used).initializeMemory(as: UInt8.self, repeating: 0, count: KHOBlock.size - used)
            }
        }
        let ser = LUOSer(liveupdateNumber: state.liveupdateNumber, sessionsPhys: sessionBlocks.first ?? 0, flbsPhys: flbBlock)
        arena.withBytes(at: luoSerPhys, length: LUOSer.size) { ser.encode(into: $0) }
        arena.withBytes(at: flbBlock, length: LUOFLBHeaderSer.size + state.flbs.count * LUOFLBSer.size) { block in
            block.storeLittleEndian(UInt64(state.flbs.count), at: LUOFLBHeaderSer.countOffset)
            for (slot, flb) in state.flbs.enumerated() {
                LUOFLBSer(name: flb.name, data: flb.data, count: flb.count)
                    .encode(into: block, at: LUOFLBHeaderSer.size + slot * LUOFLBSer.size)
            }
        }

        let ranges = Self.contiguousRanges(arena.allocations)
        let index = try ImageIndex.build(khoFDTPhys: khoRootPhys, ranges: ranges)
        let layout = HandoverLayout(
            regions: index.regions, khoRootFDTPhys: khoRootPhys, memoryMapPhys: arena.radixRoot,
            luoFDTPhys: luoSerPhys, sessionHeaderPhys: sessionBlocks.first ?? 0, flbHeaderPhys: flbBlock,
            preservedBlocks: arena.preserved.map { PreservedBlock(phys: $0.phys, order: $0.order) }
                .sorted { $0.phys < $1.phys },
            sessions: layouts, kexecMetadataPhys: kexecMetadataPhys, sessionBlocks: sessionBlocks)
        return EncodedImage(index: index.bytes, layout: layout, memoryBase: base, memory: arena.takeBytes(), placed: arena.placed,
                            khoRootFDT: khoRootBlob, luoFDT: ser.bytes)
    }

    /// A `kho_block` page, not zeroed: it is written whole at reboot().
    /// Debug builds (the tests') fill it with 0xA5 first, so a byte the
    /// writer leaves unwritten shows in every byte-exact test instead of
    /// passing as the zero a fresh page happens to hold.
    static func allocateChainBlock(in arena: inout PhysicalArena) -> UInt64 {
        let block = arena.allocatePreserved(order: PageGeometry.order(forBytes: KHOBlock.size), zeroed: false)
        #if DEBUG
        arena.withBytes(at: block, length: KHOBlock.size) { $0.initializeMemory(as: UInt8.self, repeating: 0xA5) }
        #endif
        return block
    }

    /// One file block written whole with streaming stores, 16 bytes at a
    /// time: `next` and `count`, each entry (its compatible from `field`,
    /// encoded again only when it changes), zeros to the end.
    static func streamFileBlock(_ bytes: UnsafeMutableRawBufferPointer, next: UInt64, files: UnsafeBufferPointer<FileRecord>,
                                data: UnsafeBufferPointer<UInt64>, first: Int, count: Int,
                                field: UnsafeMutableRawBufferPointer, lastCompatible: inout String?) {
        // Each store is two adjacent u64 fields of the layouts KHOBlock and
        // LUOFileSer define: `next` and `count`, `data` and `token`.
        assert(KHOBlock.countOffset == KHOBlock.nextOffset + 8 && LUOFileSer.tokenOffset == LUOFileSer.dataOffset + 8)
        let base = bytes.baseAddress!
        luo_stream_16(base + KHOBlock.nextOffset, next.littleEndian, UInt64(count).littleEndian)
        var entry = base + KHOBlock.headerSize
        for slot in first..<(first + count) {
            if files[slot].compatible != lastCompatible {
                LUOFileSer.encode(compatible: files[slot].compatible, data: 0, token: 0, into: field, at: 0)
                lastCompatible = files[slot].compatible
            }
            for word in stride(from: 0, to: LUOv1.handlerCompatibleLength, by: 16) {
                luo_stream_16(entry + word, field.load(fromByteOffset: word, as: UInt64.self),
                              field.load(fromByteOffset: word + 8, as: UInt64.self))
            }
            luo_stream_16(entry + LUOFileSer.dataOffset, data[slot].littleEndian, files[slot].token.littleEndian)
            entry += LUOFileSer.size
        }
        let end = base + KHOBlock.size
        while entry < end {
            luo_stream_16(entry, 0, 0)
            entry += 16
        }
    }

    /// The `kho_block`s `state` needs: its session chain and every
    /// session's file chain. One pass over the sessions (each one's file
    /// count lives with its files, a read from memory per session).
    static func chainBlocks(_ state: HandoverState) -> Int {
        var blocks = KHOBlock.blocks(forEntries: state.sessions.count, entrySize: LUOSessionSer.size)
        for session in state.sessions {
            blocks += KHOBlock.blocks(forEntries: session.files.count, entrySize: LUOFileSer.size)
        }
        return blocks
    }
}
