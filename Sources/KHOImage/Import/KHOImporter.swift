import FDT
import KernelABI
import HexFormat

/// Turns physical memory someone captured into a KHO image: the KHO root
/// FDT, found or given, its preserved-memory map, and every block that map
/// preserves, copied into a `.kho` file at their physical addresses.
///
/// Only the KHO level is read (the root FDT and its radix tree), so memory
/// of every radix-tree generation imports, whatever its LUO level. The
/// source is never trusted: every address is checked against what the
/// source holds, the map walk is bounded by the source's pages, and the
/// bytes are streamed through a small buffer, so memory use does not grow
/// with the source.
public enum KHOImporter {
    /// Bytes copied per read from the source.
    static let copyPieceSize = 1 << 20

    /// Plans the import of the handover whose KHO root FDT is at
    /// `khoFDTPhys`, or the one a scan of `memory` finds when it is `nil`.
    public static func plan(_ memory: some PhysicalMemory, khoFDTPhys: UInt64? = nil) throws(KHOImageError) -> ImportPlan {
        if let khoFDTPhys {
            return try plan(memory, root: khoFDTPhys)
        }
        let roots = try locateRoots(memory)
        guard roots.count == 1 else { throw .severalKHORoots(candidates: roots.map(\.khoFDTPhys)) }
        return roots[0]
    }

    /// Every page of `memory` that holds a KHO root FDT whose memory map
    /// walks cleanly and preserves the root's own page; throws
    /// ``KHOImageError/noKHORoot(pagesSearched:rejected:)`` when there is none.
    public static func locateRoots(_ memory: some PhysicalMemory) throws(KHOImageError) -> [ImportPlan] {
        var found: [ImportPlan] = []
        var rejected: [String] = []
        let piece = copyPieceSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: PageGeometry.pageSize)
        defer { buffer.deallocate() }
        let pageSize = UInt64(PageGeometry.pageSize)
        for range in memory.ranges.flatMap({ memory.populatedRanges(in: $0) }) {
            var cursor = (range.phys + pageSize - 1) & ~(pageSize - 1)
            while cursor + UInt64(FDTBlob.headerSize) <= range.end {
                let length = Int(min(UInt64(piece), (range.end - cursor)))
                let window = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try memory.read(cursor, into: window, what: "memory scanned for the KHO root FDT")
                var offset = 0
                while offset + FDTBlob.headerSize <= length {
                    defer { offset += PageGeometry.pageSize }
                    guard ByteOrderCoding.readBigEndian(UInt32.self, UnsafeRawBufferPointer(window), at: offset) == FDTBlob.magic,
                          Self.mentionsKHO(UnsafeRawBufferPointer(rebasing: window[offset..<min(length, offset + PageGeometry.pageSize)])) else { continue }
                    let phys = cursor + UInt64(offset)
                    do {
                        let plan = try plan(memory, root: phys)
                        guard plan.preservedBlocks.contains(where: { $0.phys <= phys && phys < $0.phys + $0.size }) else {
                            rejected.append("\(Hex.format(phys)): its memory map does not preserve its own page")
                            continue
                        }
                        found.append(plan)
                    } catch {
                        rejected.append("\(Hex.format(phys)): \(error)")
                    }
                }
                cursor += UInt64(length)
            }
        }
        guard !found.isEmpty else { throw .noKHORoot(pagesSearched: memory.pageCount, rejected: rejected) }
        return found
    }

    /// Whether a page that starts with the FDT magic says `kho-v` somewhere
    /// (the root compatible): a cheap filter before libfdt looks at it.
    static func mentionsKHO(_ page: UnsafeRawBufferPointer) -> Bool {
        let needle = Array("kho-v".utf8)
        guard page.count >= needle.count else { return false }
        for start in 0...(page.count - needle.count) where page[start] == needle[0] {
            if needle.indices.allSatisfy({ page[start + $0] == needle[$0] }) { return true }
        }
        return false
    }

    /// Reads the root at `root`, walks its memory map and lays the image out.
    static func plan(_ memory: some PhysicalMemory, root: UInt64) throws(KHOImageError) -> ImportPlan {
        guard PageGeometry.isPageAligned(root) else {
            throw .structure(what: "KHO root FDT at \(Hex.format(root))",
                             error: .invalidValue(field: "address", value: root, reason: "is not page aligned"))
        }
        let probe = try KHORootProbe(memory: memory, phys: root)
        guard probe.memoryMapPhys != 0 else {
            throw .structure(what: "KHO root FDT at \(Hex.format(root))", error: .invalidValue(
                field: KHOv2RootFDT.memoryMapProperty, value: 0,
                reason: "the memory map address is null (a kho-v1 map before finalize, or no handover)"))
        }
        let pages = RadixPagesFromMemory(memory: memory)
        var blocks: [PreservedBlock] = []
        let limit = memory.pageCount
        if probe.compatible == KHORootProbe.chunkListGeneration {
            // kho-v1: the chunk list and its bitmaps (pages read are recorded
            // like radix nodes: they are the map, and go into the image).
            do {
                try KHOMemChunkList.walk(first: probe.memoryMapPhys, maxChunks: limit, pages: pages) { (phys: UInt64, order: Int) throws(ABIError) in
                    blocks.append(PreservedBlock(phys: phys, order: order))
                    guard blocks.count <= limit else {
                        throw .memoryChunk(phys: probe.memoryMapPhys, problem: "the list marks more blocks than the memory has pages (\(limit))")
                    }
                }
            } catch {
                // Chunk and bitmap pages are not preserved: the next kernel
                // frees them once it has read them, and may reuse them.
                throw .structure(what: "preserved-memory map (kho-v1 chunk list at \(Hex.format(probe.memoryMapPhys)); "
                    + "its chunk and bitmap pages are not preserved, so memory captured after the next kernel started "
                    + "may no longer hold them: capture it while the outgoing kernel is stopped after kho_finalize)", error: error)
            }
        } else {
            do {
                try KHORadixTree.walk(root: probe.memoryMapPhys, pages: pages) { (phys: UInt64, order: Int) throws(ABIError) in
                    blocks.append(PreservedBlock(phys: phys, order: order))
                    guard blocks.count <= limit else {
                        throw .radixTree(phys: probe.memoryMapPhys, problem: "lists more blocks than the memory has pages (\(limit))")
                    }
                }
            } catch {
                throw .structure(what: "preserved-memory map", error: error)
            }
        }
        blocks.sort { $0.phys < $1.phys }
        for block in blocks where !memory.contains(block.phys, length: block.size) {
            throw .preservedBlock(phys: block.phys, order: block.order, problem: "is not in the captured memory")
        }
        for (lower, upper) in zip(blocks, blocks.dropFirst()) where upper.phys < lower.phys + lower.size {
            throw .preservedBlock(phys: upper.phys, order: upper.order,
                                  problem: "overlaps the block at \(Hex.format(lower.phys)) of order \(lower.order)")
        }
        // The image holds the preserved blocks, and the map itself (its
        // pages are not preserved, but the reader walks them) and the root.
        var spans = blocks.map { (phys: $0.phys, end: $0.phys + $0.size) }
        let mapPages = Array(Set(pages.nodes))
        spans += mapPages.map { (phys: $0, end: $0 + UInt64(PageGeometry.pageSize)) }
        spans.append((root, root + UInt64(PageGeometry.pageSize)))
        spans.sort { $0.phys < $1.phys }
        var regions: [PhysicalRange] = []
        for span in spans {
            if let last = regions.last, span.phys <= last.end {
                regions[regions.count - 1].size = max(last.end, span.end) - last.phys
            } else {
                regions.append(PhysicalRange(phys: span.phys, size: span.end - span.phys))
            }
        }
        return ImportPlan(khoFDTPhys: root, rootCompatible: probe.compatible, memoryMapPhys: probe.memoryMapPhys,
                          subtrees: probe.subtrees.map { ImportPlan.Subtree(name: $0.name, phys: $0.phys, size: $0.size) },
                          luo: probe.luoDescription(memory: memory),
                          preservedBlocks: blocks, memoryMapNodes: mapPages.sorted(), regions: regions)
    }

    /// Imports the handover in `memory` into a `.kho` image at `path`,
    /// atomically (nothing is left at `path` if anything fails).
    @discardableResult
    public static func importImage(from memory: some PhysicalMemory, khoFDTPhys: UInt64? = nil,
                                   to path: String) throws(KHOImageError) -> ImportPlan {
        let plan = try plan(memory, khoFDTPhys: khoFDTPhys)
        try AtomicFileWriter.write(to: path, produce: { (sink) throws(KHOImageError) in
            try plan.write(from: memory, to: sink)
        }, systemFailure: KHOImageError.init)
        return plan
    }
}
