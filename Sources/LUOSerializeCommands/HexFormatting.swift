import HexFormat

/// How the command line writes byte counts, byte previews and names; its
/// numbers are ``Hex/format(_:)``'s (the `HexFormat` module's).
extension Hex {
    /// A byte count with a binary unit: `4 KiB`, `1.5 MiB`, `12 bytes`.
    static func byteCount(_ count: UInt64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard count >= 1024 else { return "\(count) bytes" }
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        return "\(text) \(units[unit])"
    }

    /// The first `limit` bytes as hex pairs and their printable ASCII.
    static func preview(_ bytes: ArraySlice<UInt8>, limit: Int = 16) -> String {
        let shown = bytes.prefix(limit)
        let hex = shown.map { Hex.digits($0, width: 2) }.joined(separator: " ")
        let ascii = String(shown.map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." })
        return "\(hex)\(bytes.count > limit ? " ..." : "")  |\(ascii)|"
    }
}
