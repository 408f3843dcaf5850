import KernelABI
import HexFormat

/// The blocks KHO's radix tree preserves, sorted and checked: each lies
/// inside the image and no two overlap. Answers "is this range preserved"
/// and "which block starts here", and tracks which blocks a structure has
/// claimed.
struct PreservedMemoryMap {
    /// Blocks in ascending physical order.
    let blocks: [PreservedBlock]
    /// Per block (same index as ``blocks``): claimed by a known structure.
    private var claimed: [Bool] = []
    /// While a journal is open: the blocks claimed since it was opened, so
    /// a walk that fails can give them back.
    private var journal: [Int]?
    /// Where ``blockIndexNearLast(containing:)`` found its last block.
    private var lastFound = 0

    /// Walks the tree at `root`. The walk stops with an error as soon as it
    /// has found more blocks than the image has pages, so a hostile tree
    /// costs memory in proportion to the file.
    init(root: UInt64, memory: ImageMemory) throws(KHOImageError) {
        var found: [PreservedBlock] = []
        found.reserveCapacity(min(memory.totalPages, 64))
        let limit = memory.totalPages
        do {
            try KHORadixTree.walk(root: root, pages: memory.mapPages) { (phys: UInt64, order: Int) throws(ABIError) in
                found.append(PreservedBlock(phys: phys, order: order))
                guard found.count <= limit else {
                    throw .radixTree(phys: root, problem: "lists more blocks than the image has pages (\(limit))")
                }
            }
        } catch {
            throw .structure(what: "preserved-memory map", error: error)
        }
        try self.init(checking: found, memory: memory)
    }

    /// Walks the `kho-v1` chunk list starting at `firstChunk` (see
    /// ``KHOMemChunkList/walk(first:maxChunks:pages:visit:)``), bounded the
    /// same way: no more chunks than the image has pages, no more blocks.
    init(chunkList firstChunk: UInt64, memory: ImageMemory) throws(KHOImageError) {
        var found: [PreservedBlock] = []
        let limit = memory.totalPages
        do {
            try KHOMemChunkList.walk(first: firstChunk, maxChunks: limit, pages: memory.mapPages) { (phys: UInt64, order: Int) throws(ABIError) in
                found.append(PreservedBlock(phys: phys, order: order))
                guard found.count <= limit else {
                    throw .memoryChunk(phys: firstChunk, problem: "the list marks more blocks than the image has pages (\(limit))")
                }
            }
        } catch {
            throw .structure(what: "preserved-memory map", error: error)
        }
        try self.init(checking: found, memory: memory)
    }

    /// Sorts `found` and checks each block lies in one region and none overlap.
    private init(checking found: [PreservedBlock], memory: ImageMemory) throws(KHOImageError) {
        var found = found
        for block in found {
            guard let region = memory.region(containing: block.phys), block.size <= region.end - block.phys else {
                throw .preservedBlock(phys: block.phys, order: block.order, problem: "is not inside the image")
            }
        }
        found.sort { $0.phys < $1.phys }
        for (lower, upper) in zip(found, found.dropFirst()) where upper.phys < lower.phys + lower.size {
            throw .preservedBlock(phys: upper.phys, order: upper.order,
                                  problem: "overlaps the block at \(Hex.format(lower.phys)) of order \(lower.order)")
        }
        blocks = found
        claimed = [Bool](repeating: false, count: found.count)
    }

    /// The index of the block holding `phys`, or `nil`.
    func blockIndex(containing phys: UInt64) -> Int? {
        // Raw data values are mostly not addresses at all: below the first block.
        guard let first = blocks.first, phys >= first.phys else { return nil }
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].phys + blocks[middle].size <= phys { low = middle + 1 } else { high = middle }
        }
        guard low < blocks.count, blocks[low].phys <= phys else { return nil }
        return low
    }

    /// ``blockIndex(containing:)`` for walks that mostly go up in address
    /// (the chains, whose blocks the kernel allocates in order): the block
    /// found last and the one after it are tried before the search.
    mutating func blockIndexNearLast(containing phys: UInt64) -> Int? {
        var candidate = lastFound
        while candidate < min(lastFound + 2, blocks.count) {
            if blocks[candidate].phys <= phys, phys < blocks[candidate].phys + blocks[candidate].size {
                lastFound = candidate
                return candidate
            }
            candidate += 1
        }
        let found = blockIndex(containing: phys)
        if let found { lastFound = found }
        return found
    }

    /// From the first block's start to the last one's end (empty when
    /// there is no block): no block lies outside it.
    var span: Range<UInt64> {
        guard let first = blocks.first, let last = blocks.last else { return 0..<0 }
        return first.phys..<(last.phys + last.size)
    }

    /// The block that starts exactly at `phys`, or `nil`.
    func block(startingAt phys: UInt64) -> PreservedBlock? {
        guard let index = blockIndex(containing: phys), blocks[index].phys == phys else { return nil }
        return blocks[index]
    }

    /// Checks that every page of `phys ..< phys + length` is preserved.
    func requirePreserved(_ phys: UInt64, length: UInt64, what: @autoclosure () -> String) throws(KHOImageError) {
        var cursor = phys
        let end = phys + max(length, 1)
        while cursor < end {
            guard let index = blockIndex(containing: cursor) else {
                throw .notPreserved(what: what(), phys: phys, length: length)
            }
            cursor = blocks[index].phys + blocks[index].size
        }
    }

    /// Marks the block holding `phys` as used by a known structure.
    mutating func claim(_ phys: UInt64) {
        if let index = blockIndex(containing: phys) { claim(index: index) }
    }

    /// Marks block `index` (of ``blocks``) as used by a known structure.
    mutating func claim(index: Int) {
        if journal != nil, !claimed[index] { journal!.append(index) }
        claimed[index] = true
    }

    /// Starts recording claims (one journal at a time).
    mutating func beginJournal() { journal = [] }

    /// Keeps the claims made since ``beginJournal()``.
    mutating func commitJournal() { journal = nil }

    /// Gives back the claims made since ``beginJournal()``.
    mutating func rollBackJournal() {
        for index in journal ?? [] { claimed[index] = false }
        journal = nil
    }

    /// Whether block `index` (of ``blocks``) has been claimed.
    func isClaimed(index: Int) -> Bool {
        claimed[index]
    }

    /// Whether the block starting at `phys` has been claimed.
    func isClaimed(_ phys: UInt64) -> Bool {
        guard let index = blockIndex(containing: phys), blocks[index].phys == phys else { return false }
        return claimed[index]
    }

    /// Blocks no known structure refers to.
    var unclaimed: [PreservedBlock] { blocks.indices.filter { !claimed[$0] }.map { blocks[$0] } }
}
