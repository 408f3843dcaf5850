import FDT
import HandoverModel
import KernelABI

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
    func layOutLUOv5(_ state: HandoverState) throws -> EncodedImage {
        let generation = state.generation
        var arena = PhysicalArena(base: base)
        arena.reserve(additional: Self.estimatedLUOv5ArenaBytes(state))

        arena.allocateRadixRoot()
        let khoRootPhys = arena.allocatePreserved(order: 0)
        var kexecMetadataPhys: UInt64 = 0
        if let metadata = generation.kexecMetadata {
            kexecMetadataPhys = arena.allocatePreserved(order: PageGeometry.order(forBytes: metadata.size))
        }
        let luoSerPhys = arena.allocatePreserved(order: PageGeometry.order(forBytes: LUOSer.size))
        let flbBlock = arena.allocatePreserved(order: PageGeometry.order(forBytes: LUOv5.flbBlockPages * PageGeometry.pageSize))

        // The root FDT is edited in its own page of the arena; its bytes are
        // copied out before the next allocation (which may move the arena).
        let khoRoot = try KHOv4RootFDT.makeSkeleton(memoryMapPhys: arena.radixRoot,
                                                    into: arena.borrowBytes(at: khoRootPhys, length: PageGeometry.pageSize))
        if generation.kexecMetadata != nil, let metadata = state.kexecMetadata {
            arena.withBytes(at: kexecMetadataPhys, length: KexecMetadataSer.size) {
                KexecMetadataSer(previousRelease: metadata.previousRelease, kexecCount: metadata.kexecCount)
                    .encode(into: $0, at: 0)
            }
            try KHOv4RootFDT.addSubtree(to: khoRoot, name: KexecMetadataSer.format.nodeName,
                                        phys: kexecMetadataPhys, blobSize: UInt64(KexecMetadataSer.size))
        }
        arena.withBytes(at: flbBlock, length: LUOFLBHeaderSer.size) {
            $0.storeLittleEndian(UInt64(LUOv5.flbBlockPages), at: LUOFLBHeaderSer.pageCountOffset)
        }
        try KHOv4RootFDT.addSubtree(to: khoRoot, name: LUOv5.subtreeName, phys: luoSerPhys, blobSize: UInt64(LUOSer.size))
        let khoRootBlob = khoRoot.blob

        // Sessions and files: each chain grows by a block, linked at once,
        // when an entry no longer fits.
        var sessionBlocks: [UInt64] = []
        var layouts: [SessionLayout] = []
        layouts.reserveCapacity(state.sessions.count)
        for (index, session) in state.sessions.enumerated() {
            if index % LUOv5.sessionsPerBlock == 0 {
                Self.growChain(&sessionBlocks, in: &arena)
            }
            var fileBlocks: [UInt64] = []
            var data: [UInt64] = []
            data.reserveCapacity(session.files.count)
            for slot in session.files.indices {
                if slot % LUOv5.filesPerBlock == 0 {
                    Self.growChain(&fileBlocks, in: &arena)
                }
                data.append(preserve(session.files[slot].content, memfdFormat: generation.memfd, in: &arena))
            }
            layouts.append(SessionLayout(entryPhys: 0, filesPhys: fileBlocks.first ?? 0, fileData: data, fileBlocks: fileBlocks))
        }

        // reboot(): no allocation from here on.
        for (index, session) in state.sessions.enumerated() {
            let block = sessionBlocks[index / LUOv5.sessionsPerBlock]
            let slot = index % LUOv5.sessionsPerBlock
            let entryPhys = block + UInt64(KHOBlock.headerSize + slot * LUOSessionSer.size)
            layouts[index].entryPhys = entryPhys
            let layout = layouts[index]
            arena.withBytes(at: entryPhys, length: LUOSessionSer.size) {
                LUOSessionSer(name: session.name, files: layout.filesPhys, count: UInt64(session.files.count))
                    .encode(into: $0, at: 0)
            }
            Self.fillCounts(layout.fileBlocks, entries: session.files.count, perBlock: LUOv5.filesPerBlock, in: &arena)
            for (slot, file) in session.files.enumerated() {
                arena.withBytes(at: layout.fileEntryPhys(slot), length: LUOFileSer.size) {
                    LUOFileSer.encode(compatible: file.compatible, data: layout.fileData[slot], token: file.token, into: $0, at: 0)
                }
            }
        }
        Self.fillCounts(sessionBlocks, entries: state.sessions.count, perBlock: LUOv5.sessionsPerBlock, in: &arena)
        let ser = LUOSer(liveupdateNumber: state.liveupdateNumber, sessionsPhys: sessionBlocks.first ?? 0, flbsPhys: flbBlock)
        arena.withBytes(at: luoSerPhys, length: LUOSer.size) { ser.encode(into: $0) }
        arena.withBytes(at: flbBlock, length: LUOFLBHeaderSer.size + state.flbs.count * LUOFLBSer.size) { block in
            block.storeLittleEndian(UInt64(state.flbs.count), at: LUOFLBHeaderSer.countOffset)
            for (slot, flb) in state.flbs.enumerated() {
                LUOFLBSer(name: flb.name, data: flb.data, count: flb.count)
                    .encode(into: block, at: LUOFLBHeaderSer.size + slot * LUOFLBSer.size)
            }
        }

        guard arena.top <= KHOImageWriter.physicalAddressLimit else {
            throw KHOImageError.invalidModel(.badBaseAddress(address: base, reason: "the handover does not fit below 2^52 from here"))
        }
        let ranges = Self.contiguousRanges(arena.allocations)
        let index = try ImageIndex.build(khoFDTPhys: khoRootPhys, ranges: ranges)
        let layout = HandoverLayout(
            regions: index.regions, khoRootFDTPhys: khoRootPhys, memoryMapPhys: arena.radixRoot,
            luoFDTPhys: luoSerPhys, sessionHeaderPhys: sessionBlocks.first ?? 0, flbHeaderPhys: flbBlock,
            preservedBlocks: arena.preserved.map { PreservedBlock(phys: $0.phys, order: $0.order) }
                .sorted { $0.phys < $1.phys },
            sessions: layouts, kexecMetadataPhys: kexecMetadataPhys, sessionBlocks: sessionBlocks)
        return EncodedImage(index: index.bytes, layout: layout, memoryBase: base, memory: arena.takeBytes(),
                            khoRootFDT: khoRootBlob, luoFDT: ser.bytes)
    }

    /// `kho_block_set_grow_one`: a preserved zeroed page, linked from the
    /// chain's last block (`next`) at once.
    private static func growChain(_ blocks: inout [UInt64], in arena: inout PhysicalArena) {
        let block = arena.allocatePreserved(order: PageGeometry.order(forBytes: KHOBlock.size))
        if let last = blocks.last {
            arena.withBytes(at: last + UInt64(KHOBlock.nextOffset), length: 8) { $0.storeLittleEndian(block, at: 0) }
        }
        blocks.append(block)
    }

    /// What `kho_block_set_it_reserve_entry` leaves in each block's `count`:
    /// full blocks `perBlock`, the last the remainder.
    private static func fillCounts(_ blocks: [UInt64], entries: Int, perBlock: Int, in arena: inout PhysicalArena) {
        for (index, block) in blocks.enumerated() {
            let count = min(perBlock, entries - index * perBlock)
            arena.withBytes(at: block + UInt64(KHOBlock.countOffset), length: 8) { $0.storeLittleEndian(UInt64(count), at: 0) }
        }
    }

    /// The fixed blocks plus each chain block and its share of radix pages.
    static func estimatedLUOv5ArenaBytes(_ state: HandoverState) -> Int {
        var pages = 64 + 2 * KHOBlock.blocks(forEntries: state.sessions.count, entrySize: LUOSessionSer.size)
        for session in state.sessions {
            pages += 2 * KHOBlock.blocks(forEntries: session.files.count, entrySize: LUOFileSer.size)
        }
        return pages * PageGeometry.pageSize
    }
}
