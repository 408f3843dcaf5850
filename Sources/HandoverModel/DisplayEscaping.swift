/// How untrusted bytes and strings are shown on a terminal or in an error
/// message: the one owner of that escaping (session names, compatibles and
/// FDT strings read from an image pass through it before they are printed).
///
/// Printable UTF-8 is shown as it is; `\` and `"` as `\\` and `\"`; tab,
/// newline and carriage return as `\t`, `\n`, `\r`; every other control
/// character (C0, DEL, C1) and every byte that is not part of valid UTF-8
/// as `\xNN`, one per byte. The form is unambiguous: different bytes never
/// show the same, and nothing shown can move the cursor or drive the terminal.
public enum DisplayEscaping {
    /// `bytes` escaped, without quotes.
    public static func escaped(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out = ""
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard let (scalar, length) = scalar(in: bytes, at: index) else {
                appendHex(bytes[index], to: &out)
                index += 1
                continue
            }
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x09: out += "\\t"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0..<0x20, 0x7f..<0xa0:
                for byte in bytes[index..<(index + length)] { appendHex(byte, to: &out) }
            default:
                out.unicodeScalars.append(scalar)
            }
            index += length
        }
        return out
    }

    /// `text`'s UTF-8 escaped, without quotes.
    public static func escaped(_ text: String) -> String { escaped(text.utf8) }

    /// `bytes` escaped, in double quotes.
    public static func quoted(_ bytes: some Collection<UInt8>) -> String { "\"" + escaped(bytes) + "\"" }

    /// `text` escaped, in double quotes.
    public static func quoted(_ text: String) -> String { quoted(text.utf8) }

    /// The scalar whose well-formed UTF-8 sequence starts at `index`, and
    /// its length; `nil` when the byte there starts none (a stray
    /// continuation byte, an overlong form, a surrogate, a truncated sequence).
    private static func scalar(in bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xbf
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0: length = 3; second = 0xa0...0xbf
        case 0xe1...0xec, 0xee...0xef: length = 3
        case 0xed: length = 3; second = 0x80...0x9f
        case 0xf0: length = 4; second = 0x90...0xbf
        case 0xf1...0xf3: length = 4
        case 0xf4: length = 4; second = 0x80...0x8f
        default: return nil
        }
        guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return nil }
        var value = UInt32(lead) & (0xff >> (length + 1))
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard offset == 1 || (0x80...0xbf).contains(byte) else { return nil }
            value = value << 6 | UInt32(byte & 0x3f)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    private static func appendHex(_ byte: UInt8, to out: inout String) {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        out += "\\x"
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xf)])
    }
}
