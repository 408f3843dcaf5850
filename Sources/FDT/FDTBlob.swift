import CLibFDT

/// A flattened device tree that has passed `fdt_check_full`, and read-only
/// lookups on it.
///
/// The blob is a window into a ``ReadOnlyBytes`` (a mapped image file, say);
/// nothing is copied. Construction is the only way to get one, and it checks,
/// in this order, before libfdt reads anything it has not been told the size
/// of: the window holds at least a full header (40 bytes); the window starts
/// 8-byte aligned; the magic; a version of at least 16; `totalsize` fits in the
/// window; then `fdt_check_full` over exactly `totalsize` bytes.
public struct FDTBlob: Sendable {
    /// The smallest header libfdt reads (version 17): 40 bytes.
    public static let headerSize = 40
    /// The FDT magic number.
    public static let magic: UInt32 = 0xd00d_feed

    /// The storage the blob lives in.
    public let storage: ReadOnlyBytes
    /// Where the blob starts in ``storage``.
    public let offset: Int
    /// The header's `totalsize`, checked to lie inside the window.
    public let totalSize: Int
    /// Names the blob in errors (for example `"LUO FDT at 0x100001000"`).
    public let label: String

    /// Validates the blob that starts at `offset` in `storage` and may extend at
    /// most `maxLength` bytes.
    public init(storage: ReadOnlyBytes, offset: Int = 0, maxLength: Int? = nil, label: String = "FDT") throws(FDTError) {
        let available = min(maxLength ?? (storage.count - offset), storage.count - offset)
        // Built only when something fails.
        var location: String { "\(label), byte offset \(offset)" }
        guard offset >= 0, available >= FDTBlob.headerSize else {
            throw .libfdt(.truncated, function: "fdt_check_header", location: location)
        }
        let pointer = storage.base + offset
        guard Int(bitPattern: pointer) % 8 == 0 else {
            throw .libfdt(.alignment, function: "fdt_check_header", location: location)
        }
        let header = UnsafeRawBufferPointer(start: pointer, count: FDTBlob.headerSize)
        guard ByteOrderCoding.readBigEndian(UInt32.self, header, at: 0) == FDTBlob.magic else {
            throw .libfdt(.badMagic, function: "fdt_check_header", location: location)
        }
        let version = ByteOrderCoding.readBigEndian(UInt32.self, header, at: 20)
        guard version >= 16 else {
            throw .libfdt(.badVersion, function: "fdt_check_header", location: location)
        }
        let total = Int(ByteOrderCoding.readBigEndian(UInt32.self, header, at: 4))
        guard total >= FDTBlob.headerSize, total <= available else {
            throw .libfdt(.truncated, function: "fdt_check_header", location: location)
        }
        guard FDTBlob.tokensAdvance(UnsafeRawBufferPointer(start: pointer, count: total)) else {
            throw .libfdt(.truncated, function: "fdt_check_full", location: location)
        }
        try check(fdt_check_full(pointer, total), "fdt_check_full", location)
        self.storage = storage
        self.offset = offset
        self.totalSize = total
        self.label = label
    }

    /// Whether every property in the structure block ends inside it.
    ///
    /// libfdt 1.6.1's `fdt_next_tag` adds a property's length to a 32-bit
    /// offset without checking it: a length near 2^32 wraps the offset back
    /// onto the property itself, and `fdt_check_full` then loops forever (a
    /// fuzzing finding, 191 bytes). Such a property is reported as
    /// `FDT_ERR_TRUNCATED`, libfdt's error for a structure block that ends
    /// early. Only what that needs is walked; every other defect is left to
    /// `fdt_check_full`.
    static func tokensAdvance(_ blob: UnsafeRawBufferPointer) -> Bool {
        func u32(_ offset: Int) -> Int { Int(ByteOrderCoding.readBigEndian(UInt32.self, blob, at: offset)) }
        let start = u32(8)
        let end = u32(20) >= 17 ? min(blob.count, start + u32(36)) : blob.count
        var offset = start
        while offset + 4 <= end {
            let tag = u32(offset)
            offset += 4
            switch tag {
            case 1: // FDT_BEGIN_NODE: the name, NUL-terminated, then padding
                while offset < end, blob[offset] != 0 { offset += 1 }
                offset = (offset + 4) & ~3
            case 3: // FDT_PROP: len, nameoff, then len bytes and padding
                guard offset + 8 <= end else { return true }
                offset += 8 + u32(offset)
                guard offset <= end else { return false }
                offset = (offset + 3) & ~3
            case 2, 4: // FDT_END_NODE, FDT_NOP
                continue
            default: // FDT_END, or a token fdt_check_full refuses
                return true
            }
        }
        return true
    }

    /// Validates a whole byte array (copied into aligned storage first).
    public init(bytes: [UInt8], label: String = "FDT") throws(FDTError) {
        try self.init(storage: ReadOnlyBytes(copying: bytes), label: label)
    }

    var pointer: UnsafeRawPointer { storage.base + offset }

    /// The blob's bytes, `totalsize` long.
    public var bytes: [UInt8] { storage.copy(offset..<(offset + totalSize)) }

    /// The header's `version`.
    public var version: UInt32 { luo_fdt_version(pointer) }

    /// The memory-reservation block, in order.
    public func memoryReservations() throws(FDTError) -> [(address: UInt64, size: UInt64)] {
        let count = fdt_num_mem_rsv(pointer)
        try check(count, "fdt_num_mem_rsv", "\(label) reservation block")
        var result: [(address: UInt64, size: UInt64)] = []
        for index in 0..<count {
            var address: UInt64 = 0
            var size: UInt64 = 0
            try check(fdt_get_mem_rsv(pointer, index, &address, &size), "fdt_get_mem_rsv",
                      "\(label) reservation \(index)")
            result.append((address, size))
        }
        return result
    }

    /// The root node.
    public var root: FDTNodeRef { FDTNodeRef(blob: self, offset: 0, path: "/") }

    /// The node at an absolute `path`, or `nil`.
    public func node(atPath path: String) -> FDTNodeRef? {
        let offset = path.withCString { fdt_path_offset(pointer, $0) }
        return offset < 0 ? nil : FDTNodeRef(blob: self, offset: offset, path: path)
    }

    /// The whole tree as a value, for printing and comparing.
    public func tree() throws(FDTError) -> FDTNode {
        try root.materialize()
    }
}
