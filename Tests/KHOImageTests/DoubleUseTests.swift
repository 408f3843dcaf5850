import KHOImage
import Testing

/// Blocks the kernel restores once, referenced twice: the reader used to
/// accept these (a shared file array is `kho_restore_free`d twice by
/// `luo_file_finish`; a second `kho_restore_folio` of one folio fails).
@Suite struct DoubleUseTests {
    @Test func twoSessionsShareAFileArray() throws {
        var image = try CraftedImage()
        let beta = image.layout.sessions[1].entryPhys
        let files = image.layout.sessions[0].filesPhys
        image.put(u64: files, at: beta + 64)
        image.put(u64: 2, at: beta + 72)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.files", value: files,
            reason: "lies in the preserved block at \(hex(files)), which another structure already uses"))) {
            try image.decode()
        }
        // The second half of alpha's array is the same block.
        image.put(u64: files + 64, at: beta + 64)
        image.put(u64: 1, at: beta + 72)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.files", value: files + 64,
            reason: "lies in the preserved block at \(hex(files)), which another structure already uses"))) {
            try image.decode()
        }
    }

    @Test func fileArrayInsideTheSessionBlock() throws {
        var image = try CraftedImage()
        let header = image.layout.sessionHeaderPhys
        image.put(u64: header + 0x1000, at: image.layout.sessions[0].entryPhys + 64)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\"", error: .invalidValue(
            field: "file_set_ser.files", value: header + 0x1000,
            reason: "lies in the preserved block at \(hex(header)), which another structure already uses"))) {
            try image.decode()
        }
    }

    @Test func oneFolioForTwoFilePages() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let first = image.u64(array)
        image.put(u64: first, at: array + 16)
        let phys = (first & ((1 << 52) - 1)) << 12
        #expect(throws: MemfdErrorTests.memfd("folio 1 at \(hex(phys)) is already used by another folio or structure")) {
            try image.decodeMemfd()
        }
    }

    @Test func folioThatIsAnotherStructure() throws {
        var image = try CraftedImage()
        let array = image.memfdArray
        let luo = image.layout.luoFDTPhys
        image.put(u64: (image.u64(array) & ~((1 << 52) - 1)) | (luo >> 12), at: array)
        #expect(throws: MemfdErrorTests.memfd("folio 0 at \(hex(luo)) is already used by another folio or structure")) {
            try image.decodeMemfd()
        }
    }
}
