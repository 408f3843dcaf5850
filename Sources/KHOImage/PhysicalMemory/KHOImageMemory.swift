import FDT

/// The physical memory a `.kho` image stores: its regions, read from the
/// file as they are needed (nothing is mapped or copied up front).
public struct KHOImageMemory: PhysicalMemory, Sendable {
    private let file: SegmentedFile
    /// The physical address of the KHO root FDT the index names (`kho-fdt`).
    public let khoFDTPhys: UInt64

    /// Opens the image at `path` and checks its index (every rule of
    /// `docs/FORMAT.md` section 1.1).
    public init(path: String) throws(KHOImageError) {
        let source = try SourceFile(path: path)
        guard source.size >= UInt64(FDTBlob.headerSize) else { throw .fileTooSmall(size: Int(source.size)) }
        let header = try filledBytes(count: FDTBlob.headerSize) { (buffer) throws(KHOImageError) in
            try source.read(at: 0, into: buffer)
        }
        // The index is read whole: its totalsize, bounded by the file.
        let declared = UInt64(header.withUnsafeBytes { ByteOrderCoding.readBigEndian(UInt32.self, $0, at: 4) })
        let length = Int(min(max(declared, UInt64(FDTBlob.headerSize)), source.size))
        let storage = try ReadOnlyBytes(count: length) { (buffer) throws(KHOImageError) in try source.read(at: 0, into: buffer) }
        let blob: FDTBlob
        do { blob = try FDTBlob(storage: storage, label: "image index") } catch { throw .index(error) }
        let index = try ImageIndex.parse(blob, fileSize: Int(source.size))
        file = SegmentedFile(file: source, segments: index.regions)
        khoFDTPhys = index.khoFDTPhys
    }

    /// The image's regions, touching ones merged.
    public var ranges: [PhysicalRange] { file.ranges }

    /// The parts of `range` that are not holes in the file.
    public func populatedRanges(in range: PhysicalRange) -> [PhysicalRange] { file.populatedRanges(in: range) }

    /// Copies the bytes at `phys` into `buffer`.
    public func read(_ phys: UInt64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(KHOImageError) {
        try file.read(phys, into: buffer, what: what)
    }
}
