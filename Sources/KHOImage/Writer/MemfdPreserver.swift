import HandoverModel
import KernelABI

/// `memfd_luo_preserve` on the writer's simulated memory (mm/memfd_luo.c).
enum MemfdPreserver {
    /// Lays out one memfd and returns the physical address of its
    /// `memfd_luo_ser`. Order: the `memfd_luo_ser` page (preserved); the
    /// file's pages, one order-0 folio per page of `size`, holding the
    /// contents (each preserved, in file order); the folio array's vmalloc
    /// pages; then `kho_preserve_vmalloc`: a chunk page (preserved), each
    /// array page preserved and listed, and a new chunk whenever one fills.
    static func preserve(_ memfd: MemfdContents, in arena: inout PhysicalArena) -> UInt64 {
        let serPhys = arena.allocatePreserved(order: 0)
        var ser = MemfdLUOSer(position: memfd.position, fileSize: memfd.size, folioCount: 0,
                              folios: KHOVmalloc(first: 0, totalPages: 0, flags: 0, order: 0))
        if memfd.size > 0 {
            let pageCount = PageGeometry.pages(forBytes: memfd.contents.count)
            var folioPages: [UInt64] = []
            folioPages.reserveCapacity(pageCount)
            for page in 0..<pageCount {
                let phys = arena.allocate(order: 0)
                let start = page * PageGeometry.pageSize
                arena.write(memfd.contents[start..<min(start + PageGeometry.pageSize, memfd.contents.count)], at: phys)
                folioPages.append(phys)
            }
            for phys in folioPages { arena.preserve(phys: phys, order: 0) }

            let arrayPages = (0..<PageGeometry.pages(forBytes: pageCount * MemfdFolioSer.size)).map { _ in
                arena.allocate(order: 0)
            }
            for (index, phys) in folioPages.enumerated() {
                let byte = index * MemfdFolioSer.size
                let page = arrayPages[byte / PageGeometry.pageSize]
                arena.withBytes(at: page + UInt64(byte % PageGeometry.pageSize), length: MemfdFolioSer.size) {
                    MemfdFolioSer(pfn: phys >> UInt64(PageGeometry.pageShift),
                                  flags: MemfdV1.folioDirty | MemfdV1.folioUptodate,
                                  index: UInt64(index)).encode(into: $0, at: 0)
                }
            }
            let first = preserveVmalloc(pages: arrayPages, in: &arena)
            ser.folioCount = UInt64(pageCount)
            ser.folios = KHOVmalloc(first: first, totalPages: UInt32(arrayPages.count),
                                    flags: KHOVmalloc.flagAlloc, order: 0)
        }
        arena.withBytes(at: serPhys, length: MemfdLUOSer.size) { ser.encode(into: $0, at: 0) }
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
