import Foundation
import KHOImage

/// Captured memory made from an image, as QEMU would write it: a sparse raw
/// file (offset = physical address - base) or an ELF core with one
/// `PT_LOAD` per range, so the importer can be checked against the image's
/// own bytes.
public enum SyntheticCapture {
    /// The image's regions as (phys, bytes).
    public static func regions(of imagePath: String) throws -> [(phys: UInt64, bytes: [UInt8])] {
        let memory = try KHOImageMemory(path: imagePath)
        return try memory.ranges.map { range in (range.phys, try memory.bytes(range.phys, count: Int(range.size), what: "test")) }
    }

    /// Writes `pieces` into a sparse raw file whose first byte is `base`:
    /// `size` bytes long, or 1 MiB past the last piece without it.
    public static func raw(_ pieces: [(phys: UInt64, bytes: [UInt8])], base: UInt64, size: UInt64? = nil, to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var end: UInt64 = 0
        for piece in pieces {
            try handle.seek(toOffset: piece.phys - base)
            try handle.write(contentsOf: Data(piece.bytes))
            end = max(end, piece.phys - base + UInt64(piece.bytes.count))
        }
        try handle.truncate(atOffset: size ?? end + (1 << 20))
    }

    /// Raw memory holding the regions of the image at `imagePath` from
    /// `base` (see ``raw(_:base:size:to:)``).
    public static func raw(ofImage imagePath: String, base: UInt64, size: UInt64? = nil, to path: String) throws {
        try raw(regions(of: imagePath), base: base, size: size, to: path)
    }

    /// An ELF64 little-endian core with a `PT_NOTE` and one `PT_LOAD` per
    /// segment, in the order given (`type` and `elfClass` bend the header
    /// for error tests).
    public static func elf(_ segments: [(phys: UInt64, bytes: [UInt8])], type: UInt16 = 4, elfClass: UInt8 = 2) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
            withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
        }
        out[0..<4] = [0x7f, 0x45, 0x4c, 0x46]
        out[4] = elfClass; out[5] = 1; out[6] = 1
        put(type, at: 16, in: &out)
        put(UInt16(62), at: 18, in: &out)           // EM_X86_64
        put(UInt32(1), at: 20, in: &out)
        put(UInt64(64), at: 32, in: &out)           // e_phoff
        put(UInt16(64), at: 52, in: &out)           // e_ehsize
        put(UInt16(56), at: 54, in: &out)
        put(UInt16(segments.count + 1), at: 56, in: &out)
        let headersEnd = 64 + 56 * (segments.count + 1)
        var table = [UInt8](repeating: 0, count: 56 * (segments.count + 1))
        put(UInt32(4), at: 0, in: &table)           // PT_NOTE, empty
        put(UInt64(headersEnd), at: 8, in: &table)
        var offset = UInt64((headersEnd + 4095) & ~4095)
        var data: [UInt8] = []
        for (index, segment) in segments.enumerated() {
            let base = 56 * (index + 1)
            put(UInt32(1), at: base, in: &table)
            put(offset, at: base + 8, in: &table)
            put(0xffff_8880_0000_0000 + segment.phys, at: base + 16, in: &table)
            put(segment.phys, at: base + 24, in: &table)
            put(UInt64(segment.bytes.count), at: base + 32, in: &table)
            put(UInt64(segment.bytes.count), at: base + 40, in: &table)
            data += segment.bytes
            offset += UInt64(segment.bytes.count)
        }
        out += table
        out += [UInt8](repeating: 0, count: ((headersEnd + 4095) & ~4095) - headersEnd)
        return out + data
    }
}
