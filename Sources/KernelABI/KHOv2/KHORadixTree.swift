import HexFormat
/// KHO's preserved-memory map in generation `kho-v2`: a radix tree of
/// one-page nodes (include/linux/kho/abi/kexec_handover.h).
///
/// A preserved block of `1 << order` pages at `phys` has the key
/// `(1 << (52 - order)) | (phys >> (12 + order))`. Bits 14:0 of the key
/// select a bit in a leaf bitmap (`struct kho_radix_leaf`, 32768 bits); each
/// following 9-bit group selects an entry of an intermediate table
/// (`struct kho_radix_node`, 512 u64 physical addresses), levels 1 to 5,
/// level 5 being the root.
public enum KHORadixTree {
    /// `KHO_ORDER_0_LOG2`: where the order bit of an order-0 key sits.
    public static let order0Log2 = 64 - PageGeometry.pageShift
    /// `KHO_TABLE_SIZE_LOG2`: 512 entries per intermediate node.
    public static let tableSizeLog2 = 9
    /// `KHO_BITMAP_SIZE_LOG2`: 32768 bits per leaf.
    public static let bitmapSizeLog2 = PageGeometry.pageShift + 3
    /// `KHO_TREE_MAX_DEPTH`: five table levels and the bitmap level.
    public static let depth = (order0Log2 - bitmapSizeLog2 + tableSizeLog2 - 1) / tableSizeLog2 + 1
    /// Entries in one intermediate node.
    public static let tableEntries = 1 << tableSizeLog2

    /// `kho_radix_encode_key`.
    @inlinable
    public static func key(phys: UInt64, order: Int) -> UInt64 {
        (UInt64(1) << UInt64(order0Log2 - order)) | (phys >> UInt64(PageGeometry.pageShift + order))
    }

    /// `kho_radix_decode_key`, or `nil` for a key no block can have: zero,
    /// or an order bit outside `0...maxPageOrder`.
    @inlinable
    public static func decode(key: UInt64) -> (phys: UInt64, order: Int)? {
        guard key != 0 else { return nil }
        let orderBit = UInt64.bitWidth - key.leadingZeroBitCount  // fls64
        let order = order0Log2 - orderBit + 1
        guard order >= 0, order <= PageGeometry.maxPageOrder else { return nil }
        let shifted = key & ~(UInt64(1) << UInt64(orderBit - 1))
        return (shifted << UInt64(PageGeometry.pageShift + order), order)
    }

    /// `kho_radix_get_bitmap_index`.
    @inlinable
    public static func bitmapIndex(_ key: UInt64) -> Int {
        Int(key & ((1 << UInt64(bitmapSizeLog2)) - 1))
    }

    /// `kho_radix_get_table_index` for `level` in `1...5`.
    @inlinable
    public static func tableIndex(_ key: UInt64, level: Int) -> Int {
        let shift = (level - 1) * tableSizeLog2 + bitmapSizeLog2
        return Int((key >> UInt64(shift)) & UInt64(tableEntries - 1))
    }

    /// `kho_radix_add_page`: marks the block preserved, allocating each
    /// missing node on the way down in order (level 4 first, the leaf last)
    /// from `memory`, exactly as the kernel's `get_zeroed_page` calls do.
    /// Inlinable, so the writer gets a copy specialized for its memory.
    @inlinable
    public static func add<Memory: RadixTreeMemory>(
        phys: UInt64, order: Int, root: UInt64, memory: inout Memory
    ) {
        let key = key(phys: phys, order: order)
        var node = root
        for level in stride(from: depth - 1, to: 0, by: -1) {
            let slot = node + UInt64(tableIndex(key, level: level) * 8)
            let next = memory.loadU64(at: slot)
            if next != 0 {
                node = next
            } else {
                let fresh = memory.allocateZeroedPage()
                memory.storeU64(fresh, at: slot)
                node = fresh
            }
        }
        memory.setBit(bitmapIndex(key), inPageAt: node)
    }

    /// `kho_radix_walk_tree`: calls `visit` for every preserved block in key
    /// order. Every node is fetched through `pages`, which checks that it
    /// lies in the image; a node reached twice is a cycle and an error, so
    /// the walk reads each page at most once.
    /// Inlinable, so the reader gets a copy specialized for its page source.
    @inlinable
    public static func walk(
        root: UInt64, pages: some RadixTreePageSource,
        visit: (_ phys: UInt64, _ order: Int) throws(ABIError) -> Void
    ) throws(ABIError) {
        // A path is six nodes; a tree over a few regions, a few dozen.
        var visited = Set<UInt64>(minimumCapacity: 32)
        try walk(node: root, level: depth - 1, keyPrefix: 0, pages: pages, visited: &visited, visit: visit)
    }

    @inlinable
    static func walk(
        node: UInt64, level: Int, keyPrefix: UInt64, pages: some RadixTreePageSource,
        visited: inout Set<UInt64>, visit: (UInt64, Int) throws(ABIError) -> Void
    ) throws(ABIError) {
        guard PageGeometry.isPageAligned(node) else {
            throw .radixTree(phys: node, problem: "node address is not page aligned")
        }
        guard visited.insert(node).inserted else {
            throw .radixTree(phys: node, problem: "node is reached twice (a cycle or shared subtree)")
        }
        let page = try pages.radixPage(at: node, level: level)
        // Nodes are mostly zero: skip 64-byte groups with nothing set.
        let words = PageGeometry.pageSize / 8
        if level == 0 {
            var group = 0
            while group < words {
                defer { group += 8 }
                if isZeroGroup(page, word: group) { continue }
                for word in group..<(group + 8) {
                    var bits = page.loadLittleEndian(UInt64.self, at: word * 8)
                    while bits != 0 {
                        let bit = bits.trailingZeroBitCount
                        bits &= bits - 1
                        let key = keyPrefix | UInt64(word * 64 + bit)
                        guard let block = decode(key: key) else {
                            throw .radixTree(phys: node, problem: "bit \(word * 64 + bit) encodes no valid block (key \(Hex.format(key)))")
                        }
                        try visit(block.phys, block.order)
                    }
                }
            }
            return
        }
        let shift = (level - 1) * tableSizeLog2 + bitmapSizeLog2
        var group = 0
        while group < words {
            defer { group += 8 }
            if isZeroGroup(page, word: group) { continue }
            for index in group..<(group + 8) {
                let child = page.loadLittleEndian(UInt64.self, at: index * 8)
                if child == 0 { continue }
                try walk(node: child, level: level - 1, keyPrefix: keyPrefix | (UInt64(index) << UInt64(shift)),
                         pages: pages, visited: &visited, visit: visit)
            }
        }
    }

    /// Whether the eight u64 words from `word` are all zero.
    @inlinable
    static func isZeroGroup(_ page: UnsafeRawBufferPointer, word: Int) -> Bool {
        var any: UInt64 = 0
        for offset in 0..<8 { any |= page.loadUnaligned(fromByteOffset: (word + offset) * 8, as: UInt64.self) }
        return any == 0
    }
}

/// The memory a radix tree is built in: page allocation and u64 access by
/// physical address.
public protocol RadixTreeMemory {
    /// Allocates one zeroed page and returns its physical address.
    mutating func allocateZeroedPage() -> UInt64
    /// The u64 at `phys`.
    func loadU64(at phys: UInt64) -> UInt64
    /// Stores `value` at `phys`.
    mutating func storeU64(_ value: UInt64, at phys: UInt64)
    /// Sets bit `bit` of the bitmap page at `phys` (`__set_bit`).
    mutating func setBit(_ bit: Int, inPageAt phys: UInt64)
}

/// Where a radix-tree walk reads its nodes from.
public protocol RadixTreePageSource {
    /// The 4096 bytes of the node at `phys`, or an error if that page is not
    /// available. `level` is the node's height (0 for a leaf bitmap, 5 for the
    /// root): a walk goes depth first and holds at most one page per level
    /// at a time, so a source that copies pages in may reuse one buffer per
    /// level.
    func radixPage(at phys: UInt64, level: Int) throws(ABIError) -> UnsafeRawBufferPointer
}
