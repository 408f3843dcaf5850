import ABIGeneration

/// Names, sizes and limits of LUO generation `luo-v5` (Linux v7.2, v7.3:
/// include/linux/kho/abi/luo.h, kernel/liveupdate/luo_core.c,
/// luo_session.c, luo_file.c, luo_flb.c).
///
/// LUO's state is one packed ``LUOSer`` registered as KHO subtree `LUO`
/// with `blob-size` 32. Sessions are 80-byte `luo_session_ser` entries
/// (``LUOSessionSer``, the bytes `luo-session-v2` had) in a chain of
/// ``KHOBlock``s; each session's files are 64-byte `luo_file_ser` entries
/// (``LUOFileSer``) in a chain of their own; the FLB block is `luo-flb-v1`'s
/// one page (``LUOFLBHeaderSer`` + ``LUOFLBSer``).
public enum LUOv5 {
    /// `LUO_KHO_ENTRY_NAME`.
    public static let subtreeName = "LUO"
    /// `LUO_ABI_COMPATIBLE`.
    public static let compatible = KernelGeneration.linux7_3.luo.compatible
    /// `LUO_ABI_COMPAT_LEN`: `ALIGN(sizeof("luo-v5"), 8)`.
    public static let compatibleLength = 8
    /// Sessions per block: (4096 - 16) / 80 = 51.
    public static let sessionsPerBlock = KHOBlock.entriesPerBlock(entrySize: LUOSessionSer.size)
    /// Files per block: (4096 - 16) / 64 = 63.
    public static let filesPerBlock = KHOBlock.entriesPerBlock(entrySize: LUOFileSer.size)
    /// `LUO_FLB_PGCNT`: the FLB block is still one page.
    public static let flbBlockPages = 1
    /// `LUO_FLB_MAX`: 63 FLB entries.
    public static let maxFLBs = (flbBlockPages * PageGeometry.pageSize - LUOFLBHeaderSer.size) / LUOFLBSer.size
    /// Sessions a chain of `KHO_MAX_BLOCKS` blocks holds.
    public static let maxSessions = KHOBlock.maxBlocks * sessionsPerBlock
    /// Files of one session a chain of `KHO_MAX_BLOCKS` blocks holds.
    public static let maxFilesPerSession = KHOBlock.maxBlocks * filesPerBlock
}

/// `struct luo_ser` (32 bytes, packed), the whole `LUO` subtree blob:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | `compatible`: `"luo-v5"`, NUL, zero padded |
/// | 8 | 8 | `liveupdate_num`: the incoming kernel's number + 1 |
/// | 16 | 8 | `sessions_pa`: first session block, 0 when there is no session |
/// | 24 | 8 | `flbs_pa`: the FLB block (`struct luo_flb_header_ser`) |
public struct LUOSer: Equatable, Sendable {
    /// Encoded size (and the subtree's `blob-size`).
    public static let size = 32
    /// Offset of `liveupdate_num`.
    public static let liveupdateNumberOffset = 8
    /// Offset of `sessions_pa`.
    public static let sessionsOffset = 16
    /// Offset of `flbs_pa`.
    public static let flbsOffset = 24

    /// `compatible`.
    public var compatible: String
    /// `liveupdate_num`.
    public var liveupdateNumber: UInt64
    /// `sessions_pa`.
    public var sessionsPhys: UInt64
    /// `flbs_pa`.
    public var flbsPhys: UInt64

    /// Creates the struct.
    public init(compatible: String = LUOv5.compatible, liveupdateNumber: UInt64, sessionsPhys: UInt64, flbsPhys: UInt64) {
        self.compatible = compatible
        self.liveupdateNumber = liveupdateNumber
        self.sessionsPhys = sessionsPhys
        self.flbsPhys = flbsPhys
    }

    /// Writes the 32 bytes at `offset` (`strscpy` of the compatible into a
    /// zeroed block, then the three u64).
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) {
        FixedCString.encode(compatible, into: UnsafeMutableRawBufferPointer(
            start: buffer.baseAddress! + offset, count: LUOv5.compatibleLength))
        buffer.storeLittleEndian(liveupdateNumber, at: offset + Self.liveupdateNumberOffset)
        buffer.storeLittleEndian(sessionsPhys, at: offset + Self.sessionsOffset)
        buffer.storeLittleEndian(flbsPhys, at: offset + Self.flbsOffset)
    }

    /// The 32 bytes as an array.
    public var bytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { encode(into: $0) }
        return bytes
    }

    /// Reads the struct with `luo_early_startup`'s check: the first 8 bytes
    /// compared with `strncmp` against `"luo-v5"` (so the bytes after the
    /// NUL are ignored, as the kernel ignores them). A compatible naming
    /// another LUO generation is `unsupportedGeneration`, anything else
    /// `wrongCompatible`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int = 0) throws(ABIError) -> LUOSer {
        precondition(offset >= 0 && offset + size <= buffer.count, "luo_ser outside the buffer")
        let field = buffer[offset..<(offset + LUOv5.compatibleLength)]
        let text = field.prefix { $0 != 0 }
        let found = String(decoding: text, as: UTF8.self)
        guard found == LUOv5.compatible else {
            if KnownGenerations.luoRoot.contains(found) {
                throw .unsupportedGeneration(node: LUOv5.subtreeName, found: found, supported: LUOv5.compatible)
            }
            let shown = text.count == field.count || String(validating: Array(text), as: UTF8.self) == nil
                ? field.map { String(format2: $0) }.joined(separator: " ") : found
            throw .wrongCompatible(node: "\(LUOv5.subtreeName) luo_ser", expected: LUOv5.compatible, found: shown)
        }
        return LUOSer(compatible: found,
                      liveupdateNumber: buffer.loadLittleEndian(UInt64.self, at: offset + liveupdateNumberOffset),
                      sessionsPhys: buffer.loadLittleEndian(UInt64.self, at: offset + sessionsOffset),
                      flbsPhys: buffer.loadLittleEndian(UInt64.self, at: offset + flbsOffset))
    }
}

extension String {
    /// Two lower-case hex digits of `byte`.
    fileprivate init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
