import HandoverModel
import KernelABI

/// `memfd_luo_preserve` on the writer's simulated memory (mm/memfd_luo.c).
enum MemfdPreserver {
    /// Lays out one memfd and returns the physical address of its
    /// `memfd_luo_ser`. Order: the `memfd_luo_ser` page (preserved); the
    /// file's pages, one order-0 folio per page of `size`, consecutive, so
    /// the contents are one range placed from their source (never copied
    /// into the arena); in `memfd-v1` each is preserved now, in file order; the
    /// folio array's vmalloc pages; in `memfd-v2` (v7.1
    /// `memfd_luo_preserve_folios`: `vcalloc` of the array, then
    /// `kho_preserve_folio` per folio) the folios are preserved here, in
    /// index order; then `kho_preserve_vmalloc`: a chunk page (preserved),
    /// each array page preserved and listed, a new chunk whenever one fills.
    ///
    /// `foliosBeforeArray` nil means the format's own order: `memfd-v1` of
    /// the pre-release generation preserves first; the `memfd-v1` of v6.19
    /// and v7.0 already allocates the array first (false), as `memfd-v2` does.
    static func preserve(_ memfd: MemfdContents, format: MemfdFormat, foliosBeforeArray: Bool? = nil,
                         in arena: inout PhysicalArena) -> UInt64 {
        let serPhys = arena.allocatePreserved(order: 0)
        var folioCount: UInt64 = 0
        var folios = KHOVmalloc(first: 0, totalPages: 0, flags: 0, order: 0)
        if memfd.size > 0 {
            let byteCount = memfd.source.count
            let pageCount = PageGeometry.pages(forBytes: byteCount)
            let arrayPageCount = PageGeometry.pages(forBytes: pageCount * MemfdFolioSer.size)
            // The file pages, the folio array and its chunks, at once.
            arena.reserve(additional: (pageCount + 2 * arrayPageCount + 2) * PageGeometry.pageSize)
            var folioPages: [UInt64] = []
            folioPages.reserveCapacity(pageCount)
            for page in 0..<pageCount {
                // The contents are placed, not written: the image file gets
                // them from their source. Only a last partial page's tail
                // is the arena's (zeros).
                let partial = (page + 1) * PageGeometry.pageSize > byteCount
                folioPages.append(arena.allocate(order: 0, zeroed: partial))
            }
            arena.place(memfd.source, at: folioPages[0])
            let foliosBeforeArray = foliosBeforeArray ?? (format == .memfdV1)
            if foliosBeforeArray { for phys in folioPages { arena.preserve(phys: phys, order: 0) } }

            let arrayPages = (0..<arrayPageCount).map { _ in arena.allocate(order: 0) }
            if !foliosBeforeArray { for phys in folioPages { arena.preserve(phys: phys, order: 0) } }
            let entriesPerPage = PageGeometry.pageSize / MemfdFolioSer.size
            for (arrayIndex, arrayPage) in arrayPages.enumerated() {
                let first = arrayIndex * entriesPerPage
                let last = min(first + entriesPerPage, pageCount)
                arena.withBytes(at: arrayPage, length: PageGeometry.pageSize) { page in
                    for index in first..<last {
                        MemfdFolioSer(pfn: folioPages[index] >> UInt64(PageGeometry.pageShift),
                                      flags: MemfdV1.folioDirty | MemfdV1.folioUptodate,
                                      index: UInt64(index)).encode(into: page, at: (index - first) * MemfdFolioSer.size)
                    }
                }
            }
            let first = preserveVmalloc(pages: arrayPages, in: &arena)
            folioCount = UInt64(pageCount)
            folios = KHOVmalloc(first: first, totalPages: UInt32(arrayPages.count),
                                flags: KHOVmalloc.flagAlloc, order: 0)
        }
        if format == .memfdV2 {
            let ser = MemfdV2LUOSer(position: memfd.position, fileSize: memfd.size, seals: memfd.seals,
                                    folioCount: folioCount, folios: folios)
            arena.withBytes(at: serPhys, length: MemfdV2LUOSer.size) { ser.encode(into: $0, at: 0) }
        } else {
            let ser = MemfdLUOSer(position: memfd.position, fileSize: memfd.size, folioCount: folioCount, folios: folios)
            arena.withBytes(at: serPhys, length: MemfdLUOSer.size) { ser.encode(into: $0, at: 0) }
        }
        return serPhys
    }

    /// `kho_preserve_vmalloc` for an area of order-0 pages; returns the
    /// first chunk's address.
    static func preserveVmalloc(pages: [UInt64], in arena: inout PhysicalArena) -> UInt64 {
        let first = arena.allocatePreserved(order: 0)
        var chunk = first
        var slot = 0
        for page in pages {
            arena.preserve(phys: page, order: 0)
            arena.withBytes(at: chunk + UInt64(KHOVmallocChunk.physOffset + slot * 8), length: 8) {
                $0.storeLittleEndian(page, at: 0)
            }
            slot += 1
            if slot == KHOVmallocChunk.capacity {
                let next = arena.allocatePreserved(order: 0)
                arena.withBytes(at: chunk + UInt64(KHOVmallocChunk.nextOffset), length: 8) {
                    $0.storeLittleEndian(next, at: 0)
                }
                chunk = next
                slot = 0
            }
        }
        return first
    }
}
