import FDT
import HandoverModel
import KernelABI
import HexFormat
#if canImport(Glibc)
import Glibc
#endif

/// Reads KHO images, and the bare FDTs the kernel exposes in debugfs,
/// without trusting a byte of them: every FDT passes `fdt_check_full`, every
/// pointer is checked to land inside a region and inside preserved pages
/// before it is followed, and every count is checked against the kernel's
/// limit and against the bytes present before anything is allocated for it.
public enum KHOImageReader {
    /// The largest input accepted: 1 TiB.
    public static let maximumImageSize = 1 << 40

    /// Maps the file at `path` and decodes it.
    /// Memfd contents are read back as ranges of the file
    /// (``HandoverModel/ByteSource``), not copied: decoding an image of
    /// gigabytes touches only its structures.
    public static func read(path: String) throws(KHOImageError) -> HandoverInput {
        let (storage, file) = try map(path: path)
        return try decode(storage, file: file)
    }

    /// Opens the file at `path` and maps it read-only, as ``read(path:)``
    /// does before decoding: for a caller that looks at the first bytes
    /// before handing both to ``decode(_:file:)``, so the file is opened
    /// and mapped once.
    public static func map(path: String) throws(KHOImageError) -> (storage: ReadOnlyBytes, file: ContentFile) {
        let file: ContentFile
        do { file = try ContentFile(opening: path) } catch { throw .io(path: path, operation: error.operation, error: error.errno) }
        return (try MappedFile.map(descriptor: file.descriptor.rawValue, path: path, limit: maximumImageSize), file)
    }

    /// Decodes an image or a bare KHO root / LUO FDT held in `storage`.
    /// Memfd contents are copied out of it.
    public static func decode(_ storage: ReadOnlyBytes) throws(KHOImageError) -> HandoverInput {
        try decode(storage, file: nil)
    }

    /// Decodes `storage`; when it is the mapping of `file` (as
    /// ``MappedFile/map(descriptor:path:limit:)`` makes it from
    /// `file.descriptor`), memfd contents are ranges of that file instead of
    /// copies.
    public static func decode(_ storage: ReadOnlyBytes, file: ContentFile?) throws(KHOImageError) -> HandoverInput {
        guard storage.count <= maximumImageSize else {
            throw .fileTooLarge(size: storage.count, limit: maximumImageSize)
        }
        if storage.count == LUOSer.size, let ser = try? LUOSer.decode(storage.rawBuffer) {
            return .luoSer(ser)
        }
        guard storage.count >= FDTBlob.headerSize else { throw .fileTooSmall(size: storage.count) }
        if let truncated = TruncatedFDT.recognize(storage.rawBuffer) { throw truncated }
        let blob: FDTBlob
        do { blob = try FDTBlob(storage: storage, label: "input") } catch { throw .notAnFDT(error) }
        let compatible: String
        do { compatible = try blob.root.string("compatible") } catch { throw .notAnFDT(error) }
        if compatible == ImageIndex.compatible {
            return .image(try ImageDecoder(storage: storage, indexBlob: blob, file: file).decode())
        }
        if KnownGenerations.khoRoot.contains(compatible) {
            return .khoRootFDT(try RootView.parse(blob).addressesOnly, bytes: blob.bytes)
        }
        if KnownGenerations.luoRoot.contains(compatible) {
            // A bare LUO FDT names no generation: v6.19 has no luo-flb node.
            do { return .luoFDT(try LUOv1FDT.parse(blob, flb: .optional), bytes: blob.bytes) } catch {
                throw .structure(what: "LUO FDT", error: error)
            }
        }
        throw .unknownInput(compatible: compatible)
    }

    /// Decodes `storage`, which must be a complete image.
    public static func decodeImage(_ storage: ReadOnlyBytes) throws(KHOImageError) -> DecodedImage {
        try requireImage(try decode(storage))
    }

    /// The image `input` is, or why it is not one.
    private static func requireImage(_ input: HandoverInput) throws(KHOImageError) -> DecodedImage {
        switch input {
        case let .image(image): return image
        case .khoRootFDT: throw .indexValue(property: "compatible", reason: "input is a bare KHO root FDT, not an image")
        case .luoFDT: throw .indexValue(property: "compatible", reason: "input is a bare LUO FDT, not an image")
        case .luoSer: throw .indexValue(property: "compatible", reason: "input is a bare luo-v5 luo_ser, not an image")
        }
    }

    /// Reads the image at `path`, which must be a complete image.
    public static func readImage(path: String) throws(KHOImageError) -> DecodedImage {
        try requireImage(try read(path: path))
    }
}

/// One image being decoded: the incoming kernel's walk, step by step.
struct ImageDecoder {
    let storage: ReadOnlyBytes
    let indexBlob: FDTBlob
    /// The file `storage` maps, when it is one: memfd contents become
    /// ranges of it.
    var file: ContentFile? = nil

    func decode() throws(KHOImageError) -> DecodedImage {
        let index = try ImageIndex.parse(indexBlob, fileSize: storage.count)
        let memory = ImageMemory(storage: storage, regions: index.regions, file: file)

        // kho_populate / kho_mem_retrieve, and the generation the root names.
        let rootBlob = try memory.fdt(at: index.khoFDTPhys, maxLength: PageGeometry.pageSize, what: "KHO root FDT")
        let root = try RootView.parse(rootBlob)
        var generation = root.generation
        let chunkedBitmaps = generation.khoRoot.memoryMap == .chunkedBitmaps
        guard root.memoryMapPhys != 0 else {
            throw .structure(what: "KHO root FDT", error: .invalidValue(
                field: KHOv2RootFDT.memoryMapProperty, value: 0,
                reason: chunkedBitmaps
                    ? "the kho-v1 memory map was never finalized (it is 0 until reboot() calls kho_finalize); the next kernel would not restore anything (kho_populate: -ENOENT)"
                    : "the memory map address is null"))
        }
        var preserved = chunkedBitmaps
            ? try PreservedMemoryMap(chunkList: root.memoryMapPhys, memory: memory)
            : try PreservedMemoryMap(root: root.memoryMapPhys, memory: memory)
        try require(index.khoFDTPhys, UInt64(rootBlob.totalSize), "KHO root FDT", memory, &preserved)

        // kho_kexec_metadata_init (kho-v3 on)
        var kexecMetadata: KexecMetadata?
        var kexecMetadataPhys: UInt64 = 0
        if generation.kexecMetadata != nil {
            (kexecMetadata, kexecMetadataPhys) = try decodeKexecMetadata(root, memory, &preserved)
        }

        // luo_early_startup
        let luoSubtree: RootView.Subtree
        switch root.lookup(LUOv1.subtreeName) {
        case nil: throw .missingSubtree(name: LUOv1.subtreeName)
        case let .failure(error)?: throw .structure(what: "KHO root FDT", error: error)
        case let .success(subtree)?: luoSubtree = subtree
        }
        // Each LUO generation reads itself; luo-v5 (v7.2+) in LUOv5Decoder.swift.
        if !generation.luo.isFDT {
            return try decodeLUOv5(index: index, memory: memory, root: root, rootBlob: rootBlob, luoSubtree: luoSubtree,
                                   kexecMetadata: kexecMetadata, kexecMetadataPhys: kexecMetadataPhys, preserved: &preserved)
        }
        try RootView.refuseNonFDTLUO(at: luoSubtree.phys, memory)
        let luoBlob = try memory.fdt(at: luoSubtree.phys, maxLength: LUOv1.fdtSize, what: "LUO FDT")
        if let size = luoSubtree.blobSize, size != UInt64(luoBlob.totalSize) {
            throw .structure(what: "KHO root FDT subtree \(LUOv1.subtreeName)", error: .invalidValue(
                field: KHOv3RootFDT.blobSizeProperty, value: size,
                reason: "the LUO FDT there is \(luoBlob.totalSize) bytes (its totalsize, which the kernel records)"))
        }
        try require(luoSubtree.phys, UInt64(luoBlob.totalSize), "LUO FDT", memory, &preserved)
        let luo: LUOv1FDT.Contents
        do { luo = try LUOv1FDT.parse(luoBlob, flb: chunkedBitmaps ? .optional : .required) } catch {
            throw .structure(what: "LUO FDT", error: error)
        }
        // kho-v1: v7.0 writes a luo-flb node, v6.19 (no FLBs yet) does not.
        if chunkedBitmaps, luoBlob.root.subnode(LUOv1.flbNodeName) == nil { generation = .linux6_19 }

        var warnings: [ReaderWarning] = []
        let list = try decodeSessions(luo.sessionHeaderPhys, generation.sessionNameCheck, generation.memfd, memory,
                                      &preserved, &warnings)
        var sessions = list.sessions
        let sessionLayouts = list.layouts
        let flbs = generation.luo.flbCompatible == nil ? [] : try decodeFLBs(luo.flbHeaderPhys, memory, &preserved, &warnings)
        let structures = try decodeContents(&sessions, sessionLayouts, list.followed, generation.memfd, memory,
                                            &preserved, &warnings)

        let layout = HandoverLayout(
            regions: index.regions, khoRootFDTPhys: index.khoFDTPhys, memoryMapPhys: root.memoryMapPhys,
            luoFDTPhys: luoSubtree.phys, sessionHeaderPhys: luo.sessionHeaderPhys, flbHeaderPhys: luo.flbHeaderPhys,
            preservedBlocks: preserved.blocks, sessions: sessionLayouts, kexecMetadataPhys: kexecMetadataPhys)
        let ownNames = [LUOv1.subtreeName, generation.kexecMetadata?.nodeName].compactMap { $0 }
        return image(
            state: HandoverState(generation: generation, liveupdateNumber: luo.liveupdateNumber, sessions: sessions,
                                 flbs: flbs, kexecMetadata: kexecMetadata),
            layout: layout, memory: memory, rootBlob: rootBlob, root: root, luoBytes: luoBlob.bytes, ownSubtrees: ownNames,
            structures: structures, preserved: preserved, warnings: warnings)
    }

    /// Checks `length` bytes at `phys` are in the image and preserved, and
    /// claims their block; returns the bytes.
    @discardableResult
    /// `what` is only built for an error.
    func require(_ phys: UInt64, _ length: UInt64, _ what: @autoclosure () -> String, _ memory: ImageMemory,
                         _ preserved: inout PreservedMemoryMap) throws(KHOImageError) -> UnsafeRawBufferPointer {
        let bytes = try memory.bytes(at: phys, length: Int(length), what: what())
        try preserved.requirePreserved(phys, length: length, what: what())
        preserved.claim(phys)
        return bytes
    }

    /// `luo_session_deserialize` and `luo_file_deserialize`, minus handlers:
    /// sessions with their files' compatible, token and raw data.
    private func decodeSessions(_ headerPhys: UInt64, _ nameCheck: SessionNameCheck, _ memfd: MemfdFormat, _ memory: ImageMemory,
                                _ preserved: inout PreservedMemoryMap, _ warnings: inout [ReaderWarning]) throws(KHOImageError)
        -> SessionList {
        let header = try require(headerPhys, UInt64(LUOSessionHeaderSer.size), "session header", memory, &preserved)
        let count = header.loadLittleEndian(UInt64.self, at: LUOSessionHeaderSer.countOffset)
        guard count <= UInt64(LUOv1.maxSessions) else {
            throw .structure(what: "session header at \(Hex.format(headerPhys))",
                             error: .countOutOfRange(field: "count", count: count, maximum: UInt64(LUOv1.maxSessions)))
        }
        let blockLength = LUOSessionHeaderSer.size + Int(count) * LUOSessionSer.size
        let block = try require(headerPhys, UInt64(blockLength), "session block (\(count) sessions)", memory, &preserved)
        var list = SessionList(capacity: Int(count), nameCheck: nameCheck)
        var fileEntries = FileEntryReader(memfd: memfd)
        for index in 0..<Int(count) {
            let offset = LUOSessionHeaderSer.size + index * LUOSessionSer.size
            let entryPhys = headerPhys + UInt64(offset)
            guard let read = try list.readEntry(block, at: offset, index: index, entryPhys: entryPhys, warnings: &warnings)
            else { continue }
            let (entry, name) = read
            func what() -> String { "session \"\(name)\"" }
            guard entry.count <= UInt64(LUOv1.maxFilesPerSession) else {
                throw .structure(what: what(), error: .countOutOfRange(field: "file_set_ser.count", count: entry.count,
                                                                     maximum: UInt64(LUOv1.maxFilesPerSession)))
            }
            // Each session's file array is a block of its own; one shared
            // with another session or structure would be restored twice.
            if let block = preserved.blockIndex(containing: entry.files).map({ preserved.blocks[$0] }),
               preserved.isClaimed(block.phys) {
                throw .structure(what: what(), error: .invalidValue(
                    field: "file_set_ser.files", value: entry.files,
                    reason: "lies in the preserved block at \(Hex.format(block.phys)), which another structure already uses"))
            }
            let files = try require(entry.files, entry.count * UInt64(LUOFileSer.size),
                                    "file array of session \"\(name)\"", memory, &preserved)
            fileEntries.beginSession(count: Int(entry.count))
            try fileEntries.read(files, entriesAt: 0, count: Int(entry.count), phys: entry.files, session: name,
                                 preserved: preserved)
            list.append(entry, name: name, entryPhys: entryPhys, files: fileEntries)
        }
        return list
    }

    /// `kho_in_kexec_metadata`: the subtree is optional to the kernel (a
    /// previous kernel without it is fine), but a generation that writes it
    /// always has it, so the reader requires it; then blob-size at least 4,
    /// version 1, blob-size at least 73, all of it preserved.
    private func decodeKexecMetadata(_ root: RootView, _ memory: ImageMemory,
                                     _ preserved: inout PreservedMemoryMap) throws(KHOImageError) -> (KexecMetadata, UInt64) {
        let name = KexecMetadataSer.format.nodeName
        let subtree: RootView.Subtree
        switch root.lookup(name) {
        case nil: throw .missingSubtree(name: name)
        case let .failure(error)?: throw .structure(what: "KHO root FDT", error: error)
        case let .success(found)?: subtree = found
        }
        // Built only for an error, like every label on the reader's path.
        func what() -> String { "kexec-metadata at \(Hex.format(subtree.phys))" }
        let size = subtree.blobSize ?? 0
        let available = min(size, UInt64(KexecMetadataSer.size))
        let bytes = try memory.bytes(at: subtree.phys, length: Int(available), what: what())
        let ser: KexecMetadataSer
        do { ser = try KexecMetadataSer.decode(bytes, blobSize: size) } catch { throw .structure(what: what(), error: error) }
        try preserved.requirePreserved(subtree.phys, length: UInt64(KexecMetadataSer.size), what: what())
        if let block = preserved.blockIndex(containing: subtree.phys).map({ preserved.blocks[$0] }),
           size > block.phys + block.size - subtree.phys {
            throw .structure(what: what(), error: .invalidValue(
                field: "kexec-metadata blob-size", value: size,
                reason: "runs past the preserved block at \(Hex.format(block.phys)) (\(block.size) bytes)"))
        }
        preserved.claim(subtree.phys)
        return (KexecMetadata(previousRelease: ser.previousRelease, kexecCount: ser.kexecCount), subtree.phys)
    }

    /// `luo_flb_setup_incoming` and the lookups `luo_flb_retrieve_one` makes.
    func decodeFLBs(_ headerPhys: UInt64, _ memory: ImageMemory, _ preserved: inout PreservedMemoryMap,
                    _ warnings: inout [ReaderWarning]) throws(KHOImageError) -> [FLBRecord] {
        func what() -> String { "FLB header at \(Hex.format(headerPhys))" }
        let header = try require(headerPhys, UInt64(LUOFLBHeaderSer.size), "FLB header", memory, &preserved)
        let pages = header.loadLittleEndian(UInt64.self, at: LUOFLBHeaderSer.pageCountOffset)
        guard pages == UInt64(LUOv1.flbBlockPages) else {
            throw .structure(what: what(), error: .invalidValue(field: "pgcnt", value: pages,
                                                              reason: "luo-flb-v1 blocks are \(LUOv1.flbBlockPages) page"))
        }
        let count = header.loadLittleEndian(UInt64.self, at: LUOFLBHeaderSer.countOffset)
        guard count <= UInt64(LUOv1.maxFLBs) else {
            throw .structure(what: what(), error: .countOutOfRange(field: "count", count: count, maximum: UInt64(LUOv1.maxFLBs)))
        }
        let block = try require(headerPhys, UInt64(LUOFLBHeaderSer.size) + count * UInt64(LUOFLBSer.size),
                                "FLB block (\(count) entries)", memory, &preserved)
        var records: [FLBRecord] = []
        var names: Set<String> = []
        for slot in 0..<Int(count) {
            let entry: LUOFLBSer
            do { entry = try LUOFLBSer.decode(block, at: LUOFLBHeaderSer.size + slot * LUOFLBSer.size, label: "FLB \(slot)") } catch {
                throw .structure(what: "FLB entry \(slot)", error: error)
            }
            guard names.insert(entry.name).inserted else { throw .duplicateFLB(name: entry.name) }
            // luo_flb_setup_incoming / luo_flb_retrieve_one take the count
            // as the incoming refcount, 0 included; no outgoing kernel
            // serializes an FLB no file depends on.
            if entry.count == 0 { warnings.append(.emptyFLB(name: entry.name)) }
            records.append(FLBRecord(name: entry.name, data: entry.data, count: entry.count))
        }
        return records
    }

    /// Turns each file's raw `data` into the content its handler preserved:
    /// the memfd handler's files first (`followed`, by session: their
    /// structures are claimed), then any other file whose `data` is the
    /// start of a preserved block nothing else claims (a payload);
    /// everything else stays raw data.
    /// Returns the memfd structures of every file retrieved as a memfd, by
    /// session, then by slot (nothing for the other files; no session at
    /// all when no file is the memfd handler's).
    func decodeContents(_ sessions: inout [SessionRecord], _ layouts: [SessionLayout], _ followed: [FollowedSlots],
                        _ format: MemfdFormat,
                        _ memory: ImageMemory, _ preserved: inout PreservedMemoryMap,
                        _ warnings: inout [ReaderWarning]) throws(KHOImageError) -> [[Int: MemfdStructures]] {
        // Made only when a session has memfd files.
        var structures: [[Int: MemfdStructures]] = []
        for s in sessions.indices {
            if !followed[s].memfd.isEmpty, structures.isEmpty {
                structures = [[Int: MemfdStructures]](repeating: [:], count: sessions.count)
            }
            for f in followed[s].memfd {
                let file = sessions[s].files[f]
                var decoder = MemfdDecoder(session: sessions[s].name, token: file.token, format: format, memory: memory)
                // LUO's core stores the file's data without following it
                // (luo_file_deserialize); only memfd_luo_retrieve walks it.
                // A walk that fails leaves the file as raw data, gives back
                // the blocks it claimed, and is reported as a warning.
                preserved.beginJournal()
                do {
                    let (contents, walked) = try decoder.decode(serPhys: layouts[s].fileData[f], preserved: &preserved)
                    sessions[s].files[f].content = .memfd(contents)
                    structures[s][f] = walked
                    preserved.commitJournal()
                } catch {
                    preserved.rollBackJournal()
                    warnings.append(.unretrievableMemfd(session: sessions[s].name, token: file.token, compatible: file.compatible,
                                                        data: layouts[s].fileData[f], error: error))
                }
            }
        }
        for s in sessions.indices {
            for f in followed[s].payload {
                let data = layouts[s].fileData[f]
                guard let block = preserved.block(startingAt: data), !preserved.isClaimed(block.phys) else { continue }
                let bytes = try memory.bytes(at: block.phys, length: Int(block.size), what: "payload")
                preserved.claim(block.phys)
                sessions[s].files[f].content = .payload(Array(bytes))
            }
        }
        return structures
    }

    /// The decoded image: the model, the layout and their join, over the
    /// memory the walk read. Both LUO generations end here.
    func image(state: HandoverState, layout: HandoverLayout, memory: ImageMemory, rootBlob: FDTBlob, root: RootView,
               luoBytes: [UInt8], ownSubtrees: [String], structures: [[Int: MemfdStructures]],
               preserved: PreservedMemoryMap, warnings: [ReaderWarning]) -> DecodedImage {
        let sessions = state.sessions.indices.map { s in
            DecodedSession(name: state.sessions[s].name, layout: layout.sessions[s],
                           files: DecodedFiles(records: state.sessions[s].files, layout: layout.sessions[s],
                                               memfds: structures.isEmpty ? [:] : structures[s]))
        }
        return DecodedImage(
            state: state, layout: layout, khoRootFDT: rootBlob.bytes, luoFDT: luoBytes,
            otherSubtrees: root.subtrees.filter { !ownSubtrees.contains($0.name) }
                .map { KHOv2RootFDT.Subtree(name: $0.name, phys: $0.phys) },
            unreferencedBlocks: preserved.unclaimed, warnings: warnings,
            sessions: sessions, memory: memory, index: indexBlob.bytes)
    }
}
