import FDT

/// Prints an FDT the way fdtdump does: nodes in braces, each property as a
/// string, a byte list or 32-bit cells. An 8-byte value is also shown as the
/// little-endian `u64` the kernel stores (physical addresses, counters).
enum FDTDumpFormatter {
    /// The tree in `bytes`, every line prefixed with `indent`; a one-line
    /// note when the bytes are not a valid FDT.
    static func dump(_ bytes: [UInt8], indent: String) -> String {
        let tree: FDTNode
        do {
            tree = try FDTBlob(bytes: bytes, label: "FDT").tree()
        } catch {
            return "\(indent)(not a valid FDT: \(error))\n"
        }
        var output = ""
        node(tree, depth: 0, indent: indent, into: &output)
        return output
    }

    private static func node(_ node: FDTNode, depth: Int, indent: String, into output: inout String) {
        let pad = indent + String(repeating: "    ", count: depth)
        output += "\(pad)\(node.name.isEmpty ? "/" : node.name) {\n"
        for property in node.properties {
            output += "\(pad)    \(property.name)\(value(property.value));\n"
        }
        for child in node.children {
            self.node(child, depth: depth + 1, indent: indent, into: &output)
        }
        output += "\(pad)};\n"
    }

    /// ` = …` for a property value, empty for an empty one.
    static func value(_ bytes: [UInt8]) -> String {
        if bytes.isEmpty { return "" }
        if let strings = printableStrings(bytes) {
            return " = " + strings.map { "\"\($0)\"" }.joined(separator: ", ")
        }
        let byteList = " = [" + bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ") + "]"
        if bytes.count == 8 {
            var value: UInt64 = 0
            for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << UInt64(8 * index) }
            return byteList + " /* u64 LE \(Hex.format(value)) */"
        }
        if bytes.count % 4 == 0 {
            let cells = stride(from: 0, to: bytes.count, by: 4).map { offset in
                bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            }
            return " = <" + cells.map { "0x" + String($0, radix: 16) }.joined(separator: " ") + ">"
        }
        return byteList
    }

    /// The strings of a NUL-separated list of printable strings, or `nil`.
    private static func printableStrings(_ bytes: [UInt8]) -> [String]? {
        guard bytes.last == 0, bytes.first != 0 else { return nil }
        let parts = bytes.dropLast().split(separator: 0, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (0x20..<0x7f).contains($0) } }) else { return nil }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }
}
