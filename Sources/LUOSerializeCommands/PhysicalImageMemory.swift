import ABIGeneration
import FDT
import KHOImage
import KernelABI

/// The physical memory an image file stores, for printing structures the
/// reader has already checked: `bytes(at:length:)` answers `nil` for
/// anything outside the image's regions rather than trusting it.
struct PhysicalImageMemory {
    private let storage: AlignedBytes
    private let regions: [ImageRegion]

    /// Maps the image at `path`, whose regions the reader found.
    init?(path: String, regions: [ImageRegion]) {
        guard let storage = try? MappedFile.map(path: path, limit: KHOImageReader.maximumImageSize) else { return nil }
        self.storage = storage
        self.regions = regions
    }

    /// `length` bytes at `phys`, if one region holds all of them.
    func bytes(at phys: UInt64, length: Int) -> UnsafeRawBufferPointer? {
        guard let region = regions.first(where: { $0.phys <= phys && phys < $0.end }),
              UInt64(length) <= region.end - phys else { return nil }
        let offset = Int(region.fileOffset + (phys - region.phys))
        guard offset + length <= storage.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: storage.rawBuffer[offset..<(offset + length)])
    }
}

/// A memfd file's kernel structures (`memfd-v1` or `memfd-v2`), walked for
/// printing: `memfd_luo_ser`, the `kho_vmalloc` chunk list and the folio array.
struct MemfdStructures {
    /// The `memfd_luo_ser` fields the two handlers share.
    var ser: MemfdLUOSer
    /// `memfd-v2`'s seals and flags; `nil` for `memfd-v1`.
    var sealsAndFlags: (seals: UInt32, flags: UInt32)?
    /// Each chunk's address and the array pages it lists.
    var chunks: [(phys: UInt64, pages: [UInt64])] = []
    /// The folio array's entries, in order (`nr_folios` of them).
    var folios: [MemfdFolioSer] = []

    /// Walks the structures at `serPhys`; stops quietly at anything the
    /// image does not hold (the reader has already refused such images).
    init?(serPhys: UInt64, format: MemfdFormat, memory: PhysicalImageMemory) {
        guard let serBytes = memory.bytes(at: serPhys, length: format.serSize) else { return nil }
        if format == .memfdV2 {
            let v2 = MemfdV2LUOSer.decode(serBytes, at: 0)
            ser = MemfdLUOSer(position: v2.position, fileSize: v2.fileSize, folioCount: v2.folioCount, folios: v2.folios)
            sealsAndFlags = (v2.seals, v2.flags)
        } else {
            ser = MemfdLUOSer.decode(serBytes, at: 0)
        }
        var arrayPages: [UInt64] = []
        var chunk = ser.folios.first
        var visited: Set<UInt64> = []
        let piece = 1 << Int(min(ser.folios.order, UInt16(PageGeometry.maxPageOrder)))
        while chunk != 0, visited.insert(chunk).inserted, let page = memory.bytes(at: chunk, length: PageGeometry.pageSize) {
            var listed: [UInt64] = []
            for slot in 0..<KHOVmallocChunk.capacity {
                let phys = page.loadLittleEndian(UInt64.self, at: KHOVmallocChunk.physOffset + slot * 8)
                if phys == 0 { break }
                listed.append(phys)
                for index in 0..<piece { arrayPages.append(phys + UInt64(index * PageGeometry.pageSize)) }
            }
            chunks.append((chunk, listed))
            chunk = page.loadLittleEndian(UInt64.self, at: KHOVmallocChunk.nextOffset)
        }
        let perPage = PageGeometry.pageSize / MemfdFolioSer.size
        for slot in 0..<Int(min(ser.folioCount, UInt64(arrayPages.count * perPage))) {
            guard let entry = memory.bytes(at: arrayPages[slot / perPage] + UInt64((slot % perPage) * MemfdFolioSer.size),
                                           length: MemfdFolioSer.size) else { break }
            folios.append(MemfdFolioSer.decode(entry, at: 0))
        }
    }
}
