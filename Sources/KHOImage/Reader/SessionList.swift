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
    /// The files of each one the reader follows (``FileEntryReader/followed``), in the same order.
    private(set) var followed: [FollowedSlots] = []
    /// The names seen so far (each must be new).
    private var names: SessionNameTable
    /// The generation's rule for names, which decides whether an empty one
    /// is worth a warning.
    private let nameCheck: SessionNameCheck

    /// A list for `capacity` sessions whose names `nameCheck` judges.
    init(capacity: Int, nameCheck: SessionNameCheck) {
        self.nameCheck = nameCheck
        sessions.reserveCapacity(capacity)
        layouts.reserveCapacity(capacity)
        followed.reserveCapacity(capacity)
        names = SessionNameTable(capacity: capacity)
    }

    /// Reads entry `index` at `offset` of `bytes`, which lies at
    /// `entryPhys`. A session without files is recorded at once and `nil`
    /// returned; otherwise the entry and its name, whose files the caller
    /// reads before ``append(_:name:entryPhys:files:fileBlocks:)``. What
    /// no outgoing kernel writes goes to `warnings`.
    mutating func readEntry(_ bytes: UnsafeRawBufferPointer, at offset: Int, index: Int, entryPhys: UInt64,
                            warnings: inout [ReaderWarning]) throws(KHOImageError) -> (entry: LUOSessionSer, name: SessionName)? {
        let (entry, name, hasFiles) = try SessionEntryReader.read(bytes, at: offset, index: index, entryPhys: entryPhys,
                                                                  names: &names, nameCheck: nameCheck, warnings: &warnings)
        guard hasFiles else {
            sessions.append(SessionRecord(name: name))
            layouts.append(SessionLayout(entryPhys: entryPhys, filesPhys: 0, fileData: []))
            followed.append(FollowedSlots())
            return nil
        }
        return (entry, name)
    }

    /// Records the session `entry` named `name` (at `entryPhys`) with the
    /// files `files` has just read, from `fileBlocks` (`luo-v5`) or its
    /// file array.
    mutating func append(_ entry: LUOSessionSer, name: SessionName, entryPhys: UInt64, files: FileEntryReader,
                         fileBlocks: [UInt64] = []) {
        sessions.append(SessionRecord(name: name, files: files.records))
        layouts.append(SessionLayout(entryPhys: entryPhys, filesPhys: entry.files, fileData: files.data, fileBlocks: fileBlocks))
        followed.append(files.followed)
    }
}
