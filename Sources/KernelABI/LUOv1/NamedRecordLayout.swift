/// The layout `luo_session_ser`, `luo_file_ser` and `luo_flb_ser` share: a
/// NUL-terminated `char[nameLength]`, then two little-endian u64 fields, packed.
struct NamedRecordLayout {
    /// Bytes of the name field.
    let nameLength: Int

    /// Offset of the first u64.
    var firstOffset: Int { nameLength }
    /// Offset of the second u64.
    var secondOffset: Int { nameLength + 8 }
    /// Encoded size.
    var size: Int { nameLength + 16 }

    /// Writes one record at `offset`; the caller has checked the bounds and
    /// that `name` fits.
    func encode(name: String, first: UInt64, second: UInt64,
                into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + size <= buffer.count, "record outside the buffer")
        FixedCString.encode(name, into: nameField(buffer, at: offset))
        encodeValues(first, second, into: buffer, at: offset)
    }

    /// Writes one record whose name is bytes at `offset`.
    func encode(name: [UInt8], first: UInt64, second: UInt64,
                into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + size <= buffer.count, "record outside the buffer")
        name.withUnsafeBytes { FixedCString.encode($0, into: nameField(buffer, at: offset)) }
        encodeValues(first, second, into: buffer, at: offset)
    }

    /// Reads one record at `offset`; `nameLabel` names the name field in errors.
    func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, nameLabel: @autoclosure () -> String)
        throws(ABIError) -> (name: String, first: UInt64, second: UInt64) {
        let name = try FixedCString.decode(
            UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + nameLength)]), name: nameLabel())
        return (name, buffer.loadLittleEndian(UInt64.self, at: offset + firstOffset),
                buffer.loadLittleEndian(UInt64.self, at: offset + secondOffset))
    }

    /// Reads one record whose name is any bytes at `offset` (none at all
    /// when `allowEmpty`).
    func decodeBytes(_ buffer: UnsafeRawBufferPointer, at offset: Int, nameLabel: @autoclosure () -> String,
                     allowEmpty: Bool) throws(ABIError) -> (name: [UInt8], first: UInt64, second: UInt64) {
        let name = try FixedCString.decodeBytes(
            UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + nameLength)]), name: nameLabel(), allowEmpty: allowEmpty)
        return (name, buffer.loadLittleEndian(UInt64.self, at: offset + firstOffset),
                buffer.loadLittleEndian(UInt64.self, at: offset + secondOffset))
    }

    private func nameField(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + offset, count: nameLength)
    }

    private func encodeValues(_ first: UInt64, _ second: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeLittleEndian(first, at: offset + firstOffset)
        buffer.storeLittleEndian(second, at: offset + secondOffset)
    }
}
