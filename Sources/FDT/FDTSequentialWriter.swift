import CLibFDT
import HexFormat

/// libfdt's sequential-write API: the way the kernel builds every FDT of the
/// handover (`fdt_create`, `fdt_finish_reservemap`, `fdt_begin_node`,
/// `fdt_property`, `fdt_end_node`, `fdt_finish`).
///
/// The writer owns a zero-filled buffer of the capacity given, exactly as the
/// kernel's page. Identical calls in identical order give identical bytes, in
/// the used part *and* in the rest of the buffer (where `fdt_finish` leaves the
/// old string table behind), so ``buffer`` is what the kernel's page holds.
///
/// ```swift
/// let w = try FDTSequentialWriter(capacity: 4096)
/// try w.finishReservemap()
/// try w.beginNode("")
/// try w.property("compatible", string: "luo-v1")
/// try w.endNode()
/// try w.finish()
/// ```
public final class FDTSequentialWriter {
    /// The whole buffer the tree is written into.
    public let buffer: AlignedBytes
    private var finished = false

    /// `fdt_create` on a new zero-filled, page-aligned buffer of `capacity` bytes.
    public convenience init(capacity: Int) throws(FDTError) {
        try self.init(writingInto: AlignedBytes(zeroedCount: capacity))
    }

    /// `fdt_create` on `buffer`, all of it: memory the caller owns, such
    /// as a page of the image being built, so the tree needs no copy. For
    /// the kernel's bytes the buffer must be zero-filled, as a fresh page is.
    public init(writingInto buffer: AlignedBytes) throws(FDTError) {
        self.buffer = buffer
        try check(fdt_create(buffer.base, Int32(clamping: buffer.count)), "fdt_create", "capacity \(buffer.count)")
    }

    /// `fdt_add_reservemap_entry`.
    public func addReservation(address: UInt64, size: UInt64) throws(FDTError) {
        try check(fdt_add_reservemap_entry(buffer.base, address, size), "fdt_add_reservemap_entry",
                  "reservation \(Hex.format(address))")
    }

    /// `fdt_finish_reservemap`.
    public func finishReservemap() throws(FDTError) {
        try check(fdt_finish_reservemap(buffer.base), "fdt_finish_reservemap", "memory reservation block")
    }

    /// `fdt_begin_node(name)`; the root node's name is `""`.
    public func beginNode(_ name: String) throws(FDTError) {
        // withCString: no heap copy of a small string (the implicit
        // String-to-pointer conversion makes one).
        let result = name.withCString { fdt_begin_node(buffer.base, $0) }
        try check(result, "fdt_begin_node", "node '\(name)'")
    }

    /// `fdt_end_node`.
    public func endNode() throws(FDTError) {
        try check(fdt_end_node(buffer.base), "fdt_end_node", "end of node")
    }

    /// `fdt_property(name, bytes, count)`: the bytes exactly as given.
    public func property(_ name: String, bytes: [UInt8]) throws(FDTError) {
        try check(bytes.withUnsafeBytes { add(name, $0) }, "fdt_property", "property '\(name)'")
    }

    /// `fdt_property(name, bytes, count)` from memory the caller holds.
    public func property(_ name: String, raw: UnsafeRawBufferPointer) throws(FDTError) {
        try check(add(name, raw), "fdt_property", "property '\(name)'")
    }

    /// `fdt_property_string`: the string and its terminating NUL.
    public func property(_ name: String, string: String) throws(FDTError) {
        let result = string.withCString { add(name, UnsafeRawBufferPointer(start: $0, count: string.utf8.count + 1)) }
        try check(result, "fdt_property", "property '\(name)'")
    }

    /// `fdt_property(name, &value, sizeof(value))`: the u64's raw in-memory
    /// (little-endian) bytes, as the kernel writes physical addresses.
    public func property(_ name: String, rawU64 value: UInt64) throws(FDTError) {
        try check(withUnsafeBytes(of: value.littleEndian) { add(name, $0) }, "fdt_property", "property '\(name)'")
    }

    /// A DT-style u64: two big-endian cells.
    public func property(_ name: String, bigEndianU64 value: UInt64) throws(FDTError) {
        try check(withUnsafeBytes(of: value.bigEndian) { add(name, $0) }, "fdt_property", "property '\(name)'")
    }

    /// Big-endian 32-bit cells, as DT convention writes `reg` and friends.
    public func property(_ name: String, cells: [UInt32]) throws(FDTError) {
        let result: Int32
        if cells.count == 1 {
            result = withUnsafeBytes(of: cells[0].bigEndian) { add(name, $0) }
        } else {
            result = cells.map { $0.bigEndian }.withUnsafeBytes { add(name, $0) }
        }
        try check(result, "fdt_property", "property '\(name)'")
    }

    /// `fdt_property_placeholder(name, count)`: reserves a property of
    /// `count` bytes (zero-filled) whose value is written later, and returns
    /// where that value sits in ``buffer``. The structure block does not move
    /// when the tree is finished, so the offset stays valid after
    /// ``finish()``: a value that depends on the finished size (an image
    /// index's file offsets, say) is filled in without building the tree twice.
    public func propertyPlaceholder(_ name: String, count: Int) throws(FDTError) -> Int {
        var value: UnsafeMutableRawPointer?
        let result = name.withCString { fdt_property_placeholder(buffer.base, $0, Int32(count), &value) }
        try check(result, "fdt_property_placeholder", "property '\(name)'")
        guard let value else { throw .libfdt(.internal, function: "fdt_property_placeholder", location: "property '\(name)'") }
        value.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        return value - buffer.base
    }

    /// `fdt_property` with the name passed without a heap copy (the
    /// implicit String-to-pointer conversion makes one for small strings).
    private func add(_ name: String, _ value: UnsafeRawBufferPointer) -> Int32 {
        name.withCString { fdt_property(buffer.base, $0, value.baseAddress, Int32(value.count)) }
    }

    /// `fdt_finish`: terminates the structure block, moves the string table
    /// down and shrinks `totalsize` to the used part.
    public func finish() throws(FDTError) {
        try check(fdt_finish(buffer.base), "fdt_finish", "end of tree")
        finished = true
    }

    /// The header's `totalsize` (the whole buffer before ``finish()``).
    public var totalSize: Int { Int(luo_fdt_totalsize(buffer.base)) }

    /// The finished tree's bytes, `totalsize` long.
    public var blob: [UInt8] {
        precondition(finished, "blob read before fdt_finish")
        return buffer.copy(0..<totalSize)
    }
}
