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
    /// The current session's files so far, in order.
    private(set) var records: [FileRecord] = []
    /// Their raw `data`, in the same order.
    private(set) var data: [UInt64] = []

    /// Starts the files of a session that has `count` of them.
    mutating func beginSession(count: Int) {
        if tokens == nil || tokens!.capacity < count { tokens = TokenTable(capacity: max(count, tokens?.capacity ?? 0)) }
        tokens!.reset()
        records = []
        data = []
        records.reserveCapacity(count)
        data.reserveCapacity(count)
    }

    /// Reads the session's next entry, at `offset` of `bytes`, which lies
    /// at `entryPhys`, into ``records`` and ``data``.
    mutating func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, entryPhys: UInt64,
                       session: SessionName) throws(KHOImageError) {
        let slot = records.count
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
        let value = bytes.loadLittleEndian(UInt64.self, at: offset + LUOFileSer.dataOffset)
        guard tokens!.insert(token) else { throw .duplicateToken(session: session, token: token) }
        records.append(FileRecord(token: token, compatible: compatible, content: .data(value)))
        data.append(value)
    }
}
