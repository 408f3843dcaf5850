import HandoverModel
import KernelABI
import HexFormat

/// One `luo_session_ser` entry as every LUO container reads it (the
/// `luo-v1` session block and the `luo-v5` session chain): the name, which
/// must be new (any bytes but NUL, as the kernel takes them: no encoding
/// is required; empty too, as `luo_session_deserialize` copies it without
/// a check, with a warning where the generation's kernel never creates
/// one), and `file_set_ser`, whose `files` and `count` are zero
/// together for a session without files.
enum SessionEntryReader {
    /// The entry `index` at `offset` of `bytes`, which lies at `entryPhys`;
    /// `names` collects the names seen so far. `hasFiles` is false for a
    /// session without files. `nameCheck` is the generation's.
    static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, index: Int, entryPhys: UInt64,
                     names: inout SessionNameTable, nameCheck: SessionNameCheck, warnings: inout [ReaderWarning])
        throws(KHOImageError) -> (entry: LUOSessionSer, name: SessionName, hasFiles: Bool) {
        let entry: LUOSessionSer
        do { entry = try LUOSessionSer.decode(bytes, at: offset, label: "session \(index)", allowEmptyName: true) } catch {
            throw .structure(what: "session block entry \(index) at \(Hex.format(entryPhys))", error: error)
        }
        let name = SessionName(bytes: entry.name)
        if name.bytes.isEmpty, nameCheck == .lengthChecked { warnings.append(.emptySessionName(index: index)) }
        guard names.insert(name) else { throw .duplicateSession(name: name) }
        guard entry.files != 0, entry.count != 0 else {
            // luo_file_deserialize only warns about a count without files;
            // no outgoing kernel, and not our writer, makes one.
            guard entry.files == 0, entry.count == 0 else {
                throw .structure(what: "session \"\(name)\"", error: .invalidValue(
                    field: entry.files == 0 ? "file_set_ser.count" : "file_set_ser.files",
                    value: entry.files == 0 ? entry.count : entry.files,
                    reason: "files and count must be zero together"))
            }
            return (entry, name, false)
        }
        return (entry, name, true)
    }
}
