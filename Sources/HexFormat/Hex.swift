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
        let digits = String(value, radix: 16)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// `0xSTART-0xEND`: a range of addresses, end exclusive.
    public static func range(_ start: UInt64, _ end: UInt64) -> String {
        format(start) + "-" + format(end)
    }
}
