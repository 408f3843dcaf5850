import FDT
import HandoverModel
import HexFormat
import KernelABI

/// An image as the kernel structures it holds, with every physical address
/// replaced by a label: the order in which a fixed walk first meets that
/// address. Two images that differ only in where the allocator put things
/// have equal structural images; any other difference (a field, a tail
/// byte, a page order, which pointer aliases which) shows as a difference.
///
/// The walk: the KHO root FDT page, each subtree's blob in FDT order (the
/// LUO state with its sessions, file arrays, each file's handler structures
/// and payloads, the FLB block; `kexec-metadata`), each as its whole
/// preserved block. The radix tree is not compared (its node pages are the
/// allocator's business); the orders of the preserved blocks are.
public struct StructuralImage: Sendable {
    /// One structure: what it is and its bytes, addresses labelled.
    public struct Structure: Equatable, Sendable {
        /// What the structure is (`session block`, `memfd_luo_ser of "vm0" token 1`).
        public var name: String
        /// Its whole preserved block, each address field holding its label.
        public var bytes: [UInt8]
    }

    /// The structures in walk order.
    public private(set) var structures: [Structure] = []
    /// How many preserved blocks there are of each order.
    public private(set) var blockOrders: [Int: Int] = [:]
    /// The number of preserved blocks no structure of the walk covers.
    public private(set) var unvisitedBlocks = 0

    /// Walks `image`, reading its bytes from the image's own memory.
    public init(image: DecodedImage) throws(KHOImageError) {
        var walk = Walk(image: image)
        try walk.run()
        structures = walk.structures
        for block in image.layout.preservedBlocks { blockOrders[block.order, default: 0] += 1 }
        unvisitedBlocks = image.layout.preservedBlocks.filter { !walk.visited.contains($0.phys) }.count
    }

    /// One line per difference between `a` and `b` (empty when they are
    /// equal up to addresses).
    public static func differences(_ a: StructuralImage, _ b: StructuralImage) -> [String] {
        var lines: [String] = []
        for index in 0..<max(a.structures.count, b.structures.count) {
            guard index < a.structures.count else { lines.append("\(b.structures[index].name): only in B"); continue }
            guard index < b.structures.count else { lines.append("\(a.structures[index].name): only in A"); continue }
            let x = a.structures[index], y = b.structures[index]
            guard x.name == y.name else {
                lines.append("structure \(index): \(x.name) in A, \(y.name) in B")
                continue
            }
            guard x.bytes != y.bytes else { continue }
            if x.bytes.count != y.bytes.count {
                lines.append("\(x.name): \(x.bytes.count) bytes != \(y.bytes.count) bytes")
                continue
            }
            let differing = x.bytes.indices.filter { x.bytes[$0] != y.bytes[$0] }
            let first = differing[0]
            lines.append("\(x.name): \(differing.count) byte\(differing.count == 1 ? " differs" : "s differ"), first at offset"
                + " \(first) (\(Hex.format(first))): \(Hex.format(x.bytes[first])) != \(Hex.format(y.bytes[first]))")
        }
        if a.blockOrders != b.blockOrders {
            func describe(_ orders: [Int: Int]) -> String {
                orders.keys.sorted().map { "\(orders[$0]!) of order \($0)" }.joined(separator: ", ")
            }
            lines.append("preserved blocks: \(describe(a.blockOrders)) != \(describe(b.blockOrders))")
        }
        if a.unvisitedBlocks != b.unvisitedBlocks {
            lines.append("preserved blocks no structure covers: \(a.unvisitedBlocks) != \(b.unvisitedBlocks)")
        }
        return lines
    }
}

/// The walk behind ``StructuralImage``.
private struct Walk {
    let image: DecodedImage
    var structures: [StructuralImage.Structure] = []
    var labels: [UInt64: UInt64] = [:]
    var visited: Set<UInt64> = []

    init(image: DecodedImage) {
        self.image = image
    }

    var layout: HandoverLayout { image.layout }
    var generation: KernelGeneration { image.state.generation }

    /// The label of `phys` (0 stays 0).
    mutating func label(_ phys: UInt64) -> UInt64 {
        guard phys != 0 else { return 0 }
        if let known = labels[phys] { return known }
        let next = UInt64(labels.count + 1)
        labels[phys] = next
        return next
    }

    /// The preserved block holding `phys`.
    func block(containing phys: UInt64) -> PreservedBlock? {
        layout.preservedBlocks.last { $0.phys <= phys && phys < $0.phys + $0.size }
    }

    /// The whole preserved block holding `phys`, as bytes, and where `phys` sits in it.
    mutating func blockBytes(_ phys: UInt64, _ what: String) throws(KHOImageError) -> (bytes: [UInt8], offset: Int) {
        guard let block = block(containing: phys) else { throw .notPreserved(what: what, phys: phys, length: 1) }
        visited.insert(block.phys)
        return (try image.memory.copyBytes(at: block.phys, length: Int(block.size), what: what), Int(phys - block.phys))
    }

    /// Replaces the u64 at `offset` of `bytes` by its label.
    mutating func mask(_ bytes: inout [UInt8], at offset: Int) {
        let value = bytes.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: offset) }
        store(label(value), into: &bytes, at: offset)
    }

    func store(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeLittleEndian(value, at: offset) }
    }

    mutating func run() throws(KHOImageError) {
        // The KHO root FDT: the memory map's and each subtree's address.
        let located = try blockBytes(layout.khoRootFDTPhys, "KHO root FDT")
        var root = located.bytes
        let rootOffset = located.offset
        let rootFDT = try fdt(root, at: rootOffset, "KHO root FDT")
        var subtrees: [(name: String, phys: UInt64)] = []
        if let offset = rootFDT.offset(of: KHOv2RootFDT.memoryMapProperty, in: rootFDT.blob.root) {
            mask(&root, at: rootOffset + offset)
        }
        for node in (try? rootFDT.blob.root.subnodes()) ?? [] {
            guard let offset = rootFDT.offset(of: KHOv2RootFDT.subtreeProperty, in: node) else { continue }
            subtrees.append((node.name, root.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: rootOffset + offset) }))
            mask(&root, at: rootOffset + offset)
        }
        structures.append(.init(name: "KHO root FDT", bytes: root))
        for subtree in subtrees {
            if subtree.name == LUOv1.subtreeName {
                if generation.luo.isFDT { try walkLUO(subtree.phys) } else { try walkLUOv5(subtree.phys) }
            } else {
                let (bytes, _) = try blockBytes(subtree.phys, "subtree \(subtree.name)")
                structures.append(.init(name: "subtree \(subtree.name)", bytes: bytes))
            }
        }
    }

    /// LUO's state in a `luo-v1` FDT: the FDT, the session block, the file
    /// arrays and what each file preserved, the FLB block.
    mutating func walkLUO(_ phys: UInt64) throws(KHOImageError) {
        let locatedLUO = try blockBytes(phys, "LUO FDT")
        var luo = locatedLUO.bytes
        let offset = locatedLUO.offset
        let luoFDT = try fdt(luo, at: offset, "LUO FDT")
        for (nodeName, property) in [(LUOv1.sessionNodeName, LUOv1.sessionHeaderProperty), (LUOv1.flbNodeName, LUOv1.flbHeaderProperty)] {
            if let node = luoFDT.blob.root.subnode(nodeName), let at = luoFDT.offset(of: property, in: node) {
                mask(&luo, at: offset + at)
            }
        }
        structures.append(.init(name: "LUO FDT", bytes: luo))
        let locatedSessions = try blockBytes(layout.sessionHeaderPhys, "session block")
        var sessionBlock = locatedSessions.bytes
        let headerOffset = locatedSessions.offset
        for index in layout.sessions.indices {
            mask(&sessionBlock, at: headerOffset + LUOSessionHeaderSer.size + index * LUOSessionSer.size + LUOSessionSer.filesOffset)
        }
        structures.append(.init(name: "session block", bytes: sessionBlock))
        for session in image.sessions where session.layout.filesPhys != 0 {
            let locatedFiles = try blockBytes(session.layout.filesPhys, "file array of \"\(session.name)\"")
            var files = locatedFiles.bytes
            let filesOffset = locatedFiles.offset
            for (slot, file) in session.files.enumerated() where block(containing: file.data)?.phys == file.data {
                mask(&files, at: filesOffset + slot * LUOFileSer.size + LUOFileSer.dataOffset)
            }
            structures.append(.init(name: "file array of \"\(session.name)\"", bytes: files))
            for file in session.files {
                try walkFile(file, what: "\"\(session.name)\" token \(file.record.token)")
            }
        }
        let (flbs, _) = try blockBytes(layout.flbHeaderPhys, "FLB block")
        structures.append(.init(name: "FLB block", bytes: flbs))
    }

    /// LUO's state as a packed `luo_ser` (`luo-v5`): it, the session block
    /// chain, each session's file block chain and what each file preserved,
    /// the FLB block.
    mutating func walkLUOv5(_ phys: UInt64) throws(KHOImageError) {
        let locatedSer = try blockBytes(phys, "luo_ser")
        var ser = locatedSer.bytes
        mask(&ser, at: locatedSer.offset + LUOSer.sessionsOffset)
        mask(&ser, at: locatedSer.offset + LUOSer.flbsOffset)
        structures.append(.init(name: "luo_ser", bytes: ser))
        try walkChain(layout.sessionBlocks, entrySize: LUOSessionSer.size, what: "session block") { walk, block, entry in
            walk.mask(&block, at: entry + LUOSessionSer.filesOffset)
        }
        for session in image.sessions {
            try walkChain(session.layout.fileBlocks, entrySize: LUOFileSer.size, what: "file block of \"\(session.name)\"") { walk, block, entry in
                let data = block.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: entry + LUOFileSer.dataOffset) }
                if walk.block(containing: data)?.phys == data { walk.mask(&block, at: entry + LUOFileSer.dataOffset) }
            }
            for file in session.files {
                try walkFile(file, what: "\"\(session.name)\" token \(file.record.token)")
            }
        }
        if layout.flbHeaderPhys != 0 {
            let (flbs, _) = try blockBytes(layout.flbHeaderPhys, "FLB block")
            structures.append(.init(name: "FLB block", bytes: flbs))
        }
    }

    /// The blocks of a `kho_block` chain, each with its `next` and, through
    /// `entry`, its entries' address fields labelled.
    mutating func walkChain(_ blocks: [UInt64], entrySize: Int, what: String,
                            entry: (inout Walk, inout [UInt8], Int) -> Void) throws(KHOImageError) {
        for (number, phys) in blocks.enumerated() {
            let located = try blockBytes(phys, what)
            var bytes = located.bytes
            let base = located.offset
            let count = bytes.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: base + KHOBlock.countOffset) }
            mask(&bytes, at: base + KHOBlock.nextOffset)
            let fits = UInt64((bytes.count - base - KHOBlock.headerSize) / entrySize)
            for slot in 0..<Int(min(count, fits)) {
                entry(&self, &bytes, base + KHOBlock.headerSize + slot * entrySize)
            }
            structures.append(.init(name: "\(what) \(number)", bytes: bytes))
        }
    }

    /// What one file's handler preserved: a payload block, or a memfd's
    /// `memfd_luo_ser`, `kho_vmalloc` chunks and folio array pages (where
    /// the reader's walk found them).
    mutating func walkFile(_ file: DecodedFile, what: String) throws(KHOImageError) {
        switch file.record.content {
        case .data:
            return
        case .payload:
            let (bytes, _) = try blockBytes(file.data, "payload of \(what)")
            structures.append(.init(name: "payload of \(what)", bytes: bytes))
        case .memfd:
            guard let memfd = file.memfd else { return }
            let locatedSer = try blockBytes(memfd.serPhys, "memfd_luo_ser of \(what)")
            var ser = locatedSer.bytes
            mask(&ser, at: locatedSer.offset + generation.memfd.serSize - KHOVmalloc.size)
            structures.append(.init(name: "memfd_luo_ser of \(what)", bytes: ser))
            for chunk in memfd.chunks {
                let locatedChunk = try blockBytes(chunk.phys, "folio array chunk of \(what)")
                var page = locatedChunk.bytes
                let at = locatedChunk.offset
                mask(&page, at: at + KHOVmallocChunk.nextOffset)
                for slot in chunk.pages.indices { mask(&page, at: at + KHOVmallocChunk.physOffset + slot * 8) }
                structures.append(.init(name: "folio array chunk of \(what)", bytes: page))
            }
            for (index, phys) in memfd.chunks.flatMap(\.pages).enumerated() {
                let locatedPage = try blockBytes(phys, "folio array of \(what)")
                var page = locatedPage.bytes
                let at = locatedPage.offset
                for slot in 0..<(PageGeometry.pageSize / MemfdFolioSer.size) {
                    let entry = at + slot * MemfdFolioSer.size
                    let word = page.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: entry) }
                    let pfn = word & MemfdFolioSer.pfnMask
                    if pfn == 0 { continue }
                    if let folio = block(containing: pfn << 12) { visited.insert(folio.phys) }
                    store(label(pfn << 12) | (word & ~MemfdFolioSer.pfnMask), into: &page, at: entry)
                }
                structures.append(.init(name: "folio array page \(index) of \(what)", bytes: page))
            }
        }
    }

    /// The FDT at `offset` of a block's bytes, and where its properties' values lie.
    func fdt(_ bytes: [UInt8], at offset: Int, _ what: String) throws(KHOImageError) -> LocatedFDT {
        let storage = ReadOnlyBytes(copying: bytes[offset...])
        do { return LocatedFDT(blob: try FDTBlob(storage: storage, label: what), storage: storage) } catch {
            throw .structure(what: what, error: .fdt(error))
        }
    }
}

/// An FDT over a copy of a block, with property value offsets.
private struct LocatedFDT {
    let blob: FDTBlob
    let storage: ReadOnlyBytes

    /// The offset from the FDT's start of `property`'s value in `node`.
    func offset(of property: String, in node: FDTNodeRef) -> Int? {
        guard let value = node.value(property), value.count == 8 else { return nil }
        return value.baseAddress! - UnsafeRawPointer(storage.base)
    }
}
