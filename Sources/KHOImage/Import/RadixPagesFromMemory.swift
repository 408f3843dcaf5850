import KernelABI

/// Radix-tree node pages read from a ``PhysicalMemory``: one page buffer per
/// tree level (a walk holds at most one node per level at a time), so a
/// walk costs six pages however large the tree. Records every node it was
/// asked for: they are the map, and go into the image with it.
final class RadixPagesFromMemory<Memory: PhysicalMemory>: RadixTreePageSource {
    let memory: Memory
    private let buffers: UnsafeMutableRawPointer
    private let levels = KHORadixTree.depth
    /// Every node page read, in walk order.
    private(set) var nodes: [UInt64] = []

    init(memory: Memory) {
        self.memory = memory
        buffers = .allocate(byteCount: levels * PageGeometry.pageSize, alignment: PageGeometry.pageSize)
    }

    deinit { buffers.deallocate() }

    func radixPage(at phys: UInt64, level: Int) throws(ABIError) -> UnsafeRawBufferPointer {
        precondition((0..<levels).contains(level), "radix level out of range")
        let page = UnsafeMutableRawBufferPointer(start: buffers + level * PageGeometry.pageSize, count: PageGeometry.pageSize)
        do {
            try memory.read(phys, into: page, what: "memory-map node")
        } catch {
            throw .radixTree(phys: phys, problem: "node page is not in the captured memory")
        }
        nodes.append(phys)
        return UnsafeRawBufferPointer(page)
    }
}
