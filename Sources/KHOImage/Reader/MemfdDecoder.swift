import HandoverModel
import KernelABI
import HexFormat

/// `memfd_luo_retrieve` over an image: follows a `memfd-v1` or `memfd-v2` file's `data`
/// to its `memfd_luo_ser`, the vmalloc chunk list, the folio array and the
/// folios, checking each step, and rebuilds the file's contents.
struct MemfdDecoder {
    let session: SessionName
    let token: UInt64
    /// The generation's memfd handler (`memfd-v1`, `memfd-v2`).
    let format: MemfdFormat
    let memory: ImageMemory

    private func fail(_ problem: String) -> KHOImageError {
        .memfd(session: session, token: token, problem: problem)
    }


    /// The file's contents, and the structures the walk went through.
    mutating func decode(serPhys: UInt64, preserved: inout PreservedMemoryMap) throws(KHOImageError)
        -> (MemfdContents, MemfdStructures) {
        let what = "memfd_luo_ser of session \"\(session)\" token \(Hex.format(token))"
        let serBytes = try memory.bytes(at: serPhys, length: format.serSize, what: what)
        try preserved.requirePreserved(serPhys, length: UInt64(format.serSize), what: what)
        preserved.claim(serPhys)
        let ser: MemfdLUOSer
        var seals: UInt32 = 0
        var sealsAndFlags: (seals: UInt32, flags: UInt32)?
        if format == .memfdV2 {
            let v2 = MemfdV2LUOSer.decode(serBytes, at: 0)
            // memfd_luo_retrieve: seals outside MEMFD_LUO_ALL_SEALS are -EOPNOTSUPP.
            guard v2.seals & ~format.supportedSeals == 0 else {
                throw fail("seals \(Hex.format(UInt64(v2.seals))) include bits \(format.compatible) does not support"
                           + " (supported: \(Hex.format(UInt64(format.supportedSeals))))")
            }
            // v7.1's retrieve does not look at flags, but the ABI requires
            // unused bits to be 0 and the kernel writes 0: a value here is
            // nothing a v7.1 kernel wrote, and it could not be written again.
            guard v2.flags == 0 else {
                throw fail("flags is \(Hex.format(UInt64(v2.flags))); \(format.compatible) defines no flags (unused bits must be 0)")
            }
            seals = v2.seals
            sealsAndFlags = (v2.seals, v2.flags)
            ser = MemfdLUOSer(position: v2.position, fileSize: v2.fileSize, folioCount: v2.folioCount, folios: v2.folios)
        } else {
            ser = MemfdLUOSer.decode(serBytes, at: 0)
        }
        if ser.fileSize == 0 {
            guard ser.folioCount == 0, ser.folios == KHOVmalloc(first: 0, totalPages: 0, flags: 0, order: 0) else {
                throw fail("size is 0 but nr_folios or the folio descriptor is not")
            }
            return (MemfdContents(size: 0, position: ser.position, contents: [], seals: seals),
                    MemfdStructures(serPhys: serPhys, ser: ser, sealsAndFlags: sealsAndFlags, chunks: [], folios: []))
        }
        guard ser.folioCount > 0 else { throw fail("size is \(ser.fileSize) but nr_folios is 0") }
        let (arrayPages, chunks) = try vmallocPages(ser.folios, preserved: &preserved)
        guard ser.folioCount <= UInt64(arrayPages.count * (PageGeometry.pageSize / MemfdFolioSer.size)) else {
            throw fail("nr_folios \(ser.folioCount) does not fit the folio array's \(arrayPages.count) pages")
        }

        // Each folio: a preserved block start, flags within DIRTY|UPTODATE,
        // an index inside the file, no two folios covering the same page.
        var folios: [(index: UInt64, block: PreservedBlock)] = []
        var entries: [MemfdFolioSer] = []
        entries.reserveCapacity(Int(ser.folioCount))
        var preservedBytes: UInt64 = 0
        let entriesPerPage = PageGeometry.pageSize / MemfdFolioSer.size
        for slot in 0..<Int(ser.folioCount) {
            let page = arrayPages[slot / entriesPerPage]
            let entryBytes = try memory.bytes(at: page + UInt64((slot % entriesPerPage) * MemfdFolioSer.size),
                                              length: MemfdFolioSer.size, what: "memfd folio entry")
            let entry = MemfdFolioSer.decode(entryBytes, at: 0)
            entries.append(entry)
            if entry.pfn == 0 { continue }
            guard entry.flags & ~(MemfdV1.folioDirty | MemfdV1.folioUptodate) == 0 else {
                throw fail("folio \(slot) has unknown flags \(Hex.format(entry.flags))")
            }
            let phys = entry.pfn << UInt64(PageGeometry.pageShift)
            guard let block = preserved.block(startingAt: phys) else {
                throw fail("folio \(slot) at \(Hex.format(phys)) is not the start of a preserved block")
            }
            // kho_restore_folio hands a folio out once: a second entry for
            // it (or a folio that is another structure's block) fails there.
            guard !preserved.isClaimed(block.phys) else {
                throw fail("folio \(slot) at \(Hex.format(phys)) is already used by another folio or structure")
            }
            guard entry.index < ser.fileSize >> UInt64(PageGeometry.pageShift) + 1,
                  entry.index << UInt64(PageGeometry.pageShift) < ser.fileSize else {
                throw fail("folio \(slot) has index \(entry.index), past the file size \(ser.fileSize)")
            }
            preserved.claim(phys)
            folios.append((entry.index, block))
            preservedBytes += block.size
        }
        guard ser.fileSize <= preservedBytes else {
            throw fail("size \(ser.fileSize) is larger than the \(preservedBytes) bytes of its preserved folios")
        }
        folios.sort { $0.index < $1.index }
        for (lower, upper) in zip(folios, folios.dropFirst())
        where upper.index < lower.index + UInt64(1 << lower.block.order) {
            throw fail("folios at indices \(lower.index) and \(upper.index) overlap")
        }

        // Every folio's bytes in file order (sorted, and checked not to
        // overlap), zeros where no folio covers the file: ranges of the
        // image file when it is one, so nothing is copied.
        let total = Int(ser.fileSize)
        var segments: [ByteSource.Segment] = []
        segments.reserveCapacity(folios.count)
        var cursor = 0
        for folio in folios {
            let start = Int(folio.index) << PageGeometry.pageShift
            let length = min(Int(folio.block.size), total - start)
            if start > cursor { segments.append(.zeros(start - cursor)) }
            segments.append(contentsOf: try memory.source(at: folio.block.phys, length: length, what: "memfd folio").segments)
            cursor = start + length
        }
        if cursor < total { segments.append(.zeros(total - cursor)) }
        let contents = ByteSource(segments: Self.merged(segments))
        return (MemfdContents(size: ser.fileSize, position: ser.position, source: contents, seals: seals),
                MemfdStructures(serPhys: serPhys, ser: ser, sealsAndFlags: sealsAndFlags, chunks: chunks, folios: entries))
    }

    /// `segments` with neighbouring ranges of the same file joined: the
    /// folios of a memfd the writer laid out are one range of the image.
    static func merged(_ segments: [ByteSource.Segment]) -> [ByteSource.Segment] {
        var result: [ByteSource.Segment] = []
        result.reserveCapacity(segments.count)
        for segment in segments {
            if case let .file(file, offset, count) = segment, case let .file(lastFile, lastOffset, lastCount)? = result.last,
               lastFile === file, lastOffset + Int64(lastCount) == offset {
                result[result.count - 1] = .file(file, offset: lastOffset, count: lastCount + count)
            } else {
                result.append(segment)
            }
        }
        return result
    }

    /// `kho_restore_vmalloc`'s walk: the physical pages of the area, in
    /// order, and the chunks that list them, after checking the chunk list
    /// is finite and every page is preserved and inside the image.
    private func vmallocPages(_ area: KHOVmalloc, preserved: inout PreservedMemoryMap) throws(KHOImageError)
        -> ([UInt64], [MemfdStructures.Chunk]) {
        guard area.first != 0 else { throw fail("the folio array descriptor has no first chunk") }
        guard area.flags & ~(KHOVmalloc.flagAlloc | KHOVmalloc.flagHugeVmap) == 0 else {
            throw fail("the folio array descriptor has unknown flags \(Hex.format(UInt64(area.flags)))")
        }
        guard Int(area.order) <= PageGeometry.maxPageOrder else {
            throw fail("the folio array descriptor has order \(area.order), above \(PageGeometry.maxPageOrder)")
        }
        let total = Int(area.totalPages)
        guard total > 0, total <= memory.totalPages else {
            throw fail("the folio array claims \(total) pages; the image holds \(memory.totalPages)")
        }
        let contiguous = 1 << Int(area.order)
        var pages: [UInt64] = []
        var chunks: [MemfdStructures.Chunk] = []
        var visited: Set<UInt64> = []
        var chunk = area.first
        while chunk != 0 {
            guard visited.insert(chunk).inserted else { throw fail("the vmalloc chunk list loops back to \(Hex.format(chunk))") }
            guard PageGeometry.isPageAligned(chunk) else { throw fail("vmalloc chunk \(Hex.format(chunk)) is not page aligned") }
            let what = "vmalloc chunk of session \"\(session)\" token \(Hex.format(token))"
            let bytes = try memory.bytes(at: chunk, length: PageGeometry.pageSize, what: what)
            try preserved.requirePreserved(chunk, length: UInt64(PageGeometry.pageSize), what: what)
            preserved.claim(chunk)
            var listed: [UInt64] = []
            for slot in 0..<KHOVmallocChunk.capacity {
                let piece = bytes.loadLittleEndian(UInt64.self, at: KHOVmallocChunk.physOffset + slot * 8)
                if piece == 0 { break }
                guard pages.count + contiguous <= total else {
                    throw fail("the vmalloc chunks list more than total_pages (\(total)) pages")
                }
                let length = UInt64(contiguous * PageGeometry.pageSize)
                _ = try memory.bytes(at: piece, length: Int(length), what: "folio array page")
                try preserved.requirePreserved(piece, length: length, what: "folio array page")
                preserved.claim(piece)
                listed.append(piece)
                for page in 0..<contiguous { pages.append(piece + UInt64(page * PageGeometry.pageSize)) }
            }
            chunks.append(MemfdStructures.Chunk(phys: chunk, pages: listed))
            chunk = bytes.loadLittleEndian(UInt64.self, at: KHOVmallocChunk.nextOffset)
        }
        guard pages.count == total else {
            throw fail("the vmalloc chunks list \(pages.count) pages, total_pages is \(total)")
        }
        return (pages, chunks)
    }
}
