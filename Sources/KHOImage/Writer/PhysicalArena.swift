import KernelABI

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
    /// Bytes of the address range `base ..< base + bytes.count`.
    private(set) var bytes: [UInt8] = []
    /// Allocated blocks in allocation (and address) order.
    private(set) var allocations: [(phys: UInt64, pages: Int)] = []
    /// Blocks preserved through KHO, in preservation order.
    private(set) var preserved: [(phys: UInt64, order: Int)] = []
    /// The radix tree's root node, once allocated.
    private(set) var radixRoot: UInt64 = 0

    init(base: UInt64) {
        self.base = base
    }

    /// The next free address.
    var top: UInt64 { base + UInt64(bytes.count) }

    /// Allocates a zeroed, naturally aligned block of `1 << order` pages.
    mutating func allocate(order: Int) -> UInt64 {
        let blockBytes = UInt64(PageGeometry.pageSize) << UInt64(order)
        let phys = (top + blockBytes - 1) & ~(blockBytes - 1)
        let newCount = Int(phys - base) + Int(blockBytes)
        bytes.append(contentsOf: repeatElement(0, count: newCount - bytes.count))
        allocations.append((phys, 1 << order))
        return phys
    }

    /// `kho_alloc_preserve`: allocates and preserves a block of `order`.
    mutating func allocatePreserved(order: Int) -> UInt64 {
        let phys = allocate(order: order)
        preserve(phys: phys, order: order)
        return phys
    }

    /// Allocates the radix tree's root (`kzalloc(PAGE_SIZE)` in `kho_init`).
    mutating func allocateRadixRoot() {
        radixRoot = allocate(order: 0)
    }

    /// `kho_preserve_folio` / one step of `kho_preserve_pages`: records the
    /// block and marks it in the radix tree, allocating tree nodes as needed.
    mutating func preserve(phys: UInt64, order: Int) {
        precondition(radixRoot != 0, "preserve before the radix tree exists")
        preserved.append((phys, order))
        KHORadixTree.add(phys: phys, order: order, root: radixRoot, memory: &self)
    }

    /// Copies `source` to `phys`.
    mutating func write(_ source: some Collection<UInt8>, at phys: UInt64) {
        let start = offset(of: phys, length: source.count)
        bytes.withUnsafeMutableBytes { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + source.count)]).copyBytes(from: source)
        }
    }

    /// Gives `body` the `length` bytes at `phys` to fill in place.
    mutating func withBytes<R>(at phys: UInt64, length: Int, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        let start = offset(of: phys, length: length)
        return bytes.withUnsafeMutableBytes { raw in
            body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + length)]))
        }
    }

    private func offset(of phys: UInt64, length: Int) -> Int {
        precondition(phys >= base && phys - base + UInt64(length) <= UInt64(bytes.count), "write outside the arena")
        return Int(phys - base)
    }

    // MARK: RadixTreeMemory

    mutating func allocateZeroedPage() -> UInt64 { allocate(order: 0) }

    func loadU64(at phys: UInt64) -> UInt64 {
        let start = offset(of: phys, length: 8)
        return bytes.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: start) }
    }

    mutating func storeU64(_ value: UInt64, at phys: UInt64) {
        withBytes(at: phys, length: 8) { $0.storeLittleEndian(value, at: 0) }
    }

    mutating func setBit(_ bit: Int, inPageAt phys: UInt64) {
        withBytes(at: phys + UInt64(bit / 8), length: 1) { $0[0] |= UInt8(1) << UInt8(bit % 8) }
    }
}
