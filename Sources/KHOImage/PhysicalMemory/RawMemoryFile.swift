import HexFormat
/// Physical memory as a flat file: byte `offset` of the file is physical
/// address `physBase + offset`. QEMU's guest RAM as a `memory-backend-file`,
/// its HMP `pmemsave 0 SIZE FILE`, or `/dev/mem` copied out all look like
/// this (below the PCI hole, where guest RAM is contiguous).
public struct RawMemoryFile: PhysicalMemory, Sendable {
    private let file: SegmentedFile
    /// The physical address of the file's first byte.
    public let physBase: UInt64

    /// Opens the file at `path`, whose first byte is at `physBase` (page
    /// aligned).
    public init(path: String, physBase: UInt64 = 0) throws(KHOImageError) {
        guard physBase & 0xfff == 0 else {
            throw .badSource(path: path, problem: "--phys-base \(Hex.format(physBase)) is not page aligned")
        }
        let source = try SourceFile(path: path)
        guard physBase &+ source.size >= physBase else {
            throw .badSource(path: path, problem: "\(source.size) bytes from \(Hex.format(physBase)) run past 2^64")
        }
        let segments = source.size == 0 ? [] : [SegmentedFile.Segment(phys: physBase, size: source.size, fileOffset: 0)]
        file = SegmentedFile(file: source, segments: segments)
        self.physBase = physBase
    }

    /// The one range the file covers.
    public var ranges: [PhysicalRange] { file.ranges }

    /// The parts of `range` that are not holes in the file.
    public func populatedRanges(in range: PhysicalRange) -> [PhysicalRange] { file.populatedRanges(in: range) }

    /// Copies the bytes at `phys` into `buffer`.
    public func read(_ phys: UInt64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(KHOImageError) {
        try file.read(phys, into: buffer, what: what)
    }
}
