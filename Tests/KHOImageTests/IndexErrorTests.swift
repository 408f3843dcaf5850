import FDT
import Testing
@testable import KHOImage

/// The image index (the image file's own FDT): its compatible, cells,
/// regions, their order and file ranges, the reservation block and the
/// pointer to the KHO root FDT.
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
