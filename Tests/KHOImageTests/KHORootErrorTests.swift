import Glibc
import KHOImage
import Testing

/// The KHO root FDT and its preserved-memory map: corrupt or oversized
/// roots, null, cyclic or outside map nodes, preserved blocks outside the
/// image or overlapping, structures left unpreserved, the LUO subtree.
@Suite struct KHORootErrorTests {
    @Test func rootFDTCorrupt() throws {
        var image = try CraftedImage()
        let root = image.layout.khoRootFDTPhys
        image.put([0, 0, 0, 0], at: root)
        #expect(throws: KHOImageError.structure(what: "KHO root FDT at \(hex(root))", error: .fdt(.libfdt(
            .badMagic, function: "fdt_check_header", location: "KHO root FDT at \(hex(root)), byte offset \(image.offset(root))")))) {
            try image.decode()
        }
    }

    @Test func rootFDTTotalSizeBeyondItsPage() throws {
        var image = try CraftedImage()
        let root = image.layout.khoRootFDTPhys
        image.put(be32(4097), at: root + 4)
        #expect(throws: KHOImageError.structure(what: "KHO root FDT at \(hex(root))", error: .fdt(.libfdt(
            .truncated, function: "fdt_check_header", location: "KHO root FDT at \(hex(root)), byte offset \(image.offset(root))")))) {
            try image.decode()
        }
    }

    @Test func rootCompatibles() throws {
        var image = try CraftedImage()
        try image.replaceString(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "compatible", with: "kho-v1")
        // Relabelled kho-v1, its radix root is read as a khoser_mem_chunk:
        // the root's first entries make no sense as a chunk header.
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .memoryChunk(
            phys: image.layout.memoryMapPhys, problem: "order 163840 is above the kernel's maximum (MAX_PAGE_ORDER 10)"))) {
            try image.decode()
        }
        // A kho-v2 tree relabelled kho-v3 is read as v7.1's: its LUO node
        // lacks blob-size, and the kexec-metadata subtree v7.1 writes is missing.
        try image.replaceString(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "compatible", with: "kho-v3")
        #expect(throws: KHOImageError.missingSubtree(name: "kexec-metadata")) {
            try image.decode()
        }
        // Relabelled kho-v4 it is read as v7.2/v7.3's, which also needs blob-size and kexec-metadata.
        try image.replaceString(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "compatible", with: "kho-v4")
        #expect(throws: KHOImageError.missingSubtree(name: "kexec-metadata")) {
            try image.decode()
        }
        try image.replaceString(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "compatible", with: "kho-vX")
        #expect(throws: KHOImageError.structure(what: "KHO root FDT", error: .wrongCompatible(node: "/", expected: "kho-v4, kho-v3, kho-v2, kho-v1", found: "kho-vX"))) {
            try image.decode()
        }
    }

    @Test func memoryMapNull() throws {
        var image = try CraftedImage()
        try image.replaceU64(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "preserved-memory-map", with: 0)
        #expect(throws: KHOImageError.structure(what: "KHO root FDT", error: .invalidValue(
            field: "preserved-memory-map", value: 0, reason: "the memory map address is null"))) {
            try image.decode()
        }
    }

    @Test func memoryMapNodeOutsideTheImageOrUnaligned() throws {
        var image = try CraftedImage()
        try image.replaceU64(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "preserved-memory-map", with: 0x8000_0000)
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .radixTree(
            phys: 0x8000_0000, problem: "node page is not inside the image"))) {
            try image.decode()
        }
        let unaligned = image.layout.memoryMapPhys + 0x10
        try image.replaceU64(inFDTAt: image.layout.khoRootFDTPhys, path: "/", "preserved-memory-map", with: unaligned)
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .radixTree(
            phys: unaligned, problem: "node address is not page aligned"))) {
            try image.decode()
        }
        // A child pointer in the gap between the image's regions.
        image = try CraftedImage()
        let gap = image.layout.regions[0].end
        image.put(u64: gap, at: image.layout.memoryMapPhys + 7 * 8)
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .radixTree(
            phys: gap, problem: "node page is not inside the image"))) {
            try image.decode()
        }
    }

    @Test func memoryMapCycle() throws {
        var image = try CraftedImage()
        let root = image.layout.memoryMapPhys
        image.put(u64: root, at: root + 5 * 8)
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .radixTree(
            phys: root, problem: "node is reached twice (a cycle or shared subtree)"))) {
            try image.decode()
        }
    }

    @Test func memoryMapListingMoreBlocksThanPages() throws {
        var image = try CraftedImage()
        let (leaf, _) = image.leaf(for: image.layout.khoRootFDTPhys, order: 0)
        image.put([UInt8](repeating: 0xff, count: 4096), at: leaf)
        let pages = image.layout.regions.reduce(0) { $0 + Int($1.size / 4096) }
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .radixTree(
            phys: image.layout.memoryMapPhys, problem: "lists more blocks than the image has pages (\(pages))"))) {
            try image.decode()
        }
    }

    @Test func preservedBlockOutsideTheImage() throws {
        var image = try CraftedImage()
        let gap = image.layout.regions[0].end
        image.setPreservedBit(gap, order: 0, to: true)
        #expect(throws: KHOImageError.preservedBlock(phys: gap, order: 0, problem: "is not inside the image")) {
            try image.decode()
        }
        // The first page past the last region (same order-0 leaf).
        image = try CraftedImage()
        let end = image.layout.regions.last!.end
        image.setPreservedBit(end, order: 0, to: true)
        #expect(throws: KHOImageError.preservedBlock(phys: end, order: 0, problem: "is not inside the image")) {
            try image.decode()
        }
    }

    @Test func overlappingPreservedBlocks() throws {
        var image = try CraftedImage()
        let inside = image.layout.sessionHeaderPhys + 0x1000
        image.setPreservedBit(inside, order: 0, to: true)
        #expect(throws: KHOImageError.preservedBlock(phys: inside, order: 0, problem: "overlaps the block at \(hex(image.layout.sessionHeaderPhys)) of order 4")) {
            try image.decode()
        }
    }

    @Test func structuresMustBePreserved() throws {
        let good = try CraftedImage()
        let rootLength = UInt64(try KHOImageWriter().encode(CraftedImage.richState).khoRootFDT.count)
        let luoLength = UInt64(try KHOImageWriter().encode(CraftedImage.richState).luoFDT.count)
        var image = good
        image.setPreservedBit(good.layout.khoRootFDTPhys, order: 0, to: false)
        #expect(throws: KHOImageError.notPreserved(what: "KHO root FDT", phys: good.layout.khoRootFDTPhys, length: rootLength)) {
            try image.decode()
        }
        image = good
        image.setPreservedBit(good.layout.luoFDTPhys, order: 0, to: false)
        #expect(throws: KHOImageError.notPreserved(what: "LUO FDT", phys: good.layout.luoFDTPhys, length: luoLength)) {
            try image.decode()
        }
        image = good
        image.setPreservedBit(good.layout.sessionHeaderPhys, order: 4, to: false)
        #expect(throws: KHOImageError.notPreserved(what: "session header", phys: good.layout.sessionHeaderPhys, length: 8)) {
            try image.decode()
        }
        image = good
        image.setPreservedBit(good.layout.flbHeaderPhys, order: 0, to: false)
        #expect(throws: KHOImageError.notPreserved(what: "FLB header", phys: good.layout.flbHeaderPhys, length: 16)) {
            try image.decode()
        }
        image = good
        let files = good.layout.sessions[0].filesPhys
        image.setPreservedBit(files, order: 1, to: false)
        #expect(throws: KHOImageError.notPreserved(what: "file array of session \"alpha\"", phys: files, length: 128)) {
            try image.decode()
        }
    }

    @Test func missingLUOSubtree() throws {
        var image = try CraftedImage()
        let name = try image.nodeName(inFDTAt: image.layout.khoRootFDTPhys, path: "/LUO")
        image.put(Array("LUP".utf8), at: name)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .missingSubtree(name: "LUO"))
        #expect(error?.errno == ENOENT)
    }

    @Test func luoSubtreePointsOutsideTheImage() throws {
        var image = try CraftedImage()
        try image.replaceU64(inFDTAt: image.layout.khoRootFDTPhys, path: "/LUO", "preserved-data", with: 0x10)
        #expect(throws: KHOImageError.outsideImage(what: "LUO FDT", phys: 0x10, length: 40)) { try image.decode() }
        try image.replaceU64(inFDTAt: image.layout.khoRootFDTPhys, path: "/LUO", "preserved-data",
                             with: image.layout.regions[0].end - 8)
        #expect(throws: KHOImageError.straddlesRegions(what: "LUO FDT", phys: image.layout.regions[0].end - 8, length: 40)) {
            try image.decode()
        }
    }
}
