/// A contiguous range of physical memory stored in the image file.
public struct ImageRegion: Equatable, Sendable {
    /// The first physical address.
    public var phys: UInt64
    /// The length in bytes, a multiple of the page size.
    public var size: UInt64
    /// Where the region's bytes start in the file.
    public var fileOffset: UInt64

    /// Creates a region.
    public init(phys: UInt64, size: UInt64, fileOffset: UInt64) {
        self.phys = phys
        self.size = size
        self.fileOffset = fileOffset
    }

    /// One past the last physical address.
    public var end: UInt64 { phys + size }

    /// Where the byte at `phys` (inside the region) sits in the file: the
    /// one translation from a physical address to a file offset.
    public func fileOffset(of phys: UInt64) -> UInt64 { fileOffset + (phys - self.phys) }
}

extension Array where Element == ImageRegion {
    /// The index of the region holding `phys`, or `nil`; the regions must
    /// be ascending and non-overlapping (a binary search).
    func runIndex(containing phys: UInt64) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].end <= phys { low = middle + 1 } else { high = middle }
        }
        guard low < count, self[low].phys <= phys else { return nil }
        return low
    }
}

/// A block of `1 << order` pages the preserved-memory map lists.
public struct PreservedBlock: Equatable, Hashable, Sendable {
    /// The block's physical address.
    public var phys: UInt64
    /// The block's order.
    public var order: Int

    /// Creates a block.
    public init(phys: UInt64, order: Int) {
        self.phys = phys
        self.order = order
    }

    /// The block's size in bytes.
    public var size: UInt64 { UInt64(4096) << UInt64(order) }
}

/// Where everything of one handover sits in physical memory: what the writer
/// chose and what the reader found, for printing and for cross-checks.
public struct HandoverLayout: Equatable, Sendable {
    /// The image's regions in ascending physical order.
    public var regions: [ImageRegion]
    /// The KHO root FDT.
    public var khoRootFDTPhys: UInt64
    /// The radix tree's root node (`preserved-memory-map`).
    public var memoryMapPhys: UInt64
    /// The LUO FDT (the `LUO` subtree's `preserved-data`).
    public var luoFDTPhys: UInt64
    /// `struct luo_session_header_ser`.
    public var sessionHeaderPhys: UInt64
    /// `struct luo_flb_header_ser`.
    public var flbHeaderPhys: UInt64
    /// Every preserved block in ascending physical order.
    public var preservedBlocks: [PreservedBlock]
    /// Per session, in order.
    public var sessions: [SessionLayout]
    /// The `kexec-metadata` block (`kho-v3`), 0 when the generation has none.
    public var kexecMetadataPhys: UInt64
    /// `luo-v5`: every block of the session chain, in chain order (the
    /// first is `sessionHeaderPhys`); empty in `luo-v1`, whose session
    /// block is one folio.
    public var sessionBlocks: [UInt64]

    /// Creates a layout.
    public init(regions: [ImageRegion], khoRootFDTPhys: UInt64, memoryMapPhys: UInt64, luoFDTPhys: UInt64,
                sessionHeaderPhys: UInt64, flbHeaderPhys: UInt64, preservedBlocks: [PreservedBlock],
                sessions: [SessionLayout], kexecMetadataPhys: UInt64 = 0, sessionBlocks: [UInt64] = []) {
        self.regions = regions
        self.khoRootFDTPhys = khoRootFDTPhys
        self.memoryMapPhys = memoryMapPhys
        self.luoFDTPhys = luoFDTPhys
        self.sessionHeaderPhys = sessionHeaderPhys
        self.flbHeaderPhys = flbHeaderPhys
        self.preservedBlocks = preservedBlocks
        self.sessions = sessions
        self.kexecMetadataPhys = kexecMetadataPhys
        self.sessionBlocks = sessionBlocks
    }

    /// The number of preserved pages.
    public var preservedPages: Int { preservedBlocks.reduce(0) { $0 + (1 << $1.order) } }
}

/// Where one session's records sit.
public struct SessionLayout: Equatable, Sendable {
    /// Its `luo_session_ser` entry.
    public var entryPhys: UInt64
    /// Its file array (`file_set_ser.files`), 0 when it has no files.
    public var filesPhys: UInt64
    /// Each file's `data`, in order.
    public var fileData: [UInt64]
    /// `luo-v5`: every block of the file chain, in chain order (the first
    /// is `filesPhys`); empty in `luo-v1`, whose file array is one folio.
    public var fileBlocks: [UInt64]

    /// Creates a session layout.
    public init(entryPhys: UInt64, filesPhys: UInt64, fileData: [UInt64], fileBlocks: [UInt64] = []) {
        self.entryPhys = entryPhys
        self.filesPhys = filesPhys
        self.fileData = fileData
        self.fileBlocks = fileBlocks
    }

    /// The physical address of file `slot`'s `luo_file_ser`: in the file
    /// array (`luo-v1`), or in its block of the chain (`luo-v5`).
    public func fileEntryPhys(_ slot: Int) -> UInt64 {
        guard !fileBlocks.isEmpty else { return filesPhys + UInt64(slot * 64) }
        let perBlock = (4096 - 16) / 64
        return fileBlocks[slot / perBlock] + 16 + UInt64((slot % perBlock) * 64)
    }
}
