import CLibFDT
#if canImport(Glibc)
import Glibc
#endif

/// An owned, 8-byte-aligned run of bytes: the storage every FDT lives in.
///
/// libfdt refuses blobs that do not start on an 8-byte boundary
/// (`FDT_ERR_ALIGNMENT`), and Swift arrays make no alignment promise, so every
/// buffer this project hands to libfdt is one of these. It is either allocated
/// and zero-filled here, or a read-only mapping of a file; either way the memory
/// lives as long as the object.
public final class AlignedBytes: @unchecked Sendable {
    /// The first byte. Aligned to at least 8 bytes.
    public let base: UnsafeMutableRawPointer
    /// The number of bytes.
    public let count: Int
    private let release: @Sendable (UnsafeMutableRawPointer, Int) -> Void

    /// Allocates `count` zero-filled bytes aligned to `alignment` (at least 8).
    public init(zeroedCount count: Int, alignment: Int = 4096) {
        precondition(count >= 0, "negative byte count")
        let size = max(count, 1)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: max(alignment, 8))
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        self.base = pointer
        self.count = count
        self.release = { pointer, _ in pointer.deallocate() }
    }

    /// Copies `bytes` into a new aligned buffer.
    public convenience init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        self.init(zeroedCount: bytes.count, alignment: 8)
        UnsafeMutableRawBufferPointer(start: base, count: count).copyBytes(from: bytes)
    }

    /// Wraps memory that something else allocated; `release` frees it.
    public init(
        adopting base: UnsafeMutableRawPointer, count: Int,
        release: @escaping @Sendable (UnsafeMutableRawPointer, Int) -> Void
    ) {
        self.base = base
        self.count = count
        self.release = release
    }

    deinit { release(base, count) }

    /// A read-only view of all the bytes.
    public var rawBuffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A copy of `range` as an array.
    public func copy(_ range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside buffer")
        return Array(UnsafeRawBufferPointer(rebasing: rawBuffer[range]))
    }

    /// A copy of every byte as an array.
    public var array: [UInt8] { copy(0..<count) }
}
