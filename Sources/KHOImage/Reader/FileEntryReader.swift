import HandoverModel
import HexFormat
import KernelABI
#if canImport(Glibc)
import Glibc
#endif

/// The `luo_file_ser` entries of one image as every LUO container reads
/// them (the `luo-v1` file array and the `luo-v5` file chain): compatible,
/// token and raw `data`, each token new within its session.
struct FileEntryReader {
    /// Sized for the first session with files; replaced by a larger one
    /// when a later session has more.
    private var tokens: TokenTable?
    /// Files mostly share a handler: a compatible field byte-equal to the
    /// last one decoded is that same string (in the mapped file, which
    /// outlives the decode).
    private var lastCompatible = ""
    private var lastCompatibleField: UnsafeRawPointer?

    /// Starts the files of the session `name`, which has `count` of them.
    mutating func beginSession(count: Int) {
        if tokens == nil || tokens!.capacity < count { tokens = TokenTable(capacity: max(count, tokens?.capacity ?? 0)) }
        tokens!.reset()
    }

    /// The entry at `offset` of `bytes`, which lies at `entryPhys`; `slot`
    /// is its place in the session, for errors.
    mutating func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, slot: Int, entryPhys: UInt64,
                       session: String) throws(KHOImageError) -> (record: FileRecord, data: UInt64) {
        let field = bytes.baseAddress! + offset
        let compatible: String
        if let last = lastCompatibleField, memcmp(last, field, LUOv1.handlerCompatibleLength) == 0 {
            compatible = lastCompatible
        } else {
            do {
                compatible = try FixedCString.decode(UnsafeRawBufferPointer(start: field, count: LUOv1.handlerCompatibleLength),
                                                     name: "file \(slot) compatible")
            } catch {
                throw .structure(what: "session \"\(session)\" file \(slot) at \(Hex.format(entryPhys))", error: error)
            }
            lastCompatible = compatible
            lastCompatibleField = field
        }
        let token = bytes.loadLittleEndian(UInt64.self, at: offset + LUOFileSer.tokenOffset)
        let data = bytes.loadLittleEndian(UInt64.self, at: offset + LUOFileSer.dataOffset)
        guard tokens!.insert(token) else { throw .duplicateToken(session: session, token: token) }
        return (FileRecord(token: token, compatible: compatible, content: .data(data)), data)
    }
}
