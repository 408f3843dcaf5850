import CLibFDT
#if canImport(Glibc)
import Glibc
#endif

/// An owned, 8-byte-aligned, writable run of bytes: where FDTs are built
/// and edited (``FDTSequentialWriter``, ``FDTEditor``).
///
/// libfdt refuses blobs that do not start on an 8-byte boundary
/// (`FDT_ERR_ALIGNMENT`), and Swift arrays make no alignment promise, so every
/// buffer this project hands to libfdt is one of these or, to read, a
/// ``ReadOnlyBytes``. It is allocated and zero-filled here, or lent for the
/// length of a closure by memory someone else owns (``lending(_:count:_:)``);
/// it is not `Sendable`: it is written in place.
public final class AlignedBytes {
    /// The first byte. Aligned to at least 8 bytes.
    public let base: UnsafeMutableRawPointer
    /// The number of bytes.
    public let count: Int
    /// Whether this object frees `base` (false when it is lent).
    private let owns: Bool

    /// Allocates `count` zero-filled bytes aligned to `alignment` (at least 8).
    public init(zeroedCount count: Int, alignment: Int = 4096) {
        precondition(count >= 0, "negative byte count")
        let size = max(count, 1)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: max(alignment, 8))
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        self.base = pointer
        self.count = count
        self.owns = true
    }

    /// Copies `bytes` into a new aligned buffer.
    public convenience init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        self.init(zeroedCount: bytes.count, alignment: 8)
        UnsafeMutableRawBufferPointer(start: base, count: count).copyBytes(from: bytes)
    }

    private init(borrowing base: UnsafeMutableRawPointer, count: Int) {
        self.base = base
        self.count = count
        self.owns = false
    }

    /// Lends `body` the `count` bytes at `base`, which someone else owns
    /// and frees (the writer's arena pages, say), as an ``AlignedBytes`` to
    /// build or edit an FDT in place. The loan ends with `body`: keeping
    /// the object past it is a programming error, caught here.
    public static func lending<R, Failure: Error>(_ base: UnsafeMutableRawPointer, count: Int,
                                                  _ body: (AlignedBytes) throws(Failure) -> R) throws(Failure) -> R {
        var loan = AlignedBytes(borrowing: base, count: count)
        defer { precondition(isKnownUniquelyReferenced(&loan), "a lent AlignedBytes outlived its loan") }
        return try body(loan)
    }

    deinit { if owns { base.deallocate() } }

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
