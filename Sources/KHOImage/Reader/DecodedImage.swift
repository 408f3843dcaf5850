import HandoverModel
import KernelABI

/// Everything the reader recovered from a KHO image.
public struct DecodedImage: Sendable {
    /// The handover as a model: what the writer would need to produce the
    /// same image again. ``sessions`` is the reader's join of it with the
    /// layout, as read: changing `state` does not change that join.
    public var state: HandoverState
    /// Where each part was found.
    public var layout: HandoverLayout
    /// The KHO root FDT (`totalsize` bytes), as debugfs shows it.
    public var khoRootFDT: [UInt8]
    /// The LUO FDT (`totalsize` bytes), as debugfs shows it; in `luo-v5`
    /// (v7.2+) the 32-byte `struct luo_ser` blob registered as `LUO`.
    public var luoFDT: [UInt8]
    /// Subtrees of the KHO root FDT other than `LUO`.
    public var otherSubtrees: [KHOv2RootFDT.Subtree]
    /// Preserved blocks that no LUO structure refers to.
    public var unreferencedBlocks: [PreservedBlock]
    /// What the incoming kernel accepts but no outgoing kernel writes
    /// (see ``ReaderWarning``), in the order the reader met them.
    public var warnings: [ReaderWarning] = []
    /// Every session as the reader found it, in image order: each file's
    /// record joined to its `luo_file_ser`, its raw `data` and its handler's
    /// structures. The one place the model and the layout meet.
    public let sessions: [DecodedSession]
    /// The image's physical memory over the one mapping of its file: what
    /// a printer or a handler reads instead of opening the file again.
    public let memory: ImageMemory
    /// The image index FDT (`totalsize` bytes) the file starts with.
    public let index: [UInt8]

    /// The first physical address the image holds (its lowest region):
    /// the base the writer allocated from, for an image it wrote.
    public var baseAddress: UInt64 { memory.regions.first?.phys ?? 0 }
}

/// One session of a decoded image: its entry and its files, in order.
public struct DecodedSession: Sendable {
    /// The session's name.
    public let name: SessionName
    /// Where its `luo_session_ser` entry and file array (or file blocks) sit.
    public let layout: SessionLayout
    /// Its files in image order, each joined when it is read.
    public let files: DecodedFiles
}

/// One session's files as a decoded image holds them: the records, the
/// session's layout and the memfd structures of the files retrieved as
/// memfds, joined into a ``DecodedFile`` when one is read. Nothing is
/// stored per file beyond what the model and the layout already hold.
public struct DecodedFiles: RandomAccessCollection, Sendable {
    /// The session's records, in image order.
    private let records: [FileRecord]
    /// The session's layout: each file's `data` and entry address.
    private let layout: SessionLayout
    /// The handler structures of the files retrieved as memfds, by slot.
    private let memfds: [Int: MemfdStructures]

    /// Joins `records` to `layout` (as many `fileData` as records) and to
    /// `memfds`, the walked structures by slot.
    init(records: [FileRecord], layout: SessionLayout, memfds: [Int: MemfdStructures]) {
        assert(records.count == layout.fileData.count, "one data per record")
        self.records = records
        self.layout = layout
        self.memfds = memfds
    }

    /// The first slot, 0.
    public var startIndex: Int { 0 }
    /// One past the last slot: the session's file count.
    public var endIndex: Int { records.count }

    /// File `slot`, joined to its `luo_file_ser` address, raw `data` and
    /// memfd structures.
    public subscript(slot: Int) -> DecodedFile {
        DecodedFile(record: records[slot], entryPhys: layout.fileEntryPhys(slot), data: layout.fileData[slot],
                    memfd: memfds.isEmpty ? nil : memfds[slot])
    }
}

/// One file of a decoded image: the model's record joined to where the
/// kernel's structures for it sit.
public struct DecodedFile: Sendable {
    /// The file as the model holds it (token, compatible, content).
    public let record: FileRecord
    /// Its `luo_file_ser` entry.
    public let entryPhys: UInt64
    /// The raw `data` of its `luo_file_ser`, as the handler stored it.
    public let data: UInt64
    /// The memfd handler's structures behind `data`, when the reader
    /// retrieved the file as a memfd (`record.content` is `.memfd`).
    public let memfd: MemfdStructures?
}

/// A memfd file's kernel structures (`memfd-v1` or `memfd-v2`) as
/// `memfd_luo_retrieve` walked them: `memfd_luo_ser`, the `kho_vmalloc`
/// chunk list and the folio array.
public struct MemfdStructures: Sendable {
    /// One `kho_vmalloc_chunk` and the folio-array pieces it lists.
    public struct Chunk: Sendable, Equatable {
        /// The chunk's physical address.
        public let phys: UInt64
        /// The first page of each piece of the folio array it lists.
        public let pages: [UInt64]
    }

    /// Where the `memfd_luo_ser` sits (the file's `data`).
    public let serPhys: UInt64
    /// The `memfd_luo_ser` fields both handlers share.
    public let ser: MemfdLUOSer
    /// `memfd-v2`'s seals and flags; `nil` for `memfd-v1`.
    public let sealsAndFlags: (seals: UInt32, flags: UInt32)?
    /// The chunk list, in order.
    public let chunks: [Chunk]
    /// The folio array's entries, in order (`nr_folios` of them, empty ones included).
    public let folios: [MemfdFolioSer]
}

/// What an input file turned out to be.
public enum HandoverInput: Sendable {
    /// A complete KHO image.
    case image(DecodedImage)
    /// A bare KHO root FDT (debugfs `kho/out/fdt`): addresses only, and
    /// the FDT's bytes (`totalsize` of them, as read).
    case khoRootFDT(KHOv2RootFDT.Contents, bytes: [UInt8])
    /// A bare LUO FDT (debugfs `kho/out/sub_fdts/LUO`): addresses only, and
    /// the FDT's bytes (`totalsize` of them, as read).
    case luoFDT(LUOv1FDT.Contents, bytes: [UInt8])
    /// A bare `luo-v5` `struct luo_ser` (debugfs `kho/*/sub_fdts/LUO` of
    /// v7.2+, 32 bytes): the numbers and addresses it holds.
    case luoSer(LUOSer)
}
