#if canImport(Glibc)
import Glibc
#endif

/// An owned, 8-byte-aligned run of bytes that nothing writes once it is
/// made: a read-only file mapping, a copy, or a buffer handed over by the
/// one that filled it. Every read path (``FDTBlob``, the image reader)
/// takes one of these; building and editing FDTs takes an ``AlignedBytes``.
///
/// `@unchecked Sendable` because the compiler cannot see that the memory
/// behind `base` never changes after `init`: there is no API to write it,
/// and the memory lives (and is released once) with the object.
public final class ReadOnlyBytes: @unchecked Sendable {
    /// The first byte. Aligned to at least 8 bytes.
    public let base: UnsafeRawPointer
    /// The number of bytes.
    public let count: Int
    private let release: @Sendable (UnsafeRawPointer, Int) -> Void

    /// Takes over `count` bytes at `base` that something else allocated
    /// and nobody writes any more; `release` frees them (`munmap`, `free`).
    public init(adopting base: UnsafeRawPointer, count: Int, release: @escaping @Sendable (UnsafeRawPointer, Int) -> Void) {
        self.base = base
        self.count = count
        self.release = release
    }

    /// `count` bytes aligned to `alignment` (at least 8) that `fill` writes
    /// once, before anyone can read them (zeros where it does not write).
    public convenience init<E: Error>(count: Int, alignment: Int = 8,
                                      filling fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        precondition(count >= 0, "negative byte count")
        let size = max(count, 1)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: max(alignment, 8))
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        do {
            try fill(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            pointer.deallocate()
            throw error
        }
        self.init(adopting: UnsafeRawPointer(pointer), count: count) { pointer, _ in pointer.deallocate() }
    }

    /// Copies `bytes` into a new aligned buffer.
    public convenience init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        self.init(count: bytes.count) { (buffer: UnsafeMutableRawBufferPointer) in buffer.copyBytes(from: bytes) }
    }

    deinit { release(base, count) }

    /// All the bytes; valid while this object is alive.
    public var rawBuffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A copy of `range` as an array.
    public func copy(_ range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside buffer")
        return withExtendedLifetime(self) { Array(UnsafeRawBufferPointer(rebasing: rawBuffer[range])) }
    }

    /// A copy of every byte as an array.
    public var array: [UInt8] { copy(0..<count) }
}
