import HandoverModel
import KernelABI
import HexFormat

/// One `luo_session_ser` entry as every LUO container reads it (the
/// `luo-v1` session block and the `luo-v5` session chain): the name, which
/// must be new, and `file_set_ser`, whose `files` and `count` are zero
/// together for a session without files.
enum SessionEntryReader {
    /// The entry `index` at `offset` of `bytes`, which lies at `entryPhys`;
    /// `names` collects the names seen so far. `hasFiles` is false for a
    /// session without files.
    static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, index: Int, entryPhys: UInt64,
                     names: inout Set<String>) throws(KHOImageError) -> (entry: LUOSessionSer, hasFiles: Bool) {
        let entry: LUOSessionSer
        do { entry = try LUOSessionSer.decode(bytes, at: offset, label: "session \(index)") } catch {
            throw .structure(what: "session block entry \(index) at \(Hex.format(entryPhys))", error: error)
        }
        guard names.insert(entry.name).inserted else { throw .duplicateSession(name: entry.name) }
        guard entry.files != 0, entry.count != 0 else {
            // luo_file_deserialize only warns about a count without files;
            // no outgoing kernel, and not our writer, makes one.
            guard entry.files == 0, entry.count == 0 else {
                throw .structure(what: "session \"\(entry.name)\"", error: .invalidValue(
                    field: entry.files == 0 ? "file_set_ser.count" : "file_set_ser.files",
                    value: entry.files == 0 ? entry.count : entry.files,
                    reason: "files and count must be zero together"))
            }
            return (entry, false)
        }
        return (entry, true)
    }
}
