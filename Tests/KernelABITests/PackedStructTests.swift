import KernelABI
import Testing

/// Encodes with `body` into a buffer of `size` bytes pre-filled with 0xEE
/// at offset `at`, so stray writes outside the struct show.
func encoded(size: Int, at offset: Int = 8, _ body: (UnsafeMutableRawBufferPointer, Int) -> Void) -> [UInt8] {
    var buffer = [UInt8](repeating: 0xee, count: size + 16)
    buffer.withUnsafeMutableBytes { body($0, offset) }
    #expect(buffer[..<offset].allSatisfy { $0 == 0xee })
    #expect(buffer[(offset + size)...].allSatisfy { $0 == 0xee })
    return Array(buffer[offset..<(offset + size)])
}

func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

@Suite struct PackedStructTests {
    @Test func sessionSerIs80BytesNameFilesCount() throws {
        let entry = LUOSessionSer(name: Array("vm0".utf8), files: 0x1122_3344_5566_7788, count: 3)
        let bytes = encoded(size: 80) { entry.encode(into: $0, at: $1) }
        let expected: [UInt8] = [0x76, 0x6d, 0x30] + zeros(61)
            + [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
            + [0x03, 0, 0, 0, 0, 0, 0, 0]
        #expect(bytes == expected)
        #expect(LUOSessionSer.size == 80)
        let decoded = try expected.withUnsafeBytes { try LUOSessionSer.decode($0, at: 0, label: "s") }
        #expect(decoded == entry)
    }

    @Test func sessionNameOf63BytesFillsTheFieldUpToItsNUL() throws {
        let entry = LUOSessionSer(name: [UInt8](repeating: 0x6e, count: 63), files: 0, count: 0)
        let bytes = encoded(size: 80) { entry.encode(into: $0, at: $1) }
        #expect(bytes == [UInt8](repeating: 0x6e, count: 63) + zeros(17))
        #expect(try bytes.withUnsafeBytes { try LUOSessionSer.decode($0, at: 0, label: "s") } == entry)
    }

    @Test func fileSerIs64BytesCompatibleDataToken() throws {
        let entry = LUOFileSer(compatible: "memfd-v1", data: 0x1_0000_8000, token: 0xfedc_ba98_7654_3210)
        let bytes = encoded(size: 64) { entry.encode(into: $0, at: $1) }
        let expected: [UInt8] = [0x6d, 0x65, 0x6d, 0x66, 0x64, 0x2d, 0x76, 0x31] + zeros(40)
            + [0x00, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]
            + [0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]
        #expect(bytes == expected)
        #expect(try expected.withUnsafeBytes { try LUOFileSer.decode($0, at: 0, label: "f") } == entry)
    }

    @Test func flbSerIs64BytesNameDataCount() throws {
        let entry = LUOFLBSer(name: "iommu", data: 0xab, count: 0x0102)
        let bytes = encoded(size: 64) { entry.encode(into: $0, at: $1) }
        let expected: [UInt8] = [0x69, 0x6f, 0x6d, 0x6d, 0x75] + zeros(43)
            + [0xab, 0, 0, 0, 0, 0, 0, 0]
            + [0x02, 0x01, 0, 0, 0, 0, 0, 0]
        #expect(bytes == expected)
        #expect(try expected.withUnsafeBytes { try LUOFLBSer.decode($0, at: 0, label: "b") } == entry)
    }

    @Test func headerLayouts() {
        #expect(LUOSessionHeaderSer.size == 8)
        #expect(LUOSessionHeaderSer.countOffset == 0)
        #expect(LUOFLBHeaderSer.size == 16)
        #expect(LUOFLBHeaderSer.pageCountOffset == 0)
        #expect(LUOFLBHeaderSer.countOffset == 8)
        #expect(LUOSessionSer.filesOffset == 64)
        #expect(LUOSessionSer.countOffset == 72)
        #expect(LUOFileSer.dataOffset == 48)
        #expect(LUOFileSer.tokenOffset == 56)
        #expect(LUOFLBSer.dataOffset == 48)
        #expect(LUOFLBSer.countOffset == 56)
        #expect(KHOVmalloc.size == 16)
        #expect(KHOVmallocChunk.nextOffset == 0)
        #expect(KHOVmallocChunk.physOffset == 8)
        #expect(KHOVmallocChunk.capacity == 511)
    }

    @Test func memfdSerIs40BytesWithAPackedKHOVmalloc() {
        let ser = MemfdLUOSer(position: 0x11, fileSize: 0x2222, folioCount: 3,
                              folios: KHOVmalloc(first: 0x1_0000_8000, totalPages: 0x0a0b_0c0d, flags: 0x0102, order: 0x0304))
        let bytes = encoded(size: 40) { ser.encode(into: $0, at: $1) }
        let expected: [UInt8] = [0x11, 0, 0, 0, 0, 0, 0, 0]
            + [0x22, 0x22, 0, 0, 0, 0, 0, 0]
            + [0x03, 0, 0, 0, 0, 0, 0, 0]
            + [0x00, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]
            + [0x0d, 0x0c, 0x0b, 0x0a]
            + [0x02, 0x01]
            + [0x04, 0x03]
        #expect(bytes == expected)
        #expect(MemfdLUOSer.size == 40)
        #expect(expected.withUnsafeBytes { MemfdLUOSer.decode($0, at: 0) } == ser)
    }

    @Test func memfdFolioSerPacksPfnLowAndFlagsHigh() {
        let folio = MemfdFolioSer(pfn: 0x1_2345_6789, flags: MemfdV1.folioDirty | MemfdV1.folioUptodate, index: 7)
        let bytes = encoded(size: 16) { folio.encode(into: $0, at: $1) }
        // 0x0030_0001_2345_6789 little-endian, then index 7.
        #expect(bytes == [0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x30, 0x00, 7, 0, 0, 0, 0, 0, 0, 0])
        #expect(bytes.withUnsafeBytes { MemfdFolioSer.decode($0, at: 0) } == folio)
        #expect(MemfdFolioSer.size == 16)
        #expect(MemfdV1.folioDirty == 1)
        #expect(MemfdV1.folioUptodate == 2)
    }

    @Test func memfdFolioSerTruncatesThePfnTo52BitsAndDecodesAll12FlagBits() {
        let wide = MemfdFolioSer(pfn: 0x0020_0000_0000_0001, flags: 0, index: 0)
        let bytes = encoded(size: 16) { wide.encode(into: $0, at: $1) }
        #expect(bytes == [1, 0, 0, 0, 0, 0, 0, 0] + zeros(8))
        let word: [UInt8] = [0x01, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        #expect(word.withUnsafeBytes { MemfdFolioSer.decode($0, at: 0) }
                == MemfdFolioSer(pfn: 1, flags: 0xfff, index: .max))
    }

    @Test func vmallocFlagsAndChunk() {
        #expect(KHOVmalloc.flagAlloc == 1)
        #expect(KHOVmalloc.flagHugeVmap == 2)
        let area = KHOVmalloc(first: 0xffff_0000_0000_1000, totalPages: 1, flags: 1, order: 0)
        let bytes = encoded(size: 16) { area.encode(into: $0, at: $1) }
        #expect(bytes == [0x00, 0x10, 0, 0, 0, 0, 0xff, 0xff, 1, 0, 0, 0, 1, 0, 0, 0])
    }
}

@Suite struct FixedCStringTests {
    static func decode(_ bytes: [UInt8]) throws(ABIError) -> String {
        let copy = bytes
        return try copy.span.bytes.withUnsafeBytes { (raw) throws(ABIError) -> String in
            try FixedCString.decode(raw, name: "field")
        }
    }

    @Test func validStringsDecode() throws {
        #expect(try Self.decode(Array("abc".utf8) + zeros(5)) == "abc")
        #expect(try Self.decode(Array("1234567".utf8) + [0]) == "1234567")
        #expect(try Self.decode(Array("é".utf8) + zeros(3)) == "é")
    }

    @Test func unterminated() {
        #expect(throws: ABIError.badString(field: "field", problem: .unterminated)) {
            try Self.decode(Array("abcdefgh".utf8))
        }
    }

    @Test func bytesAfterTheNUL() {
        #expect(throws: ABIError.badString(field: "field", problem: .bytesAfterTerminator(offset: 6))) {
            try Self.decode([0x61, 0x62, 0, 0, 0, 0, 0x63, 0])
        }
        // Stray bytes are reported before emptiness.
        #expect(throws: ABIError.badString(field: "field", problem: .bytesAfterTerminator(offset: 1))) {
            try Self.decode([0, 0x61, 0, 0])
        }
    }

    @Test func empty() {
        #expect(throws: ABIError.badString(field: "field", problem: .empty)) {
            try Self.decode(zeros(8))
        }
    }

    @Test func notUTF8() {
        #expect(throws: ABIError.badString(field: "field", problem: .notUTF8)) {
            try Self.decode([0xff, 0xfe, 0, 0])
        }
        #expect(throws: ABIError.badString(field: "field", problem: .notUTF8)) {
            try Self.decode([0xc3, 0, 0, 0])  // a truncated two-byte sequence
        }
    }

    /// `luo_session_create`'s rule, and the same bound on compatibles:
    /// 1 to N - 1 bytes, no NUL; any other byte is fine.
    @Test func whatFitsAField() {
        #expect(FixedCString.problem([UInt8](), fieldLength: 64) == .empty)
        #expect(FixedCString.problem([UInt8](repeating: 0x41, count: 64), fieldLength: 64) == .tooLong(bytes: 64, maximum: 63))
        #expect(FixedCString.problem([UInt8](repeating: 0x41, count: 63), fieldLength: 64) == nil)
        #expect(FixedCString.problem([0x61, 0x62, 0, 0x63], fieldLength: 64) == .containsNUL(offset: 2))
        // A NUL is reported before the length: it is what the kernel would cut at.
        #expect(FixedCString.problem([0] + [UInt8](repeating: 0x41, count: 70), fieldLength: 64) == .containsNUL(offset: 0))
        #expect(FixedCString.problem([0xff, 0xfe, 0x01, 0x7f], fieldLength: 64) == nil)
        #expect(FixedCString.problem(String(repeating: "c", count: 48), fieldLength: 48) == .tooLong(bytes: 48, maximum: 47))
        #expect(FixedCString.problem("x\0", fieldLength: 48) == .containsNUL(offset: 1))
        #expect(FixedCString.problem("", fieldLength: 48) == .empty)
    }

    /// One wording for every side: the writer's, the lifecycle's and the reader's.
    @Test func problemsReadTheSameEverywhere() {
        #expect(CStringProblem.empty.description == "is empty")
        #expect(CStringProblem.tooLong(bytes: 64, maximum: 63).description == "is 64 bytes, at most 63 fit before the NUL")
        #expect(CStringProblem.containsNUL(offset: 2).description == "holds a NUL byte at byte 2")
        #expect(CStringProblem.unterminated.description == "has no terminating NUL")
        #expect(ABIError.badString(field: "session 0 name", problem: .empty).description == "session 0 name is empty")
    }

    /// A session name is bytes: the entry decodes whatever precedes the NUL.
    @Test func sessionNamesDecodeAsBytes() throws {
        var raw = zeros(80)
        raw.replaceSubrange(0..<4, with: [0xff, 0xc3, 0x01, 0x7f])
        let entry = try raw.withUnsafeBytes { try LUOSessionSer.decode($0, at: 0, label: "s") }
        #expect(entry.name == [0xff, 0xc3, 0x01, 0x7f])
        let bytes = encoded(size: 80) { entry.encode(into: $0, at: $1) }
        #expect(bytes == raw)
        // The compatible of a file is text still.
        var file = zeros(64)
        file[0] = 0xff
        #expect(throws: ABIError.badString(field: "f compatible", problem: .notUTF8)) {
            try file.withUnsafeBytes { try LUOFileSer.decode($0, at: 0, label: "f") }
        }
    }

    @Test func structDecodersLabelTheField() {
        var session = zeros(80)
        session[0] = 0x61
        session[63] = 0x62
        #expect(throws: ABIError.badString(field: "session 4 name", problem: .bytesAfterTerminator(offset: 63))) {
            try session.withUnsafeBytes { try LUOSessionSer.decode($0, at: 0, label: "session 4") }
        }
        let file = [UInt8](repeating: 0x41, count: 64)
        #expect(throws: ABIError.badString(field: "file 2 compatible", problem: .unterminated)) {
            try file.withUnsafeBytes { try LUOFileSer.decode($0, at: 0, label: "file 2") }
        }
        let flb = zeros(64)
        #expect(throws: ABIError.badString(field: "FLB 0 name", problem: .empty)) {
            try flb.withUnsafeBytes { try LUOFLBSer.decode($0, at: 0, label: "FLB 0") }
        }
    }

    @Test func encodeZeroPadsTheWholeField() {
        let bytes = encoded(size: 8) { buffer, offset in
            FixedCString.encode("ab", into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + 8)]))
        }
        #expect(bytes == [0x61, 0x62, 0, 0, 0, 0, 0, 0])
    }
}

@Suite struct ConstantTests {
    @Test func luoLimits() {
        #expect(LUOv1.maxSessions == 819)
        #expect(LUOv1.maxFilesPerSession == 128)
        #expect(LUOv1.maxFLBs == 63)
        #expect(LUOv1.sessionNameLength == 64)
        #expect(LUOv1.handlerCompatibleLength == 48)
        #expect(LUOv1.flbCompatibleLength == 48)
        #expect(LUOv1.sessionBlockPages == 16)
        #expect(LUOv1.fileArrayPages == 2)
        #expect(LUOv1.flbBlockPages == 1)
        #expect(LUOv1.fdtSize == 4096)
    }

    @Test func compatibleStrings() {
        #expect(LUOv1.compatible == "luo-v1")
        #expect(LUOv1.sessionCompatible == "luo-session-v2")
        #expect(LUOv1.flbCompatible == "luo-flb-v1")
        #expect(LUOv1.subtreeName == "LUO")
        #expect(KHOv2RootFDT.compatible == "kho-v2")
        #expect(KHOv2RootFDT.subtreeProperty == "preserved-data")
        #expect(KHOv2RootFDT.memoryMapProperty == "preserved-memory-map")
        #expect(MemfdV1.compatible == "memfd-v1")
    }

    @Test(arguments: [
        (1, 0), (4096, 0), (4097, 1), (8192, 1), (8193, 2), (16384, 2), (16385, 3),
        (40, 0), (65536, 4), (65537, 5), (1 << 21, 9), (4 << 20, 10), ((4 << 20) + 1, 11),
    ])
    func getOrder(bytes: Int, order: Int) {
        #expect(PageGeometry.order(forBytes: bytes) == order)
    }

    @Test func pageHelpers() {
        #expect(PageGeometry.pageSize == 4096)
        #expect(PageGeometry.pageShift == 12)
        #expect(PageGeometry.maxPageOrder == 10)
        #expect(PageGeometry.pages(forBytes: 0) == 0)
        #expect(PageGeometry.pages(forBytes: 1) == 1)
        #expect(PageGeometry.pages(forBytes: 4097) == 2)
        #expect(PageGeometry.pageAlignUp(0) == 0)
        #expect(PageGeometry.pageAlignUp(311) == 4096)
        #expect(PageGeometry.pageAlignUp(8192) == 8192)
        #expect(PageGeometry.isPageAligned(0x1_0000_1000))
        #expect(!PageGeometry.isPageAligned(0x1_0000_1008))
    }
}
