import ABIGeneration

/// The `memfd-v2` file handler's serialized state (Linux v7.1:
/// mm/memfd_luo.c, include/linux/kho/abi/memfd.h).
///
/// As `memfd-v1`, with the file's seals and a `flags` word between `size`
/// and `nr_folios`. The folio entries (``MemfdFolioSer``) and the vmalloc
/// descriptor (``KHOVmalloc``) are unchanged.
public enum MemfdV2 {
    /// `MEMFD_LUO_FH_COMPATIBLE`.
    public static let compatible = MemfdFormat.memfdV2.compatible
    /// `MEMFD_LUO_ALL_SEALS`: SEAL | SHRINK | GROW | WRITE | FUTURE_WRITE | EXEC.
    public static let allSeals = MemfdFormat.memfdV2Seals
    /// `F_SEAL_SEAL`: what a memfd made without `MFD_ALLOW_SEALING` carries.
    public static let sealSeal: UInt32 = 0x1
}

/// `struct memfd_luo_ser` of `memfd-v2` (48 bytes, packed):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | `pos`: the file position |
/// | 8 | 8 | `size`: `i_size` in bytes |
/// | 16 | 4 | `seals`: `F_GET_SEALS`, within `MEMFD_LUO_ALL_SEALS` |
/// | 20 | 4 | `flags`: 0 (unused bits must be 0) |
/// | 24 | 8 | `nr_folios` |
/// | 32 | 16 | `folios`: a ``KHOVmalloc`` |
public struct MemfdV2LUOSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = MemfdFormat.memfdV2.serSize

    /// The file position.
    public var position: UInt64
    /// The file size in bytes.
    public var fileSize: UInt64
    /// The seals.
    public var seals: UInt32
    /// `flags`.
    public var flags: UInt32
    /// Entries in the folio array.
    public var folioCount: UInt64
    /// Where the folio array lives.
    public var folios: KHOVmalloc

    /// Creates the struct.
    public init(position: UInt64, fileSize: UInt64, seals: UInt32, flags: UInt32 = 0, folioCount: UInt64, folios: KHOVmalloc) {
        self.position = position
        self.fileSize = fileSize
        self.seals = seals
        self.flags = flags
        self.folioCount = folioCount
        self.folios = folios
    }

    /// Writes the 48 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeLittleEndian(position, at: offset)
        buffer.storeLittleEndian(fileSize, at: offset + 8)
        buffer.storeLittleEndian(seals, at: offset + 16)
        buffer.storeLittleEndian(flags, at: offset + 20)
        buffer.storeLittleEndian(folioCount, at: offset + 24)
        folios.encode(into: buffer, at: offset + 32)
    }

    /// Reads the 48 bytes at `offset`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> MemfdV2LUOSer {
        MemfdV2LUOSer(position: buffer.loadLittleEndian(UInt64.self, at: offset),
                      fileSize: buffer.loadLittleEndian(UInt64.self, at: offset + 8),
                      seals: buffer.loadLittleEndian(UInt32.self, at: offset + 16),
                      flags: buffer.loadLittleEndian(UInt32.self, at: offset + 20),
                      folioCount: buffer.loadLittleEndian(UInt64.self, at: offset + 24),
                      folios: KHOVmalloc.decode(buffer, at: offset + 32))
    }
}
