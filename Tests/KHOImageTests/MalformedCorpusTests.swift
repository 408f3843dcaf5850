import FDT
import HandoverModel
import KernelABI
import KHOImage
import Testing

/// The malformed-image corpus (issue 5): one case per way an image can be
/// wrong that ReaderErrorTests does not already cover, each with the exact
/// error. Cases are generated from a real image (CraftedImage.richState).
@Suite struct MalformedCorpusTests {
    /// Big-endian u32 at `offset` of `bytes`.
    static func header(_ bytes: [UInt8], _ offset: Int) -> Int {
        bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | Int($1) }
    }

    static func inputFDT(_ code: LibFDTErrorCode, _ function: String) -> KHOImageError {
        .notAnFDT(.libfdt(code, function: function, location: "input, byte offset 0"))
    }

    /// What reading the rich image cut to `length` bytes must say.
    static func truncationError(_ image: CraftedImage, length: Int) -> KHOImageError? {
        let indexSize = header(image.bytes, 4)
        if length < 40 { return .fileTooSmall(size: length) }
        // A valid header claiming more bytes than are there is named as a
        // cut-short FDT (the index's compatible is not a handover one).
        if length < indexSize { return .truncatedFDT(compatible: nil, totalSize: indexSize, available: length) }
        // Regions are stored back to back in ascending physical order, and
        // the index checks them in that order: the first one that does not
        // fit is the one the cut falls in (or the first wholly past it).
        for region in image.layout.regions where region.fileOffset + region.size > UInt64(length) {
            return .region(name: "region@\(String(region.phys, radix: 16))",
                           problem: "file range \(hex(region.fileOffset))+\(hex(region.size)) runs past the end of the file (\(length) bytes)")
        }
        return nil
    }

    /// Cut at every structural boundary of the index header, its
    /// reservation, structure and strings blocks, its end, and every
    /// region's start, first page and end, and one byte either side.
    @Test func truncatedAtEveryStructuralBoundary() throws {
        let image = try CraftedImage()
        let bytes = image.bytes
        var boundaries: Set<Int> = [0, 1, 4, 8, 39, 40]
        // Every header field (magic, totalsize, off_dt_struct, off_dt_strings,
        // off_mem_rsvmap, version, last_comp_version, boot_cpuid_phys,
        // size_dt_strings, size_dt_struct).
        for field in stride(from: 0, through: 36, by: 4) { boundaries.insert(field) }
        let structOffset = Self.header(bytes, 8), stringsOffset = Self.header(bytes, 12)
        let reservations = Self.header(bytes, 16), totalSize = Self.header(bytes, 4)
        let stringsSize = Self.header(bytes, 32), structSize = Self.header(bytes, 36)
        boundaries.formUnion([reservations, structOffset, structOffset + structSize, stringsOffset,
                              stringsOffset + stringsSize, totalSize])
        // Each reservation entry (16 bytes) and the terminator.
        for entry in 0...image.layout.regions.count { boundaries.insert(reservations + 16 * entry) }
        for region in image.layout.regions {
            let start = Int(region.fileOffset)
            boundaries.formUnion([start, start + 4096, start + Int(region.size)])
        }
        let cuts = Set(boundaries.flatMap { [$0 - 1, $0, $0 + 1] }).filter { $0 >= 0 && $0 < bytes.count }.sorted()
        #expect(cuts.count > 40)
        for length in cuts {
            let expected = try #require(Self.truncationError(image, length: length), "cut at \(length)")
            #expect(throws: expected, "cut at \(length)") {
                try KHOImageReader.decode(ReadOnlyBytes(copying: bytes[0..<length]))
            }
        }
        // The spelled-out errors at a few of them, so the rule above is
        // itself checked.
        let first = image.layout.regions[0]
        #expect(Self.truncationError(image, length: 39) == .fileTooSmall(size: 39))
        #expect(Self.truncationError(image, length: structOffset)
                    == .truncatedFDT(compatible: nil, totalSize: totalSize, available: structOffset))
        #expect(Self.truncationError(image, length: Int(first.fileOffset) + 4096) == .region(
            name: "region@100000000",
            problem: "file range \(hex(first.fileOffset))+\(hex(first.size)) runs past the end of the file (\(Int(first.fileOffset) + 4096) bytes)"))
        #expect(first.phys == 0x1_0000_0000)
        // The whole file decodes.
        #expect(Self.truncationError(image, length: bytes.count) == nil)
        #expect(try image.decode().state == CraftedImage.richState)
    }

    /// The three FDTs of an image: where each starts, and the error when its
    /// header or structure is wrong.
    struct FDTSite {
        let name: String
        let fileOffset: Int
        let error: (LibFDTErrorCode, String) -> KHOImageError
    }

    static func sites(_ image: CraftedImage) -> [FDTSite] {
        func inMemory(_ what: String, _ phys: UInt64) -> FDTSite {
            let offset = image.offset(phys)
            return FDTSite(name: what, fileOffset: offset) { code, function in
                .structure(what: "\(what) at \(hex(phys))", error: .fdt(.libfdt(
                    code, function: function, location: "\(what) at \(hex(phys)), byte offset \(offset)")))
            }
        }
        return [
            FDTSite(name: "image index", fileOffset: 0) { inputFDT($0, $1) },
            inMemory("KHO root FDT", image.layout.khoRootFDTPhys),
            inMemory("LUO FDT", image.layout.luoFDTPhys),
        ]
    }

    @Test func badMagicOrVersionInEveryFDT() throws {
        let good = try CraftedImage()
        for site in Self.sites(good) {
            var image = good
            image.bytes.replaceSubrange(site.fileOffset..<(site.fileOffset + 4), with: be32(0xd00d_fee0))
            #expect(throws: site.error(.badMagic, "fdt_check_header"), "\(site.name)") { try image.decode() }
            for version: UInt32 in [0, 1, 15] {
                image = good
                image.bytes.replaceSubrange((site.fileOffset + 20)..<(site.fileOffset + 24), with: be32(version))
                #expect(throws: site.error(.badVersion, "fdt_check_header"), "\(site.name) version \(version)") { try image.decode() }
            }
            // A last_comp_version above what libfdt reads.
            image = good
            image.bytes.replaceSubrange((site.fileOffset + 24)..<(site.fileOffset + 28), with: be32(18))
            #expect(throws: site.error(.badVersion, "fdt_check_full"), "\(site.name) last_comp_version") { try image.decode() }
        }
    }

    @Test func fdtCheckFullFailuresInEveryFDT() throws {
        let good = try CraftedImage()
        for site in Self.sites(good) {
            let base = site.fileOffset
            let structOffset = Self.header(good.bytes, base + 8)
            let stringsOffset = Self.header(good.bytes, base + 12)
            let totalSize = Self.header(good.bytes, base + 4)
            func patched(_ at: Int, _ value: UInt32) -> CraftedImage {
                var image = good
                image.bytes.replaceSubrange((base + at)..<(base + at + 4), with: be32(value))
                return image
            }
            // The first structure token is not FDT_BEGIN_NODE.
            #expect(throws: site.error(.badStructure, "fdt_check_full"), "\(site.name) first token") {
                try patched(structOffset, 0xdead_beef).decode()
            }
            // The structure block starts past totalsize.
            #expect(throws: site.error(.truncated, "fdt_check_full"), "\(site.name) off_dt_struct") {
                try patched(8, UInt32(totalSize + 8)).decode()
            }
            // The strings block runs past totalsize.
            #expect(throws: site.error(.truncated, "fdt_check_full"), "\(site.name) size_dt_strings") {
                try patched(32, UInt32(totalSize - stringsOffset + 1)).decode()
            }
            // The first property's name offset points past the strings block
            // (FDT_BEGIN_NODE, the root's empty name padded to 4, then
            // FDT_PROP, len, nameoff).
            #expect(throws: site.error(.badOffset, "fdt_check_full"), "\(site.name) nameoff") {
                try patched(structOffset + 16, 0x7fff_0000).decode()
            }
            // The first property's length wraps libfdt 1.6.1's 32-bit offset
            // back onto the property (fdt_check_full looped forever).
            #expect(throws: site.error(.truncated, "fdt_check_full"), "\(site.name) property length") {
                try patched(structOffset + 12, 0xffff_fff4).decode()
            }
            // The structure block ends without FDT_END: its last token is
            // replaced by FDT_NOP (libfdt 1.6.1 calls that a bad structure).
            let structSize = Self.header(good.bytes, base + 36)
            #expect(throws: site.error(.badStructure, "fdt_check_full"), "\(site.name) no FDT_END") {
                try patched(structOffset + structSize - 4, 4).decode()
            }
        }
    }

    /// Every pointer the LUO FDT holds, aimed below, past and across the
    /// regions.
    @Test func luoPointersOutsideOrStraddling() throws {
        let good = try CraftedImage()
        let luo = good.layout.luoFDTPhys
        let lastEnd = good.layout.regions.last!.end
        let firstEnd = good.layout.regions[0].end
        for (path, property, what, length) in [
            ("/luo-session", "luo-session-header", "session header", UInt64(8)),
            ("/luo-flb", "luo-flb-header", "FLB header", UInt64(16)),
        ] {
            for outside in [UInt64(0), 0x1000, good.layout.regions[0].phys - 8, lastEnd, lastEnd + 0x10_0000, UInt64.max - 7] {
                var image = good
                try image.replaceU64(inFDTAt: luo, path: path, property, with: outside)
                #expect(throws: KHOImageError.outsideImage(what: what, phys: outside, length: length), "\(what) at \(hex(outside))") {
                    try image.decode()
                }
            }
            var image = good
            try image.replaceU64(inFDTAt: luo, path: path, property, with: firstEnd - 4)
            #expect(throws: KHOImageError.straddlesRegions(what: what, phys: firstEnd - 4, length: length)) { try image.decode() }
        }
    }

    /// A session count the session block could hold, but not the pages
    /// after the header: the header moved to the last page of its region.
    @Test func sessionCountLargerThanThePagesPresent() throws {
        var image = try CraftedImage()
        let header = image.layout.sessionHeaderPhys
        let lastPage = header + 15 * 4096
        // The last page of the 16-page session block, preserved as part of it.
        image.put(u64: 100, at: lastPage)
        try image.replaceU64(inFDTAt: image.layout.luoFDTPhys, path: "/luo-session", "luo-session-header", with: lastPage)
        let region = try #require(image.layout.regions.first { $0.phys <= lastPage && lastPage < $0.end })
        let blockLength = UInt64(8 + 100 * 80)
        // The session block is followed by the FLB page in the same region,
        // which the memory map preserves as a block of its own.
        #expect(lastPage + blockLength < region.end)
        #expect(throws: KHOImageError.notPreserved(what: "session block (100 sessions)", phys: lastPage, length: blockLength)) {
            try image.decode()
        }
    }

    /// The radix tree's intermediate levels must point at other nodes: a
    /// level-1 entry pointing back up at the root is a cycle, however deep.
    @Test func memoryMapDeepCycle() throws {
        var image = try CraftedImage()
        let key = KHORadixTree.key(phys: image.layout.khoRootFDTPhys, order: 0)
        var node = image.layout.memoryMapPhys
        for level in stride(from: 5, to: 1, by: -1) {
            node = image.u64(node + UInt64(KHORadixTree.tableIndex(key, level: level) * 8))
        }
        // `node` is level 1 (the level above the leaves): aim its entry at the root.
        let slot = node + UInt64(KHORadixTree.tableIndex(key, level: 1) * 8)
        image.put(u64: image.layout.memoryMapPhys, at: slot)
        #expect(throws: KHOImageError.structure(what: "preserved-memory map", error: .radixTree(
            phys: image.layout.memoryMapPhys, problem: "node is reached twice (a cycle or shared subtree)"))) {
            try image.decode()
        }
    }
}
