import FDT
import KernelABI
import HexFormat

/// The image index: the FDT at the start of every `.kho` file that says
/// where each region of physical memory is stored (see `docs/FORMAT.md`).
///
/// ```
/// /memreserve/ <phys> <size>;   (one per region)
/// / {
///     compatible = "luo-serialize,kho-image-v1";
///     #address-cells = <2>;
///     #size-cells = <2>;
///     page-size = <4096>;
///     kho-fdt = <u64 big-endian>;
///     region@<hex phys> { reg = <phys size>; offset = <u64 big-endian>; };
/// };
/// ```
public enum ImageIndex {
    /// The index's root compatible.
    public static let compatible = "luo-serialize,kho-image-v1"
    /// Node-name prefix of a region.
    public static let regionPrefix = "region@"

    /// Builds the index for `ranges` (ascending, non-overlapping, page
    /// aligned) and assigns each region its file offset: the first at the
    /// page boundary after the index, the rest back to back. The offsets are
    /// fixed-width, so the tree is built once with placeholders for them and
    /// they are filled in once its size is known.
    static func build(khoFDTPhys: UInt64, ranges: [(phys: UInt64, size: UInt64)])
        throws(FDTError) -> (bytes: [UInt8], regions: [ImageRegion]) {
        let writer = try FDTSequentialWriter(capacity: 1024 + ranges.count * 160)
        for range in ranges {
            try writer.addReservation(address: range.phys, size: range.size)
        }
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.property("compatible", string: compatible)
        try writer.property("#address-cells", cells: [2])
        try writer.property("#size-cells", cells: [2])
        try writer.property("page-size", cells: [UInt32(PageGeometry.pageSize)])
        try writer.property("kho-fdt", bigEndianU64: khoFDTPhys)
        var offsetSlots: [Int] = []
        offsetSlots.reserveCapacity(ranges.count)
        for range in ranges {
            try writer.beginNode(regionPrefix + Hex.digits(range.phys))
            try writer.property("reg", bytes: ByteOrderCoding.bigEndianBytes(range.phys)
                                + ByteOrderCoding.bigEndianBytes(range.size))
            offsetSlots.append(try writer.propertyPlaceholder("offset", count: 8))
            try writer.endNode()
        }
        try writer.endNode()
        try writer.finish()
        var offset = UInt64(PageGeometry.pageAlignUp(writer.totalSize))
        var regions: [ImageRegion] = []
        regions.reserveCapacity(ranges.count)
        for (range, slot) in zip(ranges, offsetSlots) {
            regions.append(ImageRegion(phys: range.phys, size: range.size, fileOffset: offset))
            writer.buffer.base.storeBytes(of: offset.bigEndian, toByteOffset: slot, as: UInt64.self)
            offset += range.size
        }
        return (writer.blob, regions)
    }

    /// What a valid index says.
    struct Contents {
        var khoFDTPhys: UInt64
        var regions: [ImageRegion]
    }

    /// Reads and checks an index whose file is `fileSize` bytes long: every
    /// property's shape and value, every region's name, alignment, order and
    /// file range, and the reservation block against the regions.
    static func parse(_ blob: FDTBlob, fileSize: Int) throws(KHOImageError) -> Contents {
        let root = blob.root
        let found = try index { () throws(FDTError) in try root.string("compatible") }
        guard found == compatible else {
            throw .indexValue(property: "compatible", reason: "is \"\(found)\", expected \"\(compatible)\"")
        }
        for cells in ["#address-cells", "#size-cells"] {
            let value = try index { () throws(FDTError) in try root.bigEndianU32(cells) }
            guard value == 2 else { throw .indexValue(property: cells, reason: "is \(value), expected 2") }
        }
        let pageSize = try index { () throws(FDTError) in try root.bigEndianU32("page-size") }
        guard pageSize == PageGeometry.pageSize else {
            throw .indexValue(property: "page-size", reason: "is \(pageSize), this tool handles only \(PageGeometry.pageSize)")
        }
        let khoFDT = try index { () throws(FDTError) in try root.bigEndianU64("kho-fdt") }
        let dataStart = UInt64(PageGeometry.pageAlignUp(blob.totalSize))
        var regions: [ImageRegion] = []
        for node in try index({ () throws(FDTError) in try root.subnodes() }) {
            regions.append(try parseRegion(node, dataStart: dataStart, fileSize: UInt64(fileSize), previous: regions.last))
        }
        let byOffset = regions.sorted { $0.fileOffset < $1.fileOffset }
        for (earlier, later) in zip(byOffset, byOffset.dropFirst()) where later.fileOffset < earlier.fileOffset + earlier.size {
            throw .region(name: regionPrefix + Hex.digits(later.phys),
                          problem: "file range overlaps that of region@\(Hex.digits(earlier.phys))")
        }
        let reservations = try index { () throws(FDTError) in try blob.memoryReservations() }
        guard reservations.count == regions.count,
              zip(reservations, regions).allSatisfy({ $0.address == $1.phys && $0.size == $1.size }) else {
            throw .indexValue(property: "memory reservation block",
                              reason: "lists \(reservations.count) ranges that do not match the \(regions.count) regions")
        }
        return Contents(khoFDTPhys: khoFDT, regions: regions)
    }

    /// Runs a read of the index's FDT; a malformed tree is ``KHOImageError/index(_:)``.
    private static func index<T>(_ read: () throws(FDTError) -> T) throws(KHOImageError) -> T {
        do { return try read() } catch { throw .index(error) }
    }

    private static func parseRegion(_ node: FDTNodeRef, dataStart: UInt64, fileSize: UInt64,
                                    previous: ImageRegion?) throws(KHOImageError) -> ImageRegion {
        let name = node.name
        guard name.hasPrefix(regionPrefix), let named = UInt64(name.dropFirst(regionPrefix.count), radix: 16) else {
            throw KHOImageError.region(name: name, problem: "is not named region@<hex address>")
        }
        let reg = try index { () throws(FDTError) in try node.bytes("reg", count: 16) }
        let phys = ByteOrderCoding.readBigEndian(UInt64.self, reg, at: 0)
        let size = ByteOrderCoding.readBigEndian(UInt64.self, reg, at: 8)
        let offset = try index { () throws(FDTError) in try node.bigEndianU64("offset") }
        func fail(_ problem: String) -> KHOImageError { .region(name: name, problem: problem) }
        guard Hex.digits(phys) == name.dropFirst(regionPrefix.count), named == phys else {
            throw fail("unit address does not match reg address \(Hex.format(phys))")
        }
        guard PageGeometry.isPageAligned(phys), PageGeometry.isPageAligned(size) else {
            throw fail("address or size is not page aligned")
        }
        guard size > 0 else { throw fail("is empty") }
        guard phys &+ size > phys else { throw fail("address range wraps around") }
        if let previous {
            guard phys >= previous.end else {
                throw fail(phys < previous.phys ? "is not in ascending address order"
                                                : "overlaps region@\(Hex.digits(previous.phys))")
            }
        }
        guard PageGeometry.isPageAligned(offset) else { throw fail("file offset \(Hex.format(offset)) is not page aligned") }
        guard offset >= dataStart else { throw fail("file offset \(Hex.format(offset)) overlaps the index") }
        guard offset <= fileSize, size <= fileSize - offset else {
            throw fail("file range \(Hex.format(offset))+\(Hex.format(size)) runs past the end of the file (\(fileSize) bytes)")
        }
        return ImageRegion(phys: phys, size: size, fileOffset: offset)
    }
}
