#if canImport(Glibc)
import Glibc
#endif

/// A C string in a fixed-size `char[N]` field, as the kernel's `strscpy`
/// writes it into a zeroed block: the bytes, a NUL, zeros to the end.
///
/// The one owner of the rules for such fields, on both sides: what may be
/// written into one (``problem(_:fieldLength:)``: the kernel's check on a
/// session name at `luo_session_create`, `strnlen(name, N)` between 1 and
/// `N - 1`, and the same bound for handler and FLB compatibles) and what a
/// field read back must hold (``decodeBytes(_:name:)``). Both report a
/// ``CStringProblem``, so a rule broken on either side reads the same.
public enum FixedCString {
    /// Why `value` cannot be written into a `char[fieldLength]` and read
    /// back as the same bytes, or `nil`: it is empty, holds a NUL, or needs
    /// more than `fieldLength - 1` bytes (the kernel's `-EINVAL` for a
    /// session name of 64 bytes without a NUL).
    public static func problem(_ value: UnsafeRawBufferPointer, fieldLength: Int) -> CStringProblem? {
        if value.isEmpty { return .empty }
        if let base = value.baseAddress, let nul = memchr(base, 0, value.count) {
            return .containsNUL(offset: UnsafeRawPointer(nul) - base)
        }
        if value.count >= fieldLength { return .tooLong(bytes: value.count, maximum: fieldLength - 1) }
        return nil
    }

    /// ``problem(_:fieldLength:)`` for bytes in an array.
    public static func problem(_ value: [UInt8], fieldLength: Int) -> CStringProblem? {
        value.withUnsafeBytes { problem($0, fieldLength: fieldLength) }
    }

    /// ``problem(_:fieldLength:)`` for a string's UTF-8 (in place for
    /// native and small strings: no copy).
    public static func problem(_ value: String, fieldLength: Int) -> CStringProblem? {
        if let found = value.utf8.withContiguousStorageIfAvailable({ problem(UnsafeRawBufferPointer($0), fieldLength: fieldLength) }) {
            return found
        }
        return problem(Array(value.utf8), fieldLength: fieldLength)
    }

    /// Writes `value` into `field` (`field.count` is `N`), NUL-terminated and
    /// zero-padded. The caller has checked ``problem(_:fieldLength:)``.
    public static func encode(_ value: String, into field: UnsafeMutableRawBufferPointer) {
        // Native and small strings hand out their UTF-8 in place: no array.
        let copied: Bool? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            encode(UnsafeRawBufferPointer(utf8), into: field)
            return true
        }
        if copied == nil { Array(value.utf8).withUnsafeBytes { encode($0, into: field) } }
    }

    /// Writes the bytes `value` into `field`, NUL-terminated and zero-padded.
    public static func encode(_ value: UnsafeRawBufferPointer, into field: UnsafeMutableRawBufferPointer) {
        let count = value.count
        precondition(count < field.count, "string longer than its field")
        guard let base = field.baseAddress else { return }
        if let source = value.baseAddress { base.copyMemory(from: source, byteCount: count) }
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: field.count - count)
    }

    /// Reads the bytes before the NUL in `field`, requiring a NUL, nothing
    /// but zeros after it, and at least one byte before it; any other bytes
    /// are taken as they are (the kernel gives session names no encoding).
    /// `allowEmpty` takes a field of zeros as no bytes instead. `name`
    /// labels errors (and is only built when there is one).
    public static func decodeBytes(_ field: UnsafeRawBufferPointer, name: @autoclosure () -> String,
                                   allowEmpty: Bool = false) throws(ABIError) -> [UInt8] {
        let end = try terminator(field, name: name(), allowEmpty: allowEmpty)
        return Array(UnsafeRawBufferPointer(rebasing: field[0..<end]))
    }

    /// Reads the string in `field`: ``decodeBytes(_:name:)``'s rules, and
    /// UTF-8 (for compatibles and releases, which name things by text).
    public static func decode(_ field: UnsafeRawBufferPointer, name: @autoclosure () -> String) throws(ABIError) -> String {
        let end = try terminator(field, name: name())
        let utf8 = UnsafeBufferPointer(start: field.baseAddress!.assumingMemoryBound(to: UInt8.self), count: end)
        // ASCII (every name the kernel's handlers use) is valid UTF-8 as it
        // is: no generic validation, which costs a metadata lookup per call.
        var high: UInt8 = 0
        for byte in utf8 { high |= byte }
        if high < 0x80 { return String(decoding: utf8, as: UTF8.self) }
        let string = String(validating: utf8, as: UTF8.self)
        guard let string else { throw .badString(field: name(), problem: .notUTF8) }
        return string
    }

    /// The offset of the NUL ending the string in `field` (non-empty unless
    /// `allowEmpty`), with only zeros after it.
    private static func terminator(_ field: UnsafeRawBufferPointer, name: @autoclosure () -> String,
                                   allowEmpty: Bool = false) throws(ABIError) -> Int {
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
        guard end > 0 || allowEmpty else { throw .badString(field: name(), problem: .empty) }
        return end
    }
}
