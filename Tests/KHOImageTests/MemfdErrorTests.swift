import KHOImage
import Testing

/// A memfd file's preserved structures: memfd_luo_ser, its size and folio
/// count, the kho_vmalloc descriptor and chunk list, the folio entries.
@Suite struct MemfdErrorTests {
    static func memfd(_ problem: String) -> KHOImageError { .memfd(session: "m", token: 1, problem: problem) }

    @Test func sizeAndFolioCount() throws {
        var image = try CraftedImage()
        image.put(u64: 0, at: image.memfdSer + 16)
        #expect(throws: Self.memfd("size is 5000 but nr_folios is 0")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 0, at: image.memfdSer + 8)
        #expect(throws: Self.memfd("size is 0 but nr_folios or the folio descriptor is not")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 257, at: image.memfdSer + 16)
        #expect(throws: Self.memfd("nr_folios 257 does not fit the folio array's 1 pages")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 9000, at: image.memfdSer + 8)
        #expect(throws: Self.memfd("size 9000 is larger than the 8192 bytes of its preserved folios")) { try image.decodeMemfd() }
    }

    @Test func serOutsideOrNotPreserved() throws {
        var image = try CraftedImage()
        let file = image.layout.sessions[2].filesPhys
        image.put(u64: 0x7000_0000, at: file + 48)
        #expect(throws: KHOImageError.outsideImage(what: "memfd_luo_ser of session \"m\" token 0x1", phys: 0x7000_0000, length: 40)) {
            try image.decodeMemfd()
        }
        // The radix tree's root page is in the image but not preserved.
        image.put(u64: image.layout.memoryMapPhys, at: file + 48)
        #expect(throws: KHOImageError.notPreserved(what: "memfd_luo_ser of session \"m\" token 0x1",
                                                   phys: image.layout.memoryMapPhys, length: 40)) {
            try image.decodeMemfd()
        }
    }

    @Test func vmallocDescriptor() throws {
        var image = try CraftedImage()
        let ser = image.memfdSer
        image.put(u64: 0, at: ser + 24)
        #expect(throws: Self.memfd("the folio array descriptor has no first chunk")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(le16(4), at: ser + 36)
        #expect(throws: Self.memfd("the folio array descriptor has unknown flags 0x4")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(le16(11), at: ser + 38)
        #expect(throws: Self.memfd("the folio array descriptor has order 11, above 10")) { try image.decodeMemfd() }
        image = try CraftedImage()
        let pages = image.layout.regions.reduce(0) { $0 + Int($1.size / 4096) }
        image.put(le32(0), at: ser + 32)
        #expect(throws: Self.memfd("the folio array claims 0 pages; the image holds \(pages)")) { try image.decodeMemfd() }
        image.put(le32(UInt32(pages + 1)), at: ser + 32)
        #expect(throws: Self.memfd("the folio array claims \(pages + 1) pages; the image holds \(pages)")) { try image.decodeMemfd() }
        image.put(le32(2), at: ser + 32)
        #expect(throws: Self.memfd("the vmalloc chunks list 1 pages, total_pages is 2")) { try image.decodeMemfd() }
    }

    @Test func chunkList() throws {
        var image = try CraftedImage()
        let chunk = image.memfdChunk
        image.put(u64: chunk, at: chunk)
        #expect(throws: Self.memfd("the vmalloc chunk list loops back to \(hex(chunk))")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: chunk + 8, at: image.memfdSer + 24)
        #expect(throws: Self.memfd("vmalloc chunk \(hex(chunk + 8)) is not page aligned")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 0x7000_0000, at: image.memfdSer + 24)
        #expect(throws: KHOImageError.outsideImage(what: "vmalloc chunk of session \"m\" token 0x1", phys: 0x7000_0000, length: 4096)) {
            try image.decodeMemfd()
        }
        // A second array page where total_pages is 1.
        image = try CraftedImage()
        image.put(u64: image.memfdArray, at: chunk + 16)
        #expect(throws: Self.memfd("the vmalloc chunks list more than total_pages (1) pages")) { try image.decodeMemfd() }
        // An array page that is not preserved.
        image = try CraftedImage()
        image.put(u64: image.layout.memoryMapPhys, at: chunk + 8)
        #expect(throws: KHOImageError.notPreserved(what: "folio array page", phys: image.layout.memoryMapPhys, length: 4096)) {
            try image.decodeMemfd()
        }
    }

    @Test func folioEntries() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let first = image.u64(array)
        let inside = image.layout.sessionHeaderPhys + 0x1000
        image.put(u64: (first & ~((1 << 52) - 1)) | (inside >> 12), at: array)
        #expect(throws: Self.memfd("folio 0 at \(hex(inside)) is not the start of a preserved block")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: first | (4 << 52), at: array)
        #expect(throws: Self.memfd("folio 0 has unknown flags 0x7")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 2, at: array + 16 + 8)
        #expect(throws: Self.memfd("folio 1 has index 2, past the file size 5000")) { try image.decodeMemfd() }
        image = try CraftedImage()
        image.put(u64: 0, at: array + 16 + 8)
        #expect(throws: Self.memfd("folios at indices 0 and 0 overlap")) { try image.decodeMemfd() }
    }
}
