/// A C string in a fixed-size `char[N]` field, as the kernel's `strscpy`
/// writes it into a zeroed block: the bytes, a NUL, zeros to the end.
public enum FixedCString {
    /// Writes `value` into `field` (`field.count` is `N`), NUL-terminated and
    /// zero-padded. The caller has checked `value.utf8.count < N`.
    public static func encode(_ value: String, into field: UnsafeMutableRawBufferPointer) {
        let count = value.utf8.count
        precondition(count < field.count, "string longer than its field")
        guard let base = field.baseAddress else { return }
        // Native and small strings hand out their UTF-8 in place: no array.
        let copied: Bool? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            if let source = utf8.baseAddress { base.copyMemory(from: source, byteCount: count) }
            return true
        }
        if copied == nil { UnsafeMutableRawBufferPointer(start: base, count: count).copyBytes(from: value.utf8) }
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: field.count - count)
    }

    /// Reads the string in `field`, requiring a NUL, nothing but zeros after
    /// it, at least one byte before it, and UTF-8. `name` labels errors.
    public static func decode(_ field: UnsafeRawBufferPointer, name: String) throws(ABIError) -> String {
        guard let end = field.firstIndex(of: 0) else {
            throw .badString(field: name, problem: .unterminated)
        }
        if let stray = field[(end + 1)...].firstIndex(where: { $0 != 0 }) {
            throw .badString(field: name, problem: .bytesAfterTerminator(offset: stray))
        }
        guard end > 0 else { throw .badString(field: name, problem: .empty) }
        guard let string = String(validating: field[..<end], as: UTF8.self) else {
            throw .badString(field: name, problem: .notUTF8)
        }
        return string
    }
}
