import FDT
import HandoverModel
import KernelABI
#if canImport(Glibc)
import Glibc
#endif

/// The outgoing kernel's physical memory as the writer lays it out: a bump
/// allocator from a base address, handing out naturally aligned blocks of
/// `1 << order` pages the way the buddy allocator would, plus the bytes of
/// every page allocated so far.
///
/// Allocation is strictly ascending, so the same sequence of requests always
/// gives the same addresses. Pages skipped to align a block are never
/// allocated and never appear in the image.
struct PhysicalArena: RadixTreeMemory {
    /// The first physical address handed out.
    let base: UInt64
    /// Bytes of the address range `base ..< base + storage.count`.
    private(set) var storage = ArenaStorage()
    /// Allocated blocks in allocation (and address) order.
    private(set) var allocations: [(phys: UInt64, pages: Int)] = []
    /// Blocks preserved through KHO, in preservation order.
    private(set) var preserved: [(phys: UInt64, order: Int)] = []
    /// The radix tree's root node, once allocated.
    private(set) var radixRoot: UInt64 = 0
    /// Ranges whose bytes come from a source when the image is written
    /// (a memfd's contents), in ascending address order: the arena's own
    /// bytes there are never touched, so they cost no memory.
    private(set) var placed: [PlacedContent] = []
    /// `kho-v1`: the per-order bitmaps, used instead of the radix tree.
    private var bitmaps: KHOMemChunkList.Tracker?

    init(base: UInt64) {
        self.base = base
        // Every image makes a dozen blocks before its first session.
        allocations.reserveCapacity(32)
        preserved.reserveCapacity(32)
    }

    /// The next free address.
    var top: UInt64 { base + UInt64(storage.count) }

    /// Allocates a zeroed, naturally aligned block of `1 << order` pages.
    mutating func allocate(order: Int) -> UInt64 {
        allocate(order: order, zeroed: true)
    }

    /// Allocates a naturally aligned block of `1 << order` pages; with
    /// `zeroed` false its bytes are left for the caller to overwrite in
    /// full (the writer then writes each byte of it once). Pages skipped for
    /// alignment are not zeroed: they are no allocation, so no region of
    /// the image holds them and no byte of them is written out.
    mutating func allocate(order: Int, zeroed: Bool) -> UInt64 {
        let blockBytes = UInt64(PageGeometry.pageSize) << UInt64(order)
        let phys = (top + blockBytes - 1) & ~(blockBytes - 1)
        storage.extend(to: Int(phys - base), zeroed: false)
        storage.extend(to: Int(phys - base) + Int(blockBytes), zeroed: zeroed)
        allocations.append((phys, 1 << order))
        return phys
    }

    /// Makes room for `bytes` more bytes at once (one reallocation instead
    /// of several as the arena grows).
    mutating func reserve(additional bytes: Int) {
        storage.reserve(storage.count + bytes)
    }

    /// Makes room for `count` more block records (allocated and preserved).
    mutating func reserveBlocks(_ count: Int) {
        allocations.reserveCapacity(allocations.count + count)
        preserved.reserveCapacity(preserved.count + count)
    }

    /// `kho_alloc_preserve`: allocates and preserves a block of `order`.
    mutating func allocatePreserved(order: Int) -> UInt64 {
        allocatePreserved(order: order, zeroed: true)
    }

    /// `kho_alloc_preserve` for a block the caller will write in full
    /// (`zeroed` false): the kernel's zeroed page is then the caller's
    /// entries plus the zeros it writes after them, each byte written once.
    mutating func allocatePreserved(order: Int, zeroed: Bool) -> UInt64 {
        let phys = allocate(order: order, zeroed: zeroed)
        preserve(phys: phys, order: order)
        return phys
    }

    /// `kho_alloc_preserve(PAGE_SIZE)` for a page an FDT is then created in
    /// whole (`fdt_create` on all of it, which clears the buffer it is
    /// given before writing the header): the page is not zeroed first, its
    /// bytes are the same.
    mutating func allocatePreservedFDTPage() -> UInt64 {
        allocatePreserved(order: 0, zeroed: false)
    }

    /// Allocates the radix tree's root (`kzalloc(PAGE_SIZE)` in `kho_init`).
    mutating func allocateRadixRoot() {
        radixRoot = allocate(order: 0)
    }

    /// `kho-v1`: track preserved memory in per-order bitmaps (allocated as
    /// blocks are preserved) instead of a radix tree.
    mutating func useChunkedBitmaps() {
        precondition(radixRoot == 0 && preserved.isEmpty, "choose the memory map before preserving")
        bitmaps = KHOMemChunkList.Tracker()
    }

    /// `kho_finalize` of `kho-v1`: the chunk list, allocated now; returns
    /// its first chunk (0 when nothing is preserved).
    mutating func finalizeBitmaps() -> UInt64 {
        guard let tracker = bitmaps else { preconditionFailure("not a kho-v1 arena") }
        return tracker.serialize(memory: &self)
    }

    /// `kho_preserve_folio` / one step of `kho_preserve_pages`: records the
    /// block and marks it in the memory map, allocating radix-tree nodes or
    /// (`kho-v1`) a bitmap page as needed.
    mutating func preserve(phys: UInt64, order: Int) {
        preserved.append((phys, order))
        if var tracker = bitmaps {
            bitmaps = nil // keeps the tracker's storage unique while it grows
            tracker.add(phys: phys, order: order, memory: &self)
            bitmaps = tracker
            return
        }
        precondition(radixRoot != 0, "preserve before the radix tree exists")
        KHORadixTree.add(phys: phys, order: order, root: radixRoot, memory: &self)
    }

    /// Copies `source` to `phys`.
    mutating func write(_ source: UnsafeRawBufferPointer, at phys: UInt64) {
        let start = offset(of: phys, length: source.count)
        guard let from = source.baseAddress, source.count > 0 else { return }
        (storage.base! + start).copyMemory(from: from, byteCount: source.count)
    }

    /// Copies `source` to `phys`.
    mutating func write(_ source: [UInt8], at phys: UInt64) {
        source.withUnsafeBytes { write($0, at: phys) }
    }

    /// Records that the `source.count` bytes at `phys` (allocated, and not
    /// written by the arena) are `source`'s, copied from it when the image
    /// is written. Placements come in ascending address order.
    mutating func place(_ source: ByteSource, at phys: UInt64) {
        _ = offset(of: phys, length: source.count)
        precondition(placed.last.map { $0.phys + UInt64($0.source.count) <= phys } ?? true, "placements out of order")
        placed.append(PlacedContent(phys: phys, source: source))
    }

    /// Gives `body` the `length` bytes at `phys` to fill in place.
    mutating func withBytes<R>(at phys: UInt64, length: Int, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        let start = offset(of: phys, length: length)
        return body(UnsafeMutableRawBufferPointer(start: storage.base! + start, count: length))
    }

    private func offset(of phys: UInt64, length: Int) -> Int {
        precondition(phys >= base && phys - base + UInt64(length) <= UInt64(storage.count), "write outside the arena")
        return Int(phys - base)
    }

    /// Lends `body` the `length` bytes at `phys` as an ``AlignedBytes``, to
    /// build or edit an FDT in place. The loan ends with `body` (the arena
    /// cannot grow meanwhile: `body` cannot allocate from it).
    func withBorrowedBytes<R, Failure: Error>(at phys: UInt64, length: Int,
                                              _ body: (AlignedBytes) throws(Failure) -> R) throws(Failure) -> R {
        let start = offset(of: phys, length: length)
        return try AlignedBytes.lending(storage.base! + start, count: length, body)
    }

    /// Hands the bytes over as the image's memory; the arena is spent.
    func takeBytes() -> ReadOnlyBytes {
        storage.take()
    }

    // MARK: RadixTreeMemory

    mutating func allocateZeroedPage() -> UInt64 { allocate(order: 0) }

    func loadU64(at phys: UInt64) -> UInt64 {
        let start = offset(of: phys, length: 8)
        return UnsafeRawBufferPointer(start: storage.base! + start, count: 8).loadLittleEndian(UInt64.self, at: 0)
    }

    mutating func storeU64(_ value: UInt64, at phys: UInt64) {
        withBytes(at: phys, length: 8) { $0.storeLittleEndian(value, at: 0) }
    }

    mutating func setBit(_ bit: Int, inPageAt phys: UInt64) {
        withBytes(at: phys + UInt64(bit / 8), length: 1) { $0[0] |= UInt8(1) << UInt8(bit % 8) }
    }
}

/// Bytes of the image that come from a ``ByteSource`` (a memfd's contents)
/// instead of the arena: `source.count` bytes at `phys`.
struct PlacedContent: Sendable {
    /// Where the bytes start.
    var phys: UInt64
    /// Where they come from.
    var source: ByteSource
}

/// The arena's bytes: one malloc'd block grown by `realloc` (which moves
/// large blocks with `mremap`, without copying), handed to the image as an
/// ``ReadOnlyBytes`` at the end. Page alignment is not needed: offsets into
/// it are what the image writes out.
final class ArenaStorage {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var count = 0
    private var capacity = 0

    init() {}

    deinit { free(base) }

    /// Makes the capacity at least `bytes`, growing geometrically.
    func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        let newCapacity = max(bytes, capacity * 2, 64 * 1024)
        guard let grown = realloc(base, newCapacity) else { fatalError("out of memory for a \(newCapacity)-byte arena") }
        base = grown
        capacity = newCapacity
        HugePages.advise(grown, count: newCapacity)
    }

    /// Grows the used part to `newCount` bytes; the new bytes are zeroed
    /// unless `zeroed` is false.
    func extend(to newCount: Int, zeroed: Bool) {
        guard newCount > count else { return }
        reserve(newCount)
        if zeroed { memset(base! + count, 0, newCount - count) }
        count = newCount
    }

    /// The bytes, which the returned object now owns and frees; nothing
    /// writes them any more.
    func take() -> ReadOnlyBytes {
        guard let pointer = base else { return ReadOnlyBytes(copying: []) }
        base = nil
        let taken = count
        count = 0
        capacity = 0
        return ReadOnlyBytes(adopting: UnsafeRawPointer(pointer), count: taken) { pointer, _ in
            free(UnsafeMutableRawPointer(mutating: pointer))
        }
    }
}
