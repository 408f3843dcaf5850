import HandoverModel
import HexFormat
import KernelABI
import CLinuxSupport

/// The `luo_file_ser` entries of one image as every LUO container reads
/// them (the `luo-v1` file array and the `luo-v5` file chain): compatible,
/// token and raw `data`, each token new within its session, and which
/// files are the generation's memfd handler's.
struct FileEntryReader {
    /// Replaced by a larger one when a session has more files than any
    /// before it.
    private var tokens = TokenTable(capacity: 0)
    /// The generation's memfd handler, whose files' `data` the reader
    /// follows afterwards.
    private let memfd: MemfdFormat
    /// Files mostly share a handler: a compatible field byte-equal to the
    /// last one decoded is that same string (in the mapped file, which
    /// outlives the decode), and the same handler.
    private var lastCompatible = ""
    private var lastCompatibleField: UnsafeRawPointer?
    private var lastIsMemfd = false
    /// The current session's files so far, in order.
    private(set) var records: [FileRecord] = []
    /// Their raw `data`, in the same order.
    private(set) var data: [UInt64] = []
    /// Which of them the reader follows afterwards, ascending.
    private(set) var followed = FollowedSlots()

    /// A reader for a generation whose memfd handler is `memfd`.
    init(memfd: MemfdFormat) {
        self.memfd = memfd
    }

    /// Starts the files of a session that has `count` of them.
    mutating func beginSession(count: Int) {
        if tokens.capacity < count { tokens = TokenTable(capacity: count) }
        tokens.reset()
        records = []
        data = []
        followed = FollowedSlots()
        records.reserveCapacity(count)
        data.reserveCapacity(count)
    }

    /// Whether the two 48-byte compatible fields hold the same bytes: six
    /// word compares in line (this runs once per file).
    @inline(__always)
    private static func sameCompatible(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        var difference: UInt64 = 0
        for word in stride(from: 0, to: LUOv1.handlerCompatibleLength, by: 8) {
            difference |= a.loadUnaligned(fromByteOffset: word, as: UInt64.self)
                ^ b.loadUnaligned(fromByteOffset: word, as: UInt64.self)
        }
        return difference == 0
    }

    /// Reads the session's next `count` entries, packed from `offset` of
    /// `bytes`, which lies at `phys`, into ``records``, ``data`` and
    /// ``followed`` (`preserved` tells which `data` values start a block).
    mutating func read(_ bytes: UnsafeRawBufferPointer, entriesAt offset: Int, count: Int, phys: UInt64,
                       session: SessionName, preserved: PreservedMemoryMap, next: UnsafeRawPointer? = nil) throws(KHOImageError) {
        // The arrays are moved out for the loop, so each append finds them unique.
        var records = self.records
        var data = self.data
        self.records = []
        self.data = []
        defer {
            self.records = records
            self.data = data
        }
        let tokens = self.tokens
        // Raw data values are mostly not addresses: one range check first.
        let span = preserved.span
        for entry in 0..<count {
            let entryOffset = offset + entry * LUOFileSer.size
            let slot = records.count
            let field = bytes.baseAddress! + entryOffset
            if let next { luo_prefetch(next + entry * LUOFileSer.size) }
            if lastCompatibleField == nil || !Self.sameCompatible(lastCompatibleField!, UnsafeRawPointer(field)) {
                do {
                    lastCompatible = try FixedCString.decode(UnsafeRawBufferPointer(start: field, count: LUOv1.handlerCompatibleLength),
                                                             name: "file \(slot) compatible")
                } catch {
                    throw .structure(what: "session \"\(session)\" file \(slot) at \(Hex.format(phys + UInt64(entryOffset)))",
                                     error: error)
                }
                lastCompatibleField = field
                lastIsMemfd = memfd.handles(lastCompatible)
            }
            let token = bytes.loadLittleEndian(UInt64.self, at: entryOffset + LUOFileSer.tokenOffset)
            let value = bytes.loadLittleEndian(UInt64.self, at: entryOffset + LUOFileSer.dataOffset)
            guard tokens.insert(token) else { throw .duplicateToken(session: session, token: token) }
            if lastIsMemfd {
                followed.memfd.append(slot)
            } else if span.contains(value), preserved.block(startingAt: value) != nil {
                followed.payload.append(slot)
            }
            records.append(FileRecord(token: token, compatible: lastCompatible, content: .data(value)))
            data.append(value)
        }
    }
}

/// The files of one session whose `data` the reader follows once every
/// entry is read: the memfd handler's (their structures are walked and
/// claimed first), then those whose `data` starts a preserved block (a
/// payload, unless a memfd claimed the block). Slots ascend in each.
struct FollowedSlots: Sendable {
    /// The memfd handler's files.
    var memfd: [Int] = []
    /// The other files whose `data` is the start of a preserved block.
    var payload: [Int] = []
}
