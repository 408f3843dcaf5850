import ArgumentParser
import HexFormat

/// A `u64` on the command line: decimal, or hexadecimal with `0x`.
struct U64Argument: ExpressibleByArgument, Sendable {
    /// The value.
    var value: UInt64

    /// Wraps a value.
    init(_ value: UInt64) { self.value = value }

    /// Parses `123` or `0x7b`; anything else is a usage error.
    init?(argument: String) {
        let lower = argument.lowercased()
        let parsed = lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower, radix: 10)
        guard let parsed else { return nil }
        value = parsed
    }

    /// How `--help` shows the default.
    var defaultValueDescription: String { Hex.format(value) }
}

/// What `decode` prints.
enum DecodeFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The manifest schema, canonical JSON (re-encodes to identical bytes).
    case json
    /// A readable tree with every structure and physical address.
    case text
}

/// Which FDT `extract` writes.
enum FDTKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The KHO root FDT (debugfs `kho/out/fdt`).
    case kho
    /// The LUO FDT (debugfs `kho/out/sub_fdts/LUO`).
    case luo
}
