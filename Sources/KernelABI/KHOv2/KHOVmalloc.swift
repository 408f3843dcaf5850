/// `struct kho_vmalloc` (include/linux/kho/abi/kexec_handover.h): how KHO
/// hands over a vmalloc area, as a linked list of one-page chunks listing the
/// physical address of every `1 << order`-page piece.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | `first`: physical address of the first chunk |
/// | 8 | 4 | `total_pages` |
/// | 12 | 2 | `flags` (`KHO_VMALLOC_ALLOC` = 1, `KHO_VMALLOC_HUGE_VMAP` = 2) |
/// | 14 | 2 | `order` |
public struct KHOVmalloc: Equatable, Sendable {
    /// Encoded size: 16 bytes.
    public static let size = 16
    /// `KHO_VMALLOC_ALLOC`: the area came from `vmalloc` (`VM_ALLOC`).
    public static let flagAlloc: UInt16 = 0x0001
    /// `KHO_VMALLOC_HUGE_VMAP`: `VM_ALLOW_HUGE_VMAP`.
    public static let flagHugeVmap: UInt16 = 0x0002

    /// Physical address of the first `kho_vmalloc_chunk`, 0 for none.
    public var first: UInt64
    /// Pages in the area.
    public var totalPages: UInt32
    /// KHO's vmalloc flags.
    public var flags: UInt16
    /// The order of each contiguous piece.
    public var order: UInt16

    /// Creates a descriptor.
    public init(first: UInt64, totalPages: UInt32, flags: UInt16, order: UInt16) {
        self.first = first
        self.totalPages = totalPages
        self.flags = flags
        self.order = order
    }

    /// Writes the 16 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeLittleEndian(first, at: offset)
        buffer.storeLittleEndian(totalPages, at: offset + 8)
        buffer.storeLittleEndian(flags, at: offset + 12)
        buffer.storeLittleEndian(order, at: offset + 14)
    }

    /// Reads the 16 bytes at `offset`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> KHOVmalloc {
        KHOVmalloc(first: buffer.loadLittleEndian(UInt64.self, at: offset),
                   totalPages: buffer.loadLittleEndian(UInt32.self, at: offset + 8),
                   flags: buffer.loadLittleEndian(UInt16.self, at: offset + 12),
                   order: buffer.loadLittleEndian(UInt16.self, at: offset + 14))
    }
}

/// `struct kho_vmalloc_chunk`: one page, `next` at offset 0 and then
/// `KHO_VMALLOC_SIZE` = 511 physical addresses, zero-terminated when fewer.
public enum KHOVmallocChunk {
    /// Offset of the `next` pointer.
    public static let nextOffset = 0
    /// Offset of `phys[0]`.
    public static let physOffset = 8
    /// `KHO_VMALLOC_SIZE`: 511 entries.
    public static let capacity = (PageGeometry.pageSize - 8) / 8
}
