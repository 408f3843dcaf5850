#if canImport(Glibc)
import Glibc
#endif

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
    /// it, at least one byte before it, and UTF-8. `name` labels errors (and
    /// is only built when there is one).
    public static func decode(_ field: UnsafeRawBufferPointer, name: @autoclosure () -> String) throws(ABIError) -> String {
        guard let base = field.baseAddress, let nul = memchr(base, 0, field.count) else {
            throw .badString(field: name(), problem: .unterminated)
        }
        let end = UnsafeRawPointer(nul) - base
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var offset = end + 1
        while offset < field.count {
            if bytes[offset] != 0 { throw .badString(field: name(), problem: .bytesAfterTerminator(offset: offset)) }
            offset += 1
        }
        guard end > 0 else { throw .badString(field: name(), problem: .empty) }
        let utf8 = UnsafeBufferPointer(start: bytes, count: end)
        // ASCII (every name the kernel's handlers use) is valid UTF-8 as it
        // is: no generic validation, which costs a metadata lookup per call.
        var high: UInt8 = 0
        for byte in utf8 { high |= byte }
        if high < 0x80 { return String(decoding: utf8, as: UTF8.self) }
        let string = String(validating: utf8, as: UTF8.self)
        guard let string else { throw .badString(field: name(), problem: .notUTF8) }
        return string
    }
}
