import HexFormat
/// The `kho-v1` preserved-memory map (Linux v6.19, v7.0:
/// kernel/liveupdate/kexec_handover.c `__kho_preserve_order`,
/// `kho_mem_serialize`, `kho_update_memory_map`, `kho_mem_deserialize`).
///
/// While blocks are preserved, the kernel keeps one sparse array of bitmap
/// pages per order (`struct kho_mem_phys_bits`, one page, 32768 bits): the
/// block of `1 << order` pages at `phys` is bit `(pfn >> order) % 32768` of
/// the bitmap with index `(pfn >> order) / 32768`, which is allocated
/// (zeroed, never preserved) the first time a block lands in its range.
/// `kho_finalize` then writes a linked list of chunk pages (also never
/// preserved), one chunk per order in ascending order, a new chunk whenever
/// one holds 255 bitmaps:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | `hdr.next`: the next chunk, 0 in the last |
/// | 8 | 4 | `hdr.order` |
/// | 12 | 4 | `hdr.num_elms`: entries used (at most 255) |
/// | 16 + 16 i | 8 | `bitmaps[i].phys_start`: `(index * 32768) << (order + 12)` |
/// | 24 + 16 i | 8 | `bitmaps[i].bitmap`: the bitmap page |
///
/// Bit `b` of a bitmap (bit `b % 64` of little-endian u64 word `b / 64`)
/// marks the block at `phys_start + (b << (order + 12))`.
public enum KHOMemChunkList {
    /// `sizeof(struct khoser_mem_chunk_hdr)`.
    public static let headerSize = 16
    /// `sizeof(struct khoser_mem_bitmap_ptr)`.
    public static let entrySize = 16
    /// `KHOSER_BITMAP_SIZE`: (4096 - 16) / 16 = 255 entries per chunk.
    public static let capacity = (PageGeometry.pageSize - headerSize) / entrySize
    /// `PRESERVE_BITS`: bits of one bitmap page.
    public static let bitsPerBitmap = PageGeometry.pageSize * 8
    /// Offsets in the header.
    public static let nextOffset = 0, orderOffset = 8, countOffset = 12

    /// The first address a bitmap of `order` with `index` covers.
    public static func physStart(index: UInt64, order: Int) -> UInt64 {
        (index * UInt64(bitsPerBitmap)) << UInt64(order + PageGeometry.pageShift)
    }

    /// Bytes one bitmap of `order` covers.
    public static func span(order: Int) -> UInt64 {
        UInt64(bitsPerBitmap) << UInt64(order + PageGeometry.pageShift)
    }

    /// The outgoing kernel's tracker (`struct kho_mem_track`): per order,
    /// the bitmap page of each index, allocated when first needed.
    public struct Tracker: Sendable {
        private var orders: [Int: [UInt64: UInt64]] = [:]

        /// An empty tracker.
        public init() {}

        /// Whether nothing was ever preserved.
        public var isEmpty: Bool { orders.isEmpty }

        /// `__kho_preserve_order`: sets the block's bit, allocating its
        /// bitmap page (zeroed, not preserved) if this is its first block.
        public mutating func add<Memory: RadixTreeMemory>(phys: UInt64, order: Int, memory: inout Memory) {
            let high = (phys >> UInt64(PageGeometry.pageShift)) >> UInt64(order)
            let index = high / UInt64(bitsPerBitmap)
            let page: UInt64
            if let existing = orders[order]?[index] {
                page = existing
            } else {
                page = memory.allocateZeroedPage()
                orders[order, default: [:]][index] = page
            }
            memory.setBit(Int(high % UInt64(bitsPerBitmap)), inPageAt: page)
        }

        /// `kho_mem_serialize`: one chunk per order, ascending, a new one
        /// when a chunk is full; bitmaps in ascending index. Returns the
        /// first chunk's address (0 when nothing was preserved), which
        /// `kho_update_memory_map` writes into the root FDT.
        public func serialize<Memory: RadixTreeMemory>(memory: inout Memory) -> UInt64 {
            var first: UInt64 = 0
            var chunk: UInt64 = 0
            var used = 0
            func newChunk(order: Int) {
                let page = memory.allocateZeroedPage()
                memory.storeU64(UInt64(UInt32(order)), at: page + UInt64(orderOffset))
                if chunk != 0 { memory.storeU64(page, at: chunk + UInt64(nextOffset)) }
                if first == 0 { first = page }
                chunk = page
                used = 0
            }
            for order in orders.keys.sorted() {
                newChunk(order: order)
                for (index, bitmap) in orders[order]!.sorted(by: { $0.key < $1.key }) {
                    if used == capacity { newChunk(order: order) }
                    let entry = chunk + UInt64(headerSize + used * entrySize)
                    memory.storeU64(physStart(index: index, order: order), at: entry)
                    memory.storeU64(bitmap, at: entry + 8)
                    used += 1
                    // order (u32) and num_elms (u32) share one u64.
                    memory.storeU64(UInt64(UInt32(order)) | UInt64(used) << 32, at: chunk + UInt64(orderOffset))
                }
            }
            return first
        }
    }

    /// What a walk saw besides the blocks: the map's own pages.
    public struct Pages: Equatable, Sendable {
        /// Chunk pages in list order.
        public var chunks: [UInt64] = []
        /// Bitmap pages in list order.
        public var bitmaps: [UInt64] = []

        /// Nothing seen yet.
        public init() {}
    }

    /// Walks the list from `first` as `kho_mem_deserialize` does, calling
    /// `visit` for every set bit, without trusting a byte: at most
    /// `maxChunks` chunks, no chunk twice (a cycle), `num_elms` at most 255,
    /// orders at most `MAX_PAGE_ORDER`, every chunk and bitmap a page of
    /// `pages` (read with level 1 for chunks and 0 for bitmaps, so a source
    /// may reuse one buffer for each), each `phys_start` a multiple of its
    /// bitmap's span and inside the 52-bit physical address space.
    @discardableResult
    public static func walk<Source: RadixTreePageSource>(
        first: UInt64, maxChunks: Int, pages: Source,
        visit: (UInt64, Int) throws(ABIError) -> Void
    ) throws(ABIError) -> Pages {
        var seen = Pages()
        var visited: Set<UInt64> = []
        var phys = first
        while phys != 0 {
            guard visited.insert(phys).inserted else {
                throw .memoryChunk(phys: phys, problem: "the list comes back to this chunk (a cycle)")
            }
            guard visited.count <= maxChunks else {
                throw .memoryChunk(phys: phys, problem: "the list has more than \(maxChunks) chunks, more than there are pages")
            }
            guard PageGeometry.isPageAligned(phys) else {
                throw .memoryChunk(phys: phys, problem: "is not page aligned")
            }
            let chunk: UnsafeRawBufferPointer
            do { chunk = try pages.radixPage(at: phys, level: 1) } catch {
                throw .memoryChunk(phys: phys, problem: "the chunk page is not inside the image")
            }
            seen.chunks.append(phys)
            let order = chunk.loadLittleEndian(UInt32.self, at: orderOffset)
            let count = chunk.loadLittleEndian(UInt32.self, at: countOffset)
            guard count <= UInt32(capacity) else {
                throw .memoryChunk(phys: phys, problem: "num_elms is \(count), more than the \(capacity) entries a chunk holds")
            }
            guard order <= UInt32(PageGeometry.maxPageOrder) else {
                throw .memoryChunk(phys: phys, problem: "order \(order) is above the kernel's maximum (MAX_PAGE_ORDER \(PageGeometry.maxPageOrder))")
            }
            let next = chunk.loadLittleEndian(UInt64.self, at: nextOffset)
            var entries: [(start: UInt64, bitmap: UInt64)] = []
            for slot in 0..<Int(count) {
                let offset = headerSize + slot * entrySize
                entries.append((chunk.loadLittleEndian(UInt64.self, at: offset),
                                chunk.loadLittleEndian(UInt64.self, at: offset + 8)))
            }
            let shift = UInt64(Int(order) + PageGeometry.pageShift)
            let span = span(order: Int(order))
            for (slot, entry) in entries.enumerated() {
                guard entry.start % span == 0, entry.start < (1 << 52) else {
                    throw .memoryChunk(phys: phys, problem: "bitmap \(slot) starts at \(Hex.format(entry.start)), "
                        + "not a multiple of the \(Hex.format(span)) bytes an order-\(order) bitmap covers below 2^52")
                }
                guard PageGeometry.isPageAligned(entry.bitmap) else {
                    throw .memoryChunk(phys: phys, problem: "bitmap \(slot) at \(Hex.format(entry.bitmap)) is not page aligned")
                }
                let bitmap: UnsafeRawBufferPointer
                do { bitmap = try pages.radixPage(at: entry.bitmap, level: 0) } catch {
                    throw .memoryChunk(phys: phys, problem: "bitmap \(slot) at \(Hex.format(entry.bitmap)) is not inside the image")
                }
                seen.bitmaps.append(entry.bitmap)
                for word in 0..<(PageGeometry.pageSize / 8) {
                    var bits = bitmap.loadLittleEndian(UInt64.self, at: word * 8)
                    while bits != 0 {
                        let bit = UInt64(word * 64 + bits.trailingZeroBitCount)
                        bits &= bits - 1
                        try visit(entry.start + (bit << shift), Int(order))
                    }
                }
            }
            phys = next
        }
        return seen
    }
}
