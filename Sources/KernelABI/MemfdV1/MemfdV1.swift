/// The `memfd-v1` file handler's serialized state (mm/memfd_luo.c,
/// include/linux/kho/abi/memfd.h).
///
/// A file's `data` is the physical address of a `memfd_luo_ser`, allocated
/// with `kho_alloc_preserve(40)` (one order-0 page). Its `folios` describe a
/// vmalloc area holding `nr_folios` `memfd_luo_folio_ser` entries, each
/// naming one preserved folio of the file's contents. Seals, `FD_CLOEXEC`
/// and the file name are not part of this generation.
public enum MemfdV1 {
    /// `MEMFD_LUO_FH_COMPATIBLE`.
    public static let compatible = "memfd-v1"
    /// `MEMFD_LUO_FOLIO_DIRTY`.
    public static let folioDirty: UInt64 = 1 << 0
    /// `MEMFD_LUO_FOLIO_UPTODATE`.
    public static let folioUptodate: UInt64 = 1 << 1
}

/// `struct memfd_luo_ser` (40 bytes, packed):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | `pos`: the file position |
/// | 8 | 8 | `size`: `i_size` in bytes |
/// | 16 | 8 | `nr_folios` |
/// | 24 | 16 | `folios`: a ``KHOVmalloc`` |
public struct MemfdLUOSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = 40

    /// The file position.
    public var position: UInt64
    /// The file size in bytes.
    public var fileSize: UInt64
    /// Entries in the folio array.
    public var folioCount: UInt64
    /// Where the folio array lives.
    public var folios: KHOVmalloc

    /// Creates the struct.
    public init(position: UInt64, fileSize: UInt64, folioCount: UInt64, folios: KHOVmalloc) {
        self.position = position
        self.fileSize = fileSize
        self.folioCount = folioCount
        self.folios = folios
    }

    /// Writes the 40 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeLittleEndian(position, at: offset)
        buffer.storeLittleEndian(fileSize, at: offset + 8)
        buffer.storeLittleEndian(folioCount, at: offset + 16)
        folios.encode(into: buffer, at: offset + 24)
    }

    /// Reads the 40 bytes at `offset`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> MemfdLUOSer {
        MemfdLUOSer(position: buffer.loadLittleEndian(UInt64.self, at: offset),
                    fileSize: buffer.loadLittleEndian(UInt64.self, at: offset + 8),
                    folioCount: buffer.loadLittleEndian(UInt64.self, at: offset + 16),
                    folios: KHOVmalloc.decode(buffer, at: offset + 24))
    }
}

/// `struct memfd_luo_folio_ser` (16 bytes, packed): a u64 holding
/// `pfn:52` in bits 51:0 and `flags:12` in bits 63:52, then `u64 index`, the
/// folio's page offset in the file.
public struct MemfdFolioSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = 16
    /// Mask of the 52-bit `pfn` field.
    public static let pfnMask: UInt64 = (1 << 52) - 1

    /// The folio's page frame number.
    public var pfn: UInt64
    /// `MEMFD_LUO_FOLIO_*` flags (12 bits).
    public var flags: UInt64
    /// The folio's page offset in the file.
    public var index: UInt64

    /// Creates an entry.
    public init(pfn: UInt64, flags: UInt64, index: UInt64) {
        self.pfn = pfn
        self.flags = flags
        self.index = index
    }

    /// Writes the 16 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeLittleEndian((pfn & MemfdFolioSer.pfnMask) | (flags << 52), at: offset)
        buffer.storeLittleEndian(index, at: offset + 8)
    }

    /// Reads the 16 bytes at `offset`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> MemfdFolioSer {
        let word = buffer.loadLittleEndian(UInt64.self, at: offset)
        return MemfdFolioSer(pfn: word & pfnMask, flags: word >> 52,
                             index: buffer.loadLittleEndian(UInt64.self, at: offset + 8))
    }
}
