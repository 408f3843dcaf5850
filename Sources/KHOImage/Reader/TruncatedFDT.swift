import FDT

/// Recognises an FDT cut short: a valid header whose `totalsize` is larger
/// than the bytes present. debugfs `kho/out/fdt` on a running kernel is
/// such a prefix of the KHO root FDT (its size is fixed when KHO registers
/// it at boot, before LUO adds its subtree), so the root's compatible is
/// looked for in the prefix to say so.
enum TruncatedFDT {
    /// The error for `bytes` when they are an FDT cut short, or `nil`.
    static func recognize(_ bytes: UnsafeRawBufferPointer) -> KHOImageError? {
        guard bytes.count >= FDTBlob.headerSize,
              ByteOrderCoding.readBigEndian(UInt32.self, bytes, at: 0) == FDTBlob.magic,
              ByteOrderCoding.readBigEndian(UInt32.self, bytes, at: 20) >= 16 else { return nil }
        let total = Int(ByteOrderCoding.readBigEndian(UInt32.self, bytes, at: 4))
        guard total > bytes.count else { return nil }
        return .truncatedFDT(compatible: handoverCompatible(in: bytes), totalSize: total, available: bytes.count)
    }

    /// The first NUL-terminated `kho-v…` or `luo-v…` string at a 4-byte
    /// boundary (where property values start) in `bytes`.
    static func handoverCompatible(in bytes: UnsafeRawBufferPointer) -> String? {
        let prefixes = [Array("kho-v".utf8), Array("luo-v".utf8)]
        for start in stride(from: 0, to: bytes.count, by: 4) {
            let window = bytes[start..<min(bytes.count, start + 16)]
            guard prefixes.contains(where: { window.starts(with: $0) }), let end = window.firstIndex(of: 0) else { continue }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        return nil
    }
}
