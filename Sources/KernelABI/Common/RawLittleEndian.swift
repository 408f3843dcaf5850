/// Host-endian (little-endian on every architecture LUO supports) loads and
/// stores at any byte offset, for the kernel's `__packed` structures.
extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset`; the caller has checked bounds.
    @inlinable
    public func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `value` little-endian at `offset`; the caller has checked bounds.
    @inlinable
    public func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
