import FDT
import KernelABI
import HexFormat

/// What an import found in captured memory and what the image will hold.
public struct ImportPlan: Sendable {
    /// A subtree of the KHO root FDT.
    public struct Subtree: Equatable, Sendable {
        /// The node name (`LUO`, `kexec-metadata`, ...).
        public var name: String
        /// Its `preserved-data`.
        public var phys: UInt64
        /// Its `blob-size` (`kho-v3` on), or `nil`.
        public var size: UInt64?
    }

    /// The KHO root FDT's physical address.
    public var khoFDTPhys: UInt64
    /// The root's compatible: the KHO generation (`kho-v2`, `kho-v3`, `kho-v4`).
    public var rootCompatible: String
    /// The radix tree's root node.
    public var memoryMapPhys: UInt64
    /// The root's subtrees, in FDT order.
    public var subtrees: [Subtree]
    /// What the `LUO` subtree's blob is (`luo-v1 FDT`, `luo-v5 packed
    /// luo_ser`), or `nil` without one.
    public var luo: String?
    /// Every block the memory map preserves, ascending.
    public var preservedBlocks: [PreservedBlock]
    /// The memory map's own node pages, ascending.
    public var memoryMapNodes: [UInt64]
    /// The image's regions: preserved blocks, map nodes and the root page,
    /// touching ones merged, ascending.
    public var regions: [PhysicalRange]

    /// The number of preserved pages.
    public var preservedPages: Int { preservedBlocks.reduce(0) { $0 + (1 << $1.order) } }

    /// The bytes the regions hold.
    public var regionBytes: UInt64 { regions.reduce(0) { $0 + $1.size } }

    /// Streams the image: the index, zeros to the first page boundary, then
    /// each region's bytes from `memory`, a piece at a time.
    func write(from memory: some PhysicalMemory, to sink: FileSink) throws(KHOImageError) {
        let index: (bytes: [UInt8], regions: [ImageRegion])
        do {
            index = try ImageIndex.build(khoFDTPhys: khoFDTPhys, ranges: regions.map { ($0.phys, $0.size) })
        } catch {
            throw .structure(what: "building the image index", error: .fdt(error))
        }
        do throws(AtomicFileWriter.WriteError) {
            try index.bytes.withUnsafeBufferPointer { (bytes) throws(AtomicFileWriter.WriteError) in
                try sink.write(UnsafeRawBufferPointer(bytes))
            }
            if let first = index.regions.first { try sink.writeZeros(Int(first.fileOffset) - index.bytes.count) }
        } catch {
            throw KHOImageError(error)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: KHOImporter.copyPieceSize, alignment: PageGeometry.pageSize)
        defer { buffer.deallocate() }
        for region in regions {
            var cursor = region.phys
            while cursor < region.end {
                let length = Int(min(UInt64(buffer.count), region.end - cursor))
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try memory.read(cursor, into: piece, what: "region at \(Hex.format(region.phys))")
                do { try sink.write(UnsafeRawBufferPointer(piece)) } catch { throw KHOImageError(error) }
                cursor += UInt64(length)
            }
        }
    }
}
