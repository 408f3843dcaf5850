import FDT
import HandoverModel
import KernelABI

/// Turns a ``HandoverState`` into a KHO image by replaying, on a simulated
/// physical memory, what the kernel does from boot to `reboot(KEXEC)`:
///
/// The state's ``KernelGeneration`` decides every format; the order is the
/// same in both supported generations, except where noted.
///
/// 1. `kho_init`: the radix tree root (not preserved) and the KHO root FDT
///    page (preserved), whose skeleton is written at once; from `kho-v3` on,
///    the `kexec-metadata` block, added as a subtree at once;
/// 2. `luo_fdt_setup`: the LUO FDT page, the 16-page session block and the
///    1-page FLB block, all preserved; the LUO FDT is written and added to
///    the root as subtree `LUO`;
/// 3. for each session in order and each of its files in order: the
///    session's 2-page file array at its first file, then the handler's
///    `preserve` (a payload folio, or the memfd structures);
/// 4. `luo_session_serialize` / `luo_flb_serialize`: the session entries,
///    file arrays and FLB entries are filled in.
///
/// Every allocation comes from one ascending bump allocator, so the same
/// state and base always give the same bytes. `docs/FORMAT.md` lists the
/// order in full.
public struct KHOImageWriter: Sendable {
    /// The default base physical address: 4 GiB.
    public static let defaultBase: UInt64 = 0x1_0000_0000
    /// The highest physical address a key of the radix tree can express (2^52).
    public static let physicalAddressLimit: UInt64 = 1 << 52

    /// The first physical address the allocator hands out.
    public var base: UInt64

    /// How many bytes of `luo-v5` chain blocks an image must have before
    /// its file blocks are written with streaming (non-temporal) stores,
    /// which send each line to memory without reading it into the cache
    /// first: worth it once the blocks no longer fit the caches. The bytes
    /// written are the same either way; 16 MiB by default.
    public var streamingThreshold: Int = 16 << 20

    /// Creates a writer allocating from `base`.
    public init(base: UInt64 = KHOImageWriter.defaultBase) {
        self.base = base
    }

    /// Whether the allocator can start at `base`: non-zero, page aligned and
    /// inside the 52-bit physical address space; otherwise
    /// ``ModelError/badBaseAddress(address:reason:)``.
    public static func checkBase(_ base: UInt64) throws(ModelError) {
        guard base != 0, PageGeometry.isPageAligned(base) else {
            throw .badBaseAddress(address: base, reason: "must be non-zero and page aligned")
        }
        guard base < physicalAddressLimit else {
            throw .badBaseAddress(address: base, reason: "is beyond the 52-bit physical address space")
        }
    }

    /// Lays `state` out in physical memory and builds the image.
    public func encode(_ state: HandoverState) throws(KHOImageError) -> EncodedImage {
        do {
            try ModelValidator.validate(state)
            try Self.checkBase(base)
        } catch { throw .invalidModel(error) }
        let image: EncodedImage
        do {
            image = try layOut(state)
        } catch {
            throw .structure(what: "building an FDT", error: .fdt(error))
        }
        // The last region ends where the allocator stopped.
        guard (image.layout.regions.last.map { $0.phys + $0.size } ?? base) <= KHOImageWriter.physicalAddressLimit else {
            throw .invalidModel(.badBaseAddress(address: base, reason: "the handover does not fit below 2^52 from here"))
        }
        return image
    }

    private func layOut(_ state: HandoverState) throws(FDTError) -> EncodedImage {
        // Each LUO generation lays itself out; luo-v5 (v7.2+) in LUOv5Writer.swift.
        if !state.generation.luo.isFDT { return try layOutLUOv5(state) }
        var arena = PhysicalArena(base: base)
        arena.reserve(additional: Self.estimatedArenaBytes(state))

        let generation = state.generation
        // kho_init: the radix tree root (kzalloc, not preserved), the root
        // FDT page, and from kho-v3 on the kexec-metadata block
        // (kho_kexec_metadata_init -> kho_alloc_preserve(73)).
        // kho-v1 (v6.19, v7.0) has no radix root: its bitmaps are allocated
        // as blocks are preserved, its chunk list by kho_finalize (below).
        let chunkedBitmaps = generation.khoRoot.memoryMap == .chunkedBitmaps
        let hasFLB = generation.luo.flbCompatible != nil
        if chunkedBitmaps { arena.useChunkedBitmaps() } else { arena.allocateRadixRoot() }
        let khoRootPhys = arena.allocatePreservedFDTPage()
        var kexecMetadataPhys: UInt64 = 0
        if let metadata = generation.kexecMetadata {
            kexecMetadataPhys = arena.allocatePreserved(order: PageGeometry.order(forBytes: metadata.size))
        }
        // luo_fdt_setup: the LUO FDT page, the session block, the FLB block.
        let luoPhys = arena.allocatePreservedFDTPage()
        // The session block and the file arrays are written whole at
        // reboot() (entries, then zeros to the end), so they are not zeroed
        // first: each of their bytes is written once.
        let sessionBlockBytes = LUOv1.sessionBlockPages * PageGeometry.pageSize
        let sessionBlock = arena.allocatePreserved(order: PageGeometry.order(forBytes: sessionBlockBytes), zeroed: false)
        // v6.19 has no FLBs: no FLB block, no luo-flb node.
        let flbBlock = hasFLB
            ? arena.allocatePreserved(order: PageGeometry.order(forBytes: LUOv1.flbBlockPages * PageGeometry.pageSize)) : 0

        // The plain structures first; then the FDTs, built in their own
        // (zeroed) pages of the arena, lent for the length of the build,
        // with the same calls as the kernel makes, and copied out for the
        // debugfs views before anything else is allocated (which may move
        // the arena).
        let metadata = generation.kexecMetadata == nil ? nil : state.kexecMetadata
        if let metadata {
            arena.withBytes(at: kexecMetadataPhys, length: KexecMetadataSer.size) {
                KexecMetadataSer(previousRelease: metadata.previousRelease, kexecCount: metadata.kexecCount)
                    .encode(into: $0, at: 0)
            }
        }
        if hasFLB {
            arena.withBytes(at: flbBlock, length: LUOFLBHeaderSer.size) {
                $0.storeLittleEndian(UInt64(LUOv1.flbBlockPages), at: LUOFLBHeaderSer.pageCountOffset)
            }
        }
        let blobs = try arena.withBorrowedBytes(at: khoRootPhys, length: PageGeometry.pageSize) { (rootPage) throws(FDTError) in
            let khoRoot: FDTEditor
            let addSubtree: (String, UInt64, UInt64) throws(FDTError) -> Void
            switch generation.khoRoot.compatible {
            case KHOv1RootFDT.compatible:
                khoRoot = try KHOv1RootFDT.makeSkeleton(into: rootPage)
                addSubtree = { (name, phys, _) throws(FDTError) in try KHOv1RootFDT.addSubtree(to: khoRoot, name: name, phys: phys) }
            case KHOv3RootFDT.compatible:
                khoRoot = try KHOv3RootFDT.makeSkeleton(memoryMapPhys: arena.radixRoot, into: rootPage)
                addSubtree = { (name, phys, size) throws(FDTError) in
                    try KHOv3RootFDT.addSubtree(to: khoRoot, name: name, phys: phys, blobSize: size)
                }
            default:
                khoRoot = try KHOv2RootFDT.makeSkeleton(memoryMapPhys: arena.radixRoot, into: rootPage)
                addSubtree = { (name, phys, _) throws(FDTError) in try KHOv2RootFDT.addSubtree(to: khoRoot, name: name, phys: phys) }
            }
            if metadata != nil {
                try addSubtree(KexecMetadataSer.format.nodeName, kexecMetadataPhys, UInt64(KexecMetadataSer.size))
            }
            let luoBlob = try arena.withBorrowedBytes(at: luoPhys, length: LUOv1.fdtSize) { (luoPage) throws(FDTError) in
                let luo = try LUOv1FDT.build(.init(liveupdateNumber: state.liveupdateNumber,
                                                   sessionHeaderPhys: sessionBlock, flbHeaderPhys: flbBlock),
                                             into: luoPage, flb: hasFLB)
                // kho_add_subtree(LUO, fdt, fdt_totalsize(fdt)).
                try addSubtree(LUOv1.subtreeName, luoPhys, UInt64(luo.totalSize))
                return luo.blob
            }
            return (khoRoot: khoRoot.blob, luo: luoBlob)
        }
        var khoRootBlob = blobs.khoRoot
        let luoBlob = blobs.luo

        // Preservation, session by session, file by file.
        let fileArrayBytes = LUOv1.fileArrayPages * PageGeometry.pageSize
        var sessionLayouts: [SessionLayout] = []
        sessionLayouts.reserveCapacity(state.sessions.count)
        for session in state.sessions {
            var filesPhys: UInt64 = 0
            var data: [UInt64] = []
            data.reserveCapacity(session.files.count)
            for index in session.files.indices {
                if filesPhys == 0 {
                    filesPhys = arena.allocatePreserved(order: PageGeometry.order(forBytes: fileArrayBytes), zeroed: false)
                }
                data.append(preserve(session.files[index].content, memfdFormat: generation.memfd,
                                     foliosBeforeArray: chunkedBitmaps ? false : nil, in: &arena))
            }
            sessionLayouts.append(SessionLayout(entryPhys: 0, filesPhys: filesPhys, fileData: data))
        }

        // reboot(): luo_session_serialize, luo_file_freeze, luo_flb_serialize.
        // (No allocation happens from here on, so arena pointers stay valid.)
        var lastCompatible = ""
        var lastCompatibleField: UnsafeRawPointer?
        for (index, session) in state.sessions.enumerated() {
            let entryPhys = sessionBlock + UInt64(LUOSessionHeaderSer.size + index * LUOSessionSer.size)
            sessionLayouts[index].entryPhys = entryPhys
            let layout = sessionLayouts[index]
            arena.withBytes(at: entryPhys, length: LUOSessionSer.size) {
                LUOSessionSer(name: session.name.bytes, files: layout.filesPhys, count: UInt64(session.files.count))
                    .encode(into: $0, at: 0)
            }
            guard layout.filesPhys != 0 else { continue }
            arena.withBytes(at: layout.filesPhys, length: fileArrayBytes) { files in
                let used = session.files.count * LUOFileSer.size
                (files.baseAddress! + used).initializeMemory(as: UInt8.self, repeating: 0, count: fileArrayBytes - used)
                for slot in session.files.indices {
                    let offset = slot * LUOFileSer.size
                    let compatible = session.files[slot].compatible
                    if let field = lastCompatibleField, compatible == lastCompatible {
                        // Files mostly share a handler: copy its encoded name.
                        (files.baseAddress! + offset).copyMemory(from: field, byteCount: LUOv1.handlerCompatibleLength)
                        files.storeLittleEndian(layout.fileData[slot], at: offset + LUOFileSer.dataOffset)
                        files.storeLittleEndian(session.files[slot].token, at: offset + LUOFileSer.tokenOffset)
                    } else {
                        LUOFileSer.encode(compatible: compatible, data: layout.fileData[slot],
                                          token: session.files[slot].token, into: files, at: offset)
                        lastCompatible = compatible
                        lastCompatibleField = UnsafeRawPointer(files.baseAddress! + offset)
                    }
                }
            }
        }
        arena.withBytes(at: sessionBlock, length: sessionBlockBytes) {
            $0.storeLittleEndian(UInt64(state.sessions.count), at: LUOSessionHeaderSer.countOffset)
            let used = LUOSessionHeaderSer.size + state.sessions.count * LUOSessionSer.size
            ($0.baseAddress! + used).initializeMemory(as: UInt8.self, repeating: 0, count: sessionBlockBytes - used)
        }
        if hasFLB {
            arena.withBytes(at: flbBlock, length: LUOFLBHeaderSer.size + state.flbs.count * LUOFLBSer.size) { block in
                block.storeLittleEndian(UInt64(state.flbs.count), at: LUOFLBHeaderSer.countOffset)
                for (slot, flb) in state.flbs.enumerated() {
                    LUOFLBSer(name: flb.name, data: flb.data, count: flb.count)
                        .encode(into: block, at: LUOFLBHeaderSer.size + slot * LUOFLBSer.size)
                }
            }
        }
        // kho_finalize (kho-v1 only, after luo_session_serialize and
        // luo_flb_serialize): the chunk list, one page per order in
        // ascending order, then its address over the root's memory map.
        var memoryMapPhys = arena.radixRoot
        if chunkedBitmaps {
            memoryMapPhys = arena.finalizeBitmaps()
            khoRootBlob = try arena.withBorrowedBytes(at: khoRootPhys, length: PageGeometry.pageSize) { (page) throws(FDTError) in
                let root = FDTEditor(editing: page)
                try KHOv1RootFDT.setMemoryMap(in: root, firstChunk: memoryMapPhys)
                return root.blob
            }
        }

        let ranges = Self.contiguousRanges(arena.allocations)
        let index = try ImageIndex.build(khoFDTPhys: khoRootPhys, ranges: ranges)
        let layout = HandoverLayout(
            regions: index.regions, khoRootFDTPhys: khoRootPhys, memoryMapPhys: memoryMapPhys,
            luoFDTPhys: luoPhys, sessionHeaderPhys: sessionBlock, flbHeaderPhys: flbBlock,
            preservedBlocks: arena.preserved.map { PreservedBlock(phys: $0.phys, order: $0.order) }
                .sorted { $0.phys < $1.phys },
            sessions: sessionLayouts, kexecMetadataPhys: kexecMetadataPhys)
        return EncodedImage(index: index.bytes, layout: layout, memoryBase: base, memory: arena.takeBytes(), placed: arena.placed,
                            khoRootFDT: khoRootBlob, luoFDT: luoBlob)
    }

    /// A file handler's `preserve`: allocates and fills what `content`
    /// needs and returns the `data` u64 the file array records.
    func preserve(_ content: FileContent, memfdFormat: MemfdFormat, foliosBeforeArray: Bool? = nil,
                  in arena: inout PhysicalArena) -> UInt64 {
        switch content {
        case let .data(value):
            return value
        case let .payload(bytes):
            let order = PageGeometry.order(forBytes: bytes.count)
            arena.reserve(additional: 2 * (PageGeometry.pageSize << order))
            let phys = arena.allocatePreserved(order: order)
            arena.write(bytes, at: phys)
            return phys
        case let .memfd(memfd):
            return MemfdPreserver.preserve(memfd, format: memfdFormat, foliosBeforeArray: foliosBeforeArray, in: &arena)
        }
    }

    /// A generous guess at the arena's size for the structures every image
    /// has, so that it is allocated once instead of grown (and copied)
    /// several times: the fixed blocks with their alignment and radix-tree
    /// pages, and a file array (plus alignment) per session with files.
    /// Payloads and memfds reserve their own pages when they are preserved.
    /// Memory reserved but never touched costs no resident pages.
    static func estimatedArenaBytes(_ state: HandoverState) -> Int {
        var pages = 64
        for session in state.sessions where !session.files.isEmpty {
            pages += 2 * LUOv1.fileArrayPages
        }
        return pages * PageGeometry.pageSize
    }

    /// Merges allocations that touch into the image's regions.
    static func contiguousRanges(_ allocations: [(phys: UInt64, pages: Int)]) -> [(phys: UInt64, size: UInt64)] {
        var ranges: [(phys: UInt64, size: UInt64)] = []
        for allocation in allocations {
            let size = UInt64(allocation.pages * PageGeometry.pageSize)
            if let last = ranges.last, last.phys + last.size == allocation.phys {
                ranges[ranges.count - 1].size += size
            } else {
                ranges.append((allocation.phys, size))
            }
        }
        return ranges
    }
}
