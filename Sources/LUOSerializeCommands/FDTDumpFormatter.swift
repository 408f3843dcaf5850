import FDT
import HandoverModel
import HexFormat

/// Prints an FDT the way fdtdump does: nodes in braces, each property as a
/// string, a byte list or 32-bit cells. An 8-byte value is also shown as a
/// `u64`: little-endian in the kernel's FDTs (it stores raw host-order
/// values), big-endian in the image index (ordinary DT cells).
enum FDTDumpFormatter {
    /// How 8-byte property values are read as a `u64`.
    enum U64Order {
        /// Raw host (little-endian) order, as the kernel's `fdt_property(…, &u64, 8)`.
        case kernelRawLittleEndian
        /// Two big-endian cells, as device trees usually store numbers.
        case bigEndianCells
    }

    /// The tree in `bytes`, every line prefixed with `indent`; a one-line
    /// note when the bytes are not a valid FDT.
    static func dump(_ bytes: [UInt8], indent: String, u64: U64Order = .kernelRawLittleEndian) -> String {
        let tree: FDTNode
        do {
            tree = try FDTBlob(bytes: bytes, label: "FDT").tree()
        } catch {
            return "\(indent)(not a valid FDT: \(error))\n"
        }
        var output = ""
        node(tree, depth: 0, indent: indent, u64: u64, into: &output)
        return output
    }

    private static func node(_ node: FDTNode, depth: Int, indent: String, u64: U64Order, into output: inout String) {
        let pad = indent + String(repeating: "    ", count: depth)
        output += "\(pad)\(node.name.isEmpty ? "/" : DisplayEscaping.escaped(node.name)) {\n"
        for property in node.properties {
            output += "\(pad)    \(DisplayEscaping.escaped(property.name))\(value(property.value, u64: u64));\n"
        }
        for child in node.children {
            self.node(child, depth: depth + 1, indent: indent, u64: u64, into: &output)
        }
        output += "\(pad)};\n"
    }

    /// ` = …` for a property value, empty for an empty one.
    static func value(_ bytes: [UInt8], u64: U64Order) -> String {
        if bytes.isEmpty { return "" }
        if let strings = printableStrings(bytes) {
            return " = " + strings.map { DisplayEscaping.quoted($0) }.joined(separator: ", ")
        }
        let byteList = " = [" + bytes.map { Hex.digits($0, width: 2) }.joined(separator: " ") + "]"
        let cells = bytes.count % 4 == 0
            ? " = <" + stride(from: 0, to: bytes.count, by: 4).map { offset in
                Hex.format(bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            }.joined(separator: " ") + ">"
            : nil
        if bytes.count == 8 {
            switch u64 {
            case .kernelRawLittleEndian:
                let value = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                return byteList + " /* u64 LE \(Hex.format(value)) */"
            case .bigEndianCells:
                let value = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                return (cells ?? byteList) + " /* u64 \(Hex.format(value)) */"
            }
        }
        if let cells { return cells }
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
