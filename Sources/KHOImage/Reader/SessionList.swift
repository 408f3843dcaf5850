import HandoverModel
import KernelABI

/// The sessions of one image as either LUO container hands them over (the
/// `luo-v1` session block, the `luo-v5` session chain), with where each
/// sits: what both decoders record per `luo_session_ser`, in one place.
struct SessionList {
    /// The sessions so far, in image order.
    private(set) var sessions: [SessionRecord] = []
    /// Their layouts, in the same order.
    private(set) var layouts: [SessionLayout] = []
    /// The names seen so far (each must be new).
    private var names: Set<String> = []

    /// A list for `capacity` sessions.
    init(capacity: Int) {
        sessions.reserveCapacity(capacity)
        layouts.reserveCapacity(capacity)
        names.reserveCapacity(capacity)
    }

    /// Reads entry `index` at `offset` of `bytes`, which lies at
    /// `entryPhys`. A session without files is recorded at once and `nil`
    /// returned; otherwise the entry, whose files the caller reads before
    /// ``append(_:entryPhys:files:fileBlocks:)``.
    mutating func readEntry(_ bytes: UnsafeRawBufferPointer, at offset: Int, index: Int,
                            entryPhys: UInt64) throws(KHOImageError) -> LUOSessionSer? {
        let (entry, hasFiles) = try SessionEntryReader.read(bytes, at: offset, index: index, entryPhys: entryPhys, names: &names)
        guard hasFiles else {
            sessions.append(SessionRecord(name: entry.name))
            layouts.append(SessionLayout(entryPhys: entryPhys, filesPhys: 0, fileData: []))
            return nil
        }
        return entry
    }

    /// Records the session `entry` (at `entryPhys`) with the files `files`
    /// has just read, from `fileBlocks` (`luo-v5`) or its file array.
    mutating func append(_ entry: LUOSessionSer, entryPhys: UInt64, files: FileEntryReader, fileBlocks: [UInt64] = []) {
        sessions.append(SessionRecord(name: entry.name, files: files.records))
        layouts.append(SessionLayout(entryPhys: entryPhys, filesPhys: entry.files, fileData: files.data, fileBlocks: fileBlocks))
    }
}
