/// Fixed-width integers to and from bytes in a named byte order.
///
/// The handover mixes two orders: DT cells are big-endian, while the kernel's
/// raw `u64` properties and packed structs are in host order, which on every
/// architecture LUO supports (x86-64, arm64) is little-endian.
public enum ByteOrderCoding {
    /// The little-endian bytes of `value`.
    @inlinable
    public static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// The big-endian bytes of `value`.
    @inlinable
    public static func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// Reads a little-endian integer from `bytes` at `offset`; the caller has
    /// checked that `offset + T.size` is in bounds.
    @inlinable
    public static func readLittleEndian<T: FixedWidthInteger>(
        _: T.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int
    ) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Reads a big-endian integer from `bytes` at `offset`; the caller has
    /// checked that `offset + T.size` is in bounds.
    @inlinable
    public static func readBigEndian<T: FixedWidthInteger>(
        _: T.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int
    ) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Reads a little-endian integer from an array slice of exactly its size.
    @inlinable
    public static func littleEndian<T: FixedWidthInteger>(_: T.Type, from bytes: some Collection<UInt8>) -> T {
        var value: T = 0
        for (shift, byte) in bytes.prefix(MemoryLayout<T>.size).enumerated() {
            value |= T(byte) << (shift * 8)
        }
        return value
    }

    /// Reads a big-endian integer from an array slice of exactly its size.
    @inlinable
    public static func bigEndian<T: FixedWidthInteger>(_: T.Type, from bytes: some Collection<UInt8>) -> T {
        var value: T = 0
        for byte in bytes.prefix(MemoryLayout<T>.size) {
            value = (value << 8) | T(byte)
        }
        return value
    }
}
