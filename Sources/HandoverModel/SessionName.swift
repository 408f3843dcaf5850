/// A session's name as the kernel holds it: the bytes of `char name[64]`
/// before its NUL, compared byte for byte (`strncmp`).
///
/// The kernel gives names no encoding: any bytes but NUL are a name
/// (`luo_session_create` refuses only an empty one and one that does not
/// fit 63 bytes; the incoming kernel copies what the image holds). A
/// `SessionName` therefore holds bytes, and equal names are equal bytes
/// (two spellings of "é" are two sessions). The writer and the lifecycle
/// check the kernel's rule; a name read from an image always passes it.
///
/// A string literal is its UTF-8: `SessionRecord(name: "vm0")`,
/// `SessionRecord(name: "vm\(index)")`.
public struct SessionName: Hashable, Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The name's bytes, without the NUL.
    public var bytes: [UInt8]

    /// A name of these bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The name whose bytes are `string`'s UTF-8.
    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    /// The name whose bytes are the literal's UTF-8.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The name as text when its bytes are UTF-8 (exactly those bytes),
    /// `nil` otherwise.
    public var string: String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// The name for display: ``DisplayEscaping``'s form (printable UTF-8 as
    /// it is, anything else as `\xNN`).
    public var description: String {
        DisplayEscaping.escaped(bytes)
    }

    /// The bytes as two lower-case hex digits each, nothing between
    /// (`766d30ff`): the spelling of a manifest's `name_hex` and of
    /// `--session-hex`.
    public var hexSpelling: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The name spelled by ``hexSpelling`` (either case), or `nil` when
    /// `hex` is not pairs of hex digits.
    public init?(hexSpelling hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }
}
