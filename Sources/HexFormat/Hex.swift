/// How this project writes numbers in hexadecimal, in messages, dumps and
/// names alike: lower-case digits, `0x` in front where a reader needs to
/// tell the number from a decimal one. Every hexadecimal number any layer
/// prints is written here.
public enum Hex {
    /// `0x` and lower-case digits, no padding: `0x1000`.
    public static func format<Value: BinaryInteger>(_ value: Value) -> String {
        "0x" + digits(value)
    }

    /// Lower-case digits without `0x`, at least `width` of them (zeros in
    /// front): `digits(10, width: 2)` is `0a`.
    public static func digits<Value: BinaryInteger>(_ value: Value, width: Int = 1) -> String {
        // Values that fit 64 bits (every address and size here) take the
        // direct path; wider or negative ones the standard library's.
        if let word = UInt64(exactly: value) { return digits(word, width: width) }
        let digits = String(value, radix: 16)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// ``digits(_:width:)`` for a `UInt64`: nibbles written into a buffer
    /// on the stack, one string made from them.
    public static func digits(_ value: UInt64, width: Int = 1) -> String {
        let count = max(width, (UInt64.bitWidth - value.leadingZeroBitCount + 3) / 4, 1)
        if count > 16 { return String(repeating: "0", count: count - 16) + digits(value, width: 16) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            var rest = value
            for index in stride(from: count - 1, through: 0, by: -1) {
                let nibble = UInt8(truncatingIfNeeded: rest & 0xf)
                buffer[index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
                rest >>= 4
            }
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    /// `0xSTART-0xEND`: a range of addresses, end exclusive.
    public static func range(_ start: UInt64, _ end: UInt64) -> String {
        format(start) + "-" + format(end)
    }
}
