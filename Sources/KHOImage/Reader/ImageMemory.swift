import FDT
import HandoverModel
import HexFormat
import KernelABI

/// The physical memory a decoded image holds, as the incoming kernel would
/// see it: the image's regions over the one mapping of its file, read-only.
/// Every access names what it reads and is checked to lie wholly inside one
/// region; the mapping lives as long as any copy of this value.
public struct ImageMemory: Sendable {
    /// The mapped file, index included.
    let storage: ReadOnlyBytes
    /// Regions in ascending physical order (the index guarantees it).
    public let regions: [ImageRegion]
    /// The file `storage` maps, when it is one: memfd contents are read
    /// back as ranges of it.
    let file: ContentFile?

    init(storage: ReadOnlyBytes, regions: [ImageRegion], file: ContentFile? = nil) {
        self.storage = storage
        self.regions = regions
        self.file = file
    }

    /// The image file's size in bytes.
    public var fileSize: Int { storage.count }

    /// Pages the regions hold in total.
    var totalPages: Int { regions.reduce(0) { $0 + Int($1.size >> UInt64(PageGeometry.pageShift)) } }

    /// The region holding `phys`, or `nil`.
    public func region(containing phys: UInt64) -> ImageRegion? {
        regions.runIndex(containing: phys).map { regions[$0] }
    }

    /// The file offset of `phys`, after checking that `length` bytes from
    /// there lie inside one region.
    /// `what` is only built for an error.
    func fileOffset(of phys: UInt64, length: UInt64, what: @autoclosure () -> String) throws(KHOImageError) -> Int {
        guard let region = region(containing: phys) else {
            throw .outsideImage(what: what(), phys: phys, length: length)
        }
        guard length <= region.end - phys else {
            throw .straddlesRegions(what: what(), phys: phys, length: length)
        }
        return Int(region.fileOffset(of: phys))
    }

    /// The `length` bytes at `phys`, in place: valid while `self` (or the
    /// image holding it) is alive, which the reader's walk guarantees.
    func bytes(at phys: UInt64, length: Int, what: @autoclosure () -> String) throws(KHOImageError) -> UnsafeRawBufferPointer {
        let offset = try fileOffset(of: phys, length: UInt64(length), what: what())
        return UnsafeRawBufferPointer(rebasing: storage.rawBuffer[offset..<(offset + length)])
    }

    /// The `length` bytes at `phys` as a ``HandoverModel/ByteSource``: a
    /// range of the mapped file when there is one (nothing is copied, and
    /// the mapping's pages are not touched), else a copy.
    func source(at phys: UInt64, length: Int, what: @autoclosure () -> String) throws(KHOImageError) -> ByteSource {
        let offset = try fileOffset(of: phys, length: UInt64(length), what: what())
        if let file { return ByteSource(file: file, offset: Int64(offset), count: length) }
        return ByteSource(withExtendedLifetime(storage) { Array(storage.rawBuffer[offset..<(offset + length)]) })
    }

    /// A copy of the `length` bytes at `phys`, checked to lie inside one
    /// region: else ``KHOImageError/outsideImage(what:phys:length:)`` or
    /// ``KHOImageError/straddlesRegions(what:phys:length:)``, naming `what`.
    public func copyBytes(at phys: UInt64, length: Int, what: String) throws(KHOImageError) -> [UInt8] {
        precondition(length >= 0, "negative length")
        let bytes = try bytes(at: phys, length: length, what: what)
        return withExtendedLifetime(storage) { Array(bytes) }
    }

    /// Hands `body` the whole image file as it is mapped (index, padding and
    /// regions); the bytes must not escape it.
    public func withFileBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(storage.rawBuffer) }
    }

    /// The FDT at `phys`, validated, allowed to span at most `maxLength`
    /// bytes (the kernel's buffer size) and never past its region.
    func fdt(at phys: UInt64, maxLength: Int, what: String) throws(KHOImageError) -> FDTBlob {
        let offset = try fileOffset(of: phys, length: UInt64(FDTBlob.headerSize), what: what)
        let region = region(containing: phys)!
        let available = min(UInt64(maxLength), region.end - phys)
        do {
            return try FDTBlob(storage: storage, offset: offset, maxLength: Int(available), label: "\(what) at \(Hex.format(phys))")
        } catch {
            throw .structure(what: "\(what) at \(Hex.format(phys))", error: .fdt(error))
        }
    }

    /// The memory map's pages, as the radix-tree and chunk-list walks read them.
    var mapPages: MapPages { MapPages(memory: self) }
}

/// An image's pages as ``RadixTreePageSource``: each node page checked to
/// lie inside one region.
struct MapPages: RadixTreePageSource {
    let memory: ImageMemory

    func radixPage(at phys: UInt64, level: Int) throws(ABIError) -> UnsafeRawBufferPointer {
        do {
            return try memory.bytes(at: phys, length: PageGeometry.pageSize, what: "memory-map node")
        } catch {
            throw .radixTree(phys: phys, problem: "node page is not inside the image")
        }
    }
}
