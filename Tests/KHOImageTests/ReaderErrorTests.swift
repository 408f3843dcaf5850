import FDT
import Glibc
import HandoverModel
import KernelABI
import Testing
@testable import KHOImage

@Suite struct ReaderInputTests {
    @Test func richStateRoundTrips() throws {
        let image = try CraftedImage()
        let decoded = try image.decode()
        #expect(decoded.state == CraftedImage.richState)
        #expect(decoded.layout == image.layout)
        #expect(decoded.unreferencedBlocks.isEmpty)
    }

    @Test func fileTooSmall() {
        #expect(throws: KHOImageError.fileTooSmall(size: 39)) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: [UInt8](repeating: 0, count: 39)))
        }
        #expect(throws: KHOImageError.fileTooSmall(size: 0)) { try KHOImageReader.decode(ReadOnlyBytes(copying: [])) }
    }

    @Test func notAnFDT() throws {
        #expect(throws: KHOImageError.notAnFDT(.libfdt(.badMagic, function: "fdt_check_header", location: "input, byte offset 0"))) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: [UInt8](repeating: 0, count: 4096)))
        }
        let writer = try FDTSequentialWriter(capacity: 256)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.endNode()
        try writer.finish()
        #expect(throws: KHOImageError.notAnFDT(.missingProperty(node: "/", property: "compatible"))) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: writer.blob))
        }
    }

    static func bareFDT(compatible: String) throws -> ReadOnlyBytes {
        let writer = try FDTSequentialWriter(capacity: 256)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.property("compatible", string: compatible)
        try writer.endNode()
        try writer.finish()
        return ReadOnlyBytes(copying: writer.blob)
    }

    @Test func unknownRootCompatible() throws {
        #expect(throws: KHOImageError.unknownInput(compatible: "acme,widget")) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "acme,widget"))
        }
        // An index of another format version is not an index.
        #expect(throws: KHOImageError.unknownInput(compatible: "luo-serialize,kho-image-v2")) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "luo-serialize,kho-image-v2"))
        }
    }

    @Test func bareFDTsOfOtherGenerations() throws {
        // kho-v1 (v6.19, v7.0) is read now: a bare root without its memory map is refused for that.
        #expect(throws: KHOImageError.structure(what: "KHO root FDT", error: .fdt(.missingProperty(node: "/", property: "preserved-memory-map")))) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "kho-v1"))
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(node: "/", found: "luo-v2", supported: "luo-v1"))) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "luo-v2"))
        }
        #expect(throws: KHOImageError.structure(what: "KHO root FDT", error: .fdt(.missingProperty(node: "/", property: "preserved-memory-map")))) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "kho-v2"))
        }
    }

    @Test func bareFDTsAreReadButAreNotImages() throws {
        let image = try KHOImageWriter().encode(CraftedImage.richState)
        guard case let .luoFDT(luo, _) = try KHOImageReader.decode(ReadOnlyBytes(copying: image.luoFDT)) else {
            Issue.record("not read as a LUO FDT"); return
        }
        #expect(luo == LUOv1FDT.Contents(liveupdateNumber: 5, sessionHeaderPhys: image.layout.sessionHeaderPhys,
                                         flbHeaderPhys: image.layout.flbHeaderPhys))
        guard case let .khoRootFDT(root, _) = try KHOImageReader.decode(ReadOnlyBytes(copying: image.khoRootFDT)) else {
            Issue.record("not read as a KHO root FDT"); return
        }
        #expect(root.memoryMapPhys == image.layout.memoryMapPhys)
        #expect(root.subtrees.map(\.name) == ["LUO"])
        #expect(throws: KHOImageError.indexValue(property: "compatible", reason: "input is a bare LUO FDT, not an image")) {
            try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.luoFDT))
        }
        #expect(throws: KHOImageError.indexValue(property: "compatible", reason: "input is a bare KHO root FDT, not an image")) {
            try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.khoRootFDT))
        }
    }

    @Test func filesystemErrors() throws {
        let directory = "/tmp/luo-reader-tests-\(getpid())"
        mkdir(directory, 0o755)
        defer { rmdir(directory) }
        #expect(throws: KHOImageError.io(path: "\(directory)/absent", operation: "open", errno: ENOENT)) {
            try KHOImageReader.read(path: "\(directory)/absent")
        }
        #expect(throws: KHOImageError.io(path: directory, operation: "open (not a regular file)", errno: EINVAL)) {
            try KHOImageReader.read(path: directory)
        }
        let empty = "\(directory)/empty"
        close(open(empty, O_CREAT | O_WRONLY, 0o644))
        defer { unlink(empty) }
        #expect(throws: KHOImageError.fileTooSmall(size: 0)) { try KHOImageReader.read(path: empty) }
        // A sparse file one byte over the limit is refused before it is mapped.
        let huge = "\(directory)/huge"
        let descriptor = open(huge, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(descriptor, off_t(KHOImageReader.maximumImageSize + 1)) == 0)
        close(descriptor)
        defer { unlink(huge) }
        let error = #expect(throws: KHOImageError.self) { try KHOImageReader.read(path: huge) }
        #expect(error == .fileTooLarge(size: KHOImageReader.maximumImageSize + 1, limit: 1 << 40))
        #expect(error?.errno == EFBIG)
    }

    @Test func imageFileReadsBackFromDisk() throws {
        let image = try KHOImageWriter().encode(CraftedImage.richState)
        let path = "/tmp/luo-reader-tests-\(getpid()).kho"
        try image.write(to: path)
        defer { unlink(path) }
        #expect(try KHOImageReader.readImage(path: path).state == CraftedImage.richState)
    }
}

@Suite struct IndexErrorTests {
    /// One region at 0x1000 (one page at file offset 0x1000).
    static func oneRegion() -> IndexBuilder {
        var builder = IndexBuilder()
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000)
        return builder
    }

    @Test func wellFormedIndexGetsAsFarAsTheKHORootFDT() throws {
        // The region is all zeros: the index passed, the root FDT did not.
        #expect(throws: KHOImageError.structure(what: "KHO root FDT at 0x1000", error: .fdt(.libfdt(
            .badMagic, function: "fdt_check_header", location: "KHO root FDT at 0x1000, byte offset 4096"))) ) {
            try Self.oneRegion().decode()
        }
    }

    @Test func wrongCompatibleInParse() throws {
        var builder = Self.oneRegion()
        builder.compatible = "luo-serialize,kho-image-v0"
        let blob = try FDTBlob(bytes: Array(try builder.file.prefix(4096)))
        #expect(throws: KHOImageError.indexValue(property: "compatible",
                                                 reason: "is \"luo-serialize,kho-image-v0\", expected \"luo-serialize,kho-image-v1\"")) {
            try ImageIndex.parse(blob, fileSize: 8192)
        }
    }

    @Test func cellsAndPageSize() {
        var builder = Self.oneRegion()
        builder.set("#address-cells", be32(1))
        #expect(throws: KHOImageError.indexValue(property: "#address-cells", reason: "is 1, expected 2")) { try builder.decode() }
        builder = Self.oneRegion()
        builder.set("#size-cells", be32(3))
        #expect(throws: KHOImageError.indexValue(property: "#size-cells", reason: "is 3, expected 2")) { try builder.decode() }
        builder = Self.oneRegion()
        builder.set("#address-cells", be64(2))
        #expect(throws: KHOImageError.index(.badPropertyLength(node: "/", property: "#address-cells", expected: 4, actual: 8))) {
            try builder.decode()
        }
        builder = Self.oneRegion()
        builder.set("#size-cells", nil)
        #expect(throws: KHOImageError.index(.missingProperty(node: "/", property: "#size-cells"))) { try builder.decode() }
        builder = Self.oneRegion()
        builder.set("page-size", be32(16384))
        #expect(throws: KHOImageError.indexValue(property: "page-size", reason: "is 16384, this tool handles only 4096")) {
            try builder.decode()
        }
    }

    @Test func khoFDTProperty() {
        var builder = Self.oneRegion()
        builder.set("kho-fdt", be32(0x1000))
        #expect(throws: KHOImageError.index(.badPropertyLength(node: "/", property: "kho-fdt", expected: 8, actual: 4))) {
            try builder.decode()
        }
        builder.set("kho-fdt", nil)
        #expect(throws: KHOImageError.index(.missingProperty(node: "/", property: "kho-fdt"))) { try builder.decode() }
    }

    @Test func regionNames() {
        var builder = IndexBuilder()
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000, name: "memory@1000")
        #expect(throws: KHOImageError.region(name: "memory@1000", problem: "is not named region@<hex address>")) { try builder.decode() }
        builder = IndexBuilder()
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000, name: "region@xyz")
        #expect(throws: KHOImageError.region(name: "region@xyz", problem: "is not named region@<hex address>")) { try builder.decode() }
        builder = IndexBuilder()
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000, name: "region@2000")
        #expect(throws: KHOImageError.region(name: "region@2000", problem: "unit address does not match reg address 0x1000")) {
            try builder.decode()
        }
        builder = IndexBuilder()
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000, name: "region@01000")
        #expect(throws: KHOImageError.region(name: "region@01000", problem: "unit address does not match reg address 0x1000")) {
            try builder.decode()
        }
    }

    @Test func regionProperties() {
        var builder = IndexBuilder()
        builder.regions = [("region@1000", [("reg", be64(0x1000)), ("offset", be64(0x1000))])]
        #expect(throws: KHOImageError.index(.badPropertyLength(node: "/region@1000", property: "reg", expected: 16, actual: 8))) {
            try builder.decode()
        }
        builder.regions = [("region@1000", [("reg", be64(0x1000) + be64(0x1000))])]
        #expect(throws: KHOImageError.index(.missingProperty(node: "/region@1000", property: "offset"))) { try builder.decode() }
    }

    @Test func regionGeometry() {
        func one(_ phys: UInt64, _ size: UInt64, _ offset: UInt64 = 0x1000) -> IndexBuilder {
            var builder = IndexBuilder()
            builder.addRegion(phys: phys, size: size, offset: offset)
            return builder
        }
        #expect(throws: KHOImageError.region(name: "region@1800", problem: "address or size is not page aligned")) {
            try one(0x1800, 0x1000).decode()
        }
        #expect(throws: KHOImageError.region(name: "region@1000", problem: "address or size is not page aligned")) {
            try one(0x1000, 0x800).decode()
        }
        #expect(throws: KHOImageError.region(name: "region@1000", problem: "is empty")) { try one(0x1000, 0).decode() }
        #expect(throws: KHOImageError.region(name: "region@fffffffffffff000", problem: "address range wraps around")) {
            try one(0xffff_ffff_ffff_f000, 0x2000).decode()
        }
        #expect(throws: KHOImageError.region(name: "region@1000", problem: "file offset 0x1800 is not page aligned")) {
            try one(0x1000, 0x1000, 0x1800).decode()
        }
        #expect(throws: KHOImageError.region(name: "region@1000", problem: "file offset 0x0 overlaps the index")) {
            try one(0x1000, 0x1000, 0).decode()
        }
        #expect(throws: KHOImageError.region(name: "region@1000",
                                             problem: "file range 0x1000+0x2000 runs past the end of the file (8192 bytes)")) {
            try one(0x1000, 0x2000).decode()
        }
        #expect(throws: KHOImageError.region(name: "region@1000",
                                             problem: "file range 0x3000+0x1000 runs past the end of the file (8192 bytes)")) {
            try one(0x1000, 0x1000, 0x3000).decode()
        }
    }

    @Test func regionOrder() {
        var builder = IndexBuilder()
        builder.dataPages = 2
        builder.addRegion(phys: 0x3000, size: 0x1000, offset: 0x1000)
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x2000)
        #expect(throws: KHOImageError.region(name: "region@1000", problem: "is not in ascending address order")) { try builder.decode() }
        builder = IndexBuilder()
        builder.dataPages = 3
        builder.addRegion(phys: 0x1000, size: 0x2000, offset: 0x1000)
        builder.addRegion(phys: 0x2000, size: 0x1000, offset: 0x3000)
        #expect(throws: KHOImageError.region(name: "region@2000", problem: "overlaps region@1000")) { try builder.decode() }
    }

    @Test func overlappingFileRanges() {
        var builder = IndexBuilder()
        builder.dataPages = 2
        builder.addRegion(phys: 0x1000, size: 0x2000, offset: 0x1000)
        builder.addRegion(phys: 0x10000, size: 0x1000, offset: 0x2000)
        #expect(throws: KHOImageError.region(name: "region@10000", problem: "file range overlaps that of region@1000")) {
            try builder.decode()
        }
    }

    @Test func reservationBlockMustListTheRegions() {
        var builder = IndexBuilder()
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000, reserve: false)
        #expect(throws: KHOImageError.indexValue(property: "memory reservation block",
                                                 reason: "lists 0 ranges that do not match the 1 regions")) { try builder.decode() }
        builder.reservations = [(0x1000, 0x2000)]
        #expect(throws: KHOImageError.indexValue(property: "memory reservation block",
                                                 reason: "lists 1 ranges that do not match the 1 regions")) { try builder.decode() }
        builder.reservations = [(0x1000, 0x1000), (0x5000, 0x1000)]
        #expect(throws: KHOImageError.indexValue(property: "memory reservation block",
                                                 reason: "lists 2 ranges that do not match the 1 regions")) { try builder.decode() }
    }

    @Test func khoRootPointerOutsideOrStraddling() {
        var builder = IndexBuilder()
        builder.dataPages = 2
        builder.addRegion(phys: 0x1000, size: 0x1000, offset: 0x1000)
        builder.addRegion(phys: 0x5000, size: 0x1000, offset: 0x2000)
        for outside: UInt64 in [0, 0xfff, 0x2000, 0x4ff8, 0x6000, 0xffff_ffff_ffff_ffff] {
            builder.set("kho-fdt", be64(outside))
            #expect(throws: KHOImageError.outsideImage(what: "KHO root FDT", phys: outside, length: 40)) { try builder.decode() }
        }
        builder.set("kho-fdt", be64(0x1ff0))
        #expect(throws: KHOImageError.straddlesRegions(what: "KHO root FDT", phys: 0x1ff0, length: 40)) { try builder.decode() }
    }
}

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

@Suite struct LUOErrorTests {
    @Test func luoFDTCorrupt() throws {
        var image = try CraftedImage()
        let luo = image.layout.luoFDTPhys
        image.put(be32(15), at: luo + 20)
        #expect(throws: KHOImageError.structure(what: "LUO FDT at \(hex(luo))", error: .fdt(.libfdt(
            .badVersion, function: "fdt_check_header", location: "LUO FDT at \(hex(luo)), byte offset \(image.offset(luo))")))) {
            try image.decode()
        }
    }

    @Test func luoGenerations() throws {
        let luo = try CraftedImage().layout.luoFDTPhys
        func patched(_ path: String, _ value: String) throws -> CraftedImage {
            var image = try CraftedImage()
            try image.replaceString(inFDTAt: luo, path: path, "compatible", with: value)
            return image
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(node: "/", found: "luo-v2", supported: "luo-v1"))) {
            try patched("/", "luo-v2").decode()
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .wrongCompatible(node: "/", expected: "luo-v1", found: "luo-vZ"))) {
            try patched("/", "luo-vZ").decode()
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(
            node: "/luo-session", found: "luo-session-v1", supported: "luo-session-v2"))) {
            try patched("/luo-session", "luo-session-v1").decode()
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(
            node: "/luo-flb", found: "luo-flb-v2", supported: "luo-flb-v1"))) {
            try patched("/luo-flb", "luo-flb-v2").decode()
        }
    }

    @Test func sessionCount() throws {
        var image = try CraftedImage()
        let header = image.layout.sessionHeaderPhys
        image.put(u64: 820, at: header)
        #expect(throws: KHOImageError.structure(what: "session header at \(hex(header))", error: .countOutOfRange(
            field: "count", count: 820, maximum: 819))) {
            try image.decode()
        }
        // One more than was written: the fourth entry is all zeros, a
        // session with an empty name and no files, which the incoming
        // kernel takes (with a warning: this generation never creates one).
        image.put(u64: 4, at: header)
        let decoded = try image.decode()
        #expect(decoded.state.sessions.map(\.name) == ["alpha", "beta", "m", SessionName(bytes: [])])
        #expect(decoded.warnings == [.emptySessionName(index: 3)])
        // 819 is allowed and fits the 16 pages; entry 4 is a second empty name.
        image.put(u64: 819, at: header)
        #expect(throws: KHOImageError.duplicateSession(name: SessionName(bytes: []))) {
            try image.decode()
        }
    }

    @Test func fileCount() throws {
        var image = try CraftedImage()
        let alpha = image.layout.sessions[0].entryPhys
        image.put(u64: 129, at: alpha + 72)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\"", error: .countOutOfRange(
            field: "file_set_ser.count", count: 129, maximum: 128))) {
            try image.decode()
        }
        // 128 files is within the limit; the third entry is zeros.
        image.put(u64: 128, at: alpha + 72)
        let files = image.layout.sessions[0].filesPhys
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 2 at \(hex(files + 128))", error: .badString(
            field: "file 2 compatible", problem: .empty))) {
            try image.decode()
        }
    }

    @Test func filesAndCountInconsistent() throws {
        var image = try CraftedImage()
        let beta = image.layout.sessions[1].entryPhys
        image.put(u64: 1, at: beta + 72)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.count", value: 1, reason: "files and count must be zero together"))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put(u64: 0x1234_5000, at: beta + 64)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.files", value: 0x1234_5000, reason: "files and count must be zero together"))) {
            try image.decode()
        }
    }

    @Test func fileArrayOutsideTheImage() throws {
        var image = try CraftedImage()
        let alpha = image.layout.sessions[0].entryPhys
        image.put(u64: 0x7000_0000, at: alpha + 64)
        #expect(throws: KHOImageError.outsideImage(what: "file array of session \"alpha\"", phys: 0x7000_0000, length: 128)) {
            try image.decode()
        }
        // The last 64 bytes of a region: two entries run past it.
        let end = image.layout.regions.last!.end
        image.put(u64: end - 64, at: alpha + 64)
        #expect(throws: KHOImageError.straddlesRegions(what: "file array of session \"alpha\"", phys: end - 64, length: 128)) {
            try image.decode()
        }
    }

    @Test func sessionNames() throws {
        let alpha = try CraftedImage().layout.sessions[0].entryPhys
        let what = "session block entry 0 at \(hex(alpha))"
        var image = try CraftedImage()
        image.put([UInt8](repeating: 0x61, count: 64), at: alpha)
        #expect(throws: KHOImageError.structure(what: what, error: .badString(field: "session 0 name", problem: .unterminated))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put([0x7a], at: alpha + 40)
        #expect(throws: KHOImageError.structure(what: what, error: .badString(field: "session 0 name", problem: .bytesAfterTerminator(offset: 40)))) {
            try image.decode()
        }
        // An empty name: luo_session_deserialize copies it without a check.
        image = try CraftedImage()
        image.put(zeroBytes(64), at: alpha)
        let empty = try image.decode()
        #expect(empty.state.sessions[0].name.bytes.isEmpty)
        #expect(empty.warnings == [.emptySessionName(index: 0)])
        #expect(ReaderWarning.emptySessionName(index: 0).description == "session 0 has an empty name: the incoming kernel"
            + " accepts it, but only v6.19 and v7.0 as released create one (encode refuses it for this generation,"
            + " so this state cannot be encoded again as it is)")
        // Any other bytes are a name to the kernel: no encoding is required.
        image = try CraftedImage()
        image.put([0xff], at: alpha)
        #expect(try image.decode().state.sessions[0].name == SessionName(bytes: [0xff] + Array("lpha".utf8)))
    }

    @Test func fileCompatibles() throws {
        let files = try CraftedImage().layout.sessions[0].filesPhys
        var image = try CraftedImage()
        image.put([UInt8](repeating: 0x63, count: 48), at: files)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 0 at \(hex(files))", error: .badString(
            field: "file 0 compatible", problem: .unterminated))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put([0x21], at: files + 64 + 47)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 1 at \(hex(files + 64))", error: .badString(
            field: "file 1 compatible", problem: .bytesAfterTerminator(offset: 47)))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put(zeroBytes(48), at: files + 64)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 1 at \(hex(files + 64))", error: .badString(
            field: "file 1 compatible", problem: .empty))) {
            try image.decode()
        }
    }

    @Test func duplicateSessionNames() throws {
        var image = try CraftedImage()
        image.put(field("alpha", 64), at: image.layout.sessions[1].entryPhys)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .duplicateSession(name: "alpha"))
        #expect(error?.errno == EEXIST)
    }

    @Test func duplicateTokens() throws {
        var image = try CraftedImage()
        image.put(u64: 10, at: image.layout.sessions[0].filesPhys + 64 + 56)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .duplicateToken(session: "alpha", token: 10))
        #expect(error?.errno == EEXIST)
    }

    @Test func flbHeader() throws {
        var image = try CraftedImage()
        let flb = image.layout.flbHeaderPhys
        image.put(u64: 2, at: flb)
        #expect(throws: KHOImageError.structure(what: "FLB header at \(hex(flb))", error: .invalidValue(
            field: "pgcnt", value: 2, reason: "luo-flb-v1 blocks are 1 page"))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put(u64: 64, at: flb + 8)
        #expect(throws: KHOImageError.structure(what: "FLB header at \(hex(flb))", error: .countOutOfRange(
            field: "count", count: 64, maximum: 63))) {
            try image.decode()
        }
        image.put(u64: 3, at: flb + 8)
        #expect(throws: KHOImageError.structure(what: "FLB entry 2", error: .badString(field: "FLB 2 name", problem: .empty))) {
            try image.decode()
        }
    }

    @Test func flbEntries() throws {
        let flb = try CraftedImage().layout.flbHeaderPhys
        var image = try CraftedImage()
        image.put(field("iommu-v1", 48), at: flb + 16 + 64)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .duplicateFLB(name: "iommu-v1"))
        #expect(error?.errno == EEXIST)
        image = try CraftedImage()
        image.put(u64: 0, at: flb + 16 + 64 + 56)
        // The incoming kernel takes a count of 0 (no outgoing kernel writes
        // one): decoded, with a warning.
        let decoded = try image.decode()
        #expect(decoded.state.flbs.map(\.count) == [1, 0])
        #expect(decoded.warnings == [.emptyFLB(name: "dma-v1")])
        image = try CraftedImage()
        image.put([0x78], at: flb + 16 + 64 + 47)
        #expect(throws: KHOImageError.structure(what: "FLB entry 1", error: .badString(
            field: "FLB 1 name", problem: .bytesAfterTerminator(offset: 47)))) {
            try image.decode()
        }
    }
}

@Suite struct MemfdErrorTests {
    static func memfd(_ problem: String) -> KHOImageError { .memfd(session: "m", token: 1, problem: problem) }

    @Test func sizeAndFolioCount() throws {
        var image = try CraftedImage()
        image.put(u64: 0, at: image.memfdSer + 16)
        #expect(throws: Self.memfd("size is 5000 but nr_folios is 0")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 0, at: image.memfdSer + 8)
        #expect(throws: Self.memfd("size is 0 but nr_folios or the folio descriptor is not")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 257, at: image.memfdSer + 16)
        #expect(throws: Self.memfd("nr_folios 257 does not fit the folio array's 1 pages")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 9000, at: image.memfdSer + 8)
        #expect(throws: Self.memfd("size 9000 is larger than the 8192 bytes of its preserved folios")) { try image.decodeMemfd() }
    }

    @Test func serOutsideOrNotPreserved() throws {
        var image = try CraftedImage()
        let file = image.layout.sessions[2].filesPhys
        image.put(u64: 0x7000_0000, at: file + 48)
        #expect(throws: KHOImageError.outsideImage(what: "memfd_luo_ser of session \"m\" token 0x1", phys: 0x7000_0000, length: 40)) {
            try image.decodeMemfd()
        }
        // The radix tree's root page is in the image but not preserved.
        image.put(u64: image.layout.memoryMapPhys, at: file + 48)
        #expect(throws: KHOImageError.notPreserved(what: "memfd_luo_ser of session \"m\" token 0x1",
                                                   phys: image.layout.memoryMapPhys, length: 40)) {
            try image.decodeMemfd()
        }
    }

    @Test func vmallocDescriptor() throws {
        var image = try CraftedImage()
        let ser = image.memfdSer
        image.put(u64: 0, at: ser + 24)
        #expect(throws: Self.memfd("the folio array descriptor has no first chunk")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(le16(4), at: ser + 36)
        #expect(throws: Self.memfd("the folio array descriptor has unknown flags 0x4")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(le16(11), at: ser + 38)
        #expect(throws: Self.memfd("the folio array descriptor has order 11, above 10")) { try image.decodeMemfd() }
        image = try CraftedImage()
        let pages = image.layout.regions.reduce(0) { $0 + Int($1.size / 4096) }
        image.put(le32(0), at: ser + 32)
        #expect(throws: Self.memfd("the folio array claims 0 pages; the image holds \(pages)")) { try image.decodeMemfd() }
        image.put(le32(UInt32(pages + 1)), at: ser + 32)
        #expect(throws: Self.memfd("the folio array claims \(pages + 1) pages; the image holds \(pages)")) { try image.decodeMemfd() }
        image.put(le32(2), at: ser + 32)
        #expect(throws: Self.memfd("the vmalloc chunks list 1 pages, total_pages is 2")) { try image.decodeMemfd() }
    }

    @Test func chunkList() throws {
        var image = try CraftedImage()
        let chunk = image.memfdChunk
        image.put(u64: chunk, at: chunk)
        #expect(throws: Self.memfd("the vmalloc chunk list loops back to \(hex(chunk))")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: chunk + 8, at: image.memfdSer + 24)
        #expect(throws: Self.memfd("vmalloc chunk \(hex(chunk + 8)) is not page aligned")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 0x7000_0000, at: image.memfdSer + 24)
        #expect(throws: KHOImageError.outsideImage(what: "vmalloc chunk of session \"m\" token 0x1", phys: 0x7000_0000, length: 4096)) {
            try image.decodeMemfd()
        }
        // A second array page where total_pages is 1.
        image = try CraftedImage()
        image.put(u64: image.memfdArray, at: chunk + 16)
        #expect(throws: Self.memfd("the vmalloc chunks list more than total_pages (1) pages")) { try image.decodeMemfd() }
        // An array page that is not preserved.
        image = try CraftedImage()
        image.put(u64: image.layout.memoryMapPhys, at: chunk + 8)
        #expect(throws: KHOImageError.notPreserved(what: "folio array page", phys: image.layout.memoryMapPhys, length: 4096)) {
            try image.decodeMemfd()
        }
    }

    @Test func folioEntries() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let first = image.u64(array)
        let inside = image.layout.sessionHeaderPhys + 0x1000
        image.put(u64: (first & ~((1 << 52) - 1)) | (inside >> 12), at: array)
        #expect(throws: Self.memfd("folio 0 at \(hex(inside)) is not the start of a preserved block")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: first | (4 << 52), at: array)
        #expect(throws: Self.memfd("folio 0 has unknown flags 0x7")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 2, at: array + 16 + 8)
        #expect(throws: Self.memfd("folio 1 has index 2, past the file size 5000")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 0, at: array + 16 + 8)
        #expect(throws: Self.memfd("folios at indices 0 and 0 overlap")) { try image.decodeMemfd() }
    }
}

/// Blocks the kernel restores once, referenced twice: the reader used to
/// accept these (a shared file array is `kho_restore_free`d twice by
/// `luo_file_finish`; a second `kho_restore_folio` of one folio fails).
@Suite struct DoubleUseTests {
    @Test func twoSessionsShareAFileArray() throws {
        var image = try CraftedImage()
        let beta = image.layout.sessions[1].entryPhys
        let files = image.layout.sessions[0].filesPhys
        image.put(u64: files, at: beta + 64)
        image.put(u64: 2, at: beta + 72)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.files", value: files,
            reason: "lies in the preserved block at \(hex(files)), which another structure already uses"))) {
            try image.decode()
        }
        // The second half of alpha's array is the same block.
        image.put(u64: files + 64, at: beta + 64)
        image.put(u64: 1, at: beta + 72)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.files", value: files + 64,
            reason: "lies in the preserved block at \(hex(files)), which another structure already uses"))) {
            try image.decode()
        }
    }

    @Test func fileArrayInsideTheSessionBlock() throws {
        var image = try CraftedImage()
        let header = image.layout.sessionHeaderPhys
        image.put(u64: header + 0x1000, at: image.layout.sessions[0].entryPhys + 64)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\"", error: .invalidValue(
            field: "file_set_ser.files", value: header + 0x1000,
            reason: "lies in the preserved block at \(hex(header)), which another structure already uses"))) {
            try image.decode()
        }
    }

    @Test func oneFolioForTwoFilePages() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let first = image.u64(array)
        image.put(u64: first, at: array + 16)
        let phys = (first & ((1 << 52) - 1)) << 12
        #expect(throws: MemfdErrorTests.memfd("folio 1 at \(hex(phys)) is already used by another folio or structure")) {
            try image.decodeMemfd()
        }
    }

    @Test func folioThatIsAnotherStructure() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let luo = image.layout.luoFDTPhys
        image.put(u64: (image.u64(array) & ~((1 << 52) - 1)) | (luo >> 12), at: array)
        #expect(throws: MemfdErrorTests.memfd("folio 0 at \(hex(luo)) is already used by another folio or structure")) {
            try image.decodeMemfd()
        }
    }
}
