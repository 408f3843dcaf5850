import FDT

/// Physical memory held in a buffer: `storage` holds the memory from
/// physical address `phys` on. A VMM with guest RAM mapped, or a loader that
/// already read memory in, wraps it with this; the fuzzers use it too.
public struct BufferMemory: PhysicalMemory, Sendable {
    /// The physical address of the buffer's first byte.
    public let phys: UInt64
    /// The bytes (kept alive as long as this value).
    public let storage: ReadOnlyBytes

    /// Wraps `storage`, whose first byte is at `phys`.
    public init(phys: UInt64, storage: ReadOnlyBytes) {
        self.phys = phys
        self.storage = storage
    }

    /// The one range the buffer covers (none when it is empty or runs past 2^64).
    public var ranges: [PhysicalRange] {
        guard storage.count > 0, phys &+ UInt64(storage.count) > phys else { return [] }
        return [PhysicalRange(phys: phys, size: UInt64(storage.count))]
    }

    /// Copies the bytes at `address` into `buffer`.
    public func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(KHOImageError) {
        let length = UInt64(buffer.count)
        guard let range = ranges.first, address >= range.phys, address &+ length >= address, address + length <= range.end else {
            throw .outsideSource(what: what, phys: address, length: length)
        }
        guard buffer.count > 0 else { return }
        buffer.baseAddress!.copyMemory(from: storage.base + Int(address - phys), byteCount: buffer.count)
    }
}
