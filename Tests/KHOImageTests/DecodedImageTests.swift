import Foundation
import Glibc
import HandoverModel
import HexFormat
import KHOImage
import KernelABI
import Synchronization
import Testing

/// A decoded image owns its bytes: the memory, the index, its base, and
/// each file's record joined to its raw data and handler structures, all
/// from the one mapping the reader made.
@Suite struct DecodedImageTests {
    static func state(_ generation: KernelGeneration) -> HandoverState {
        let memfd = generation.memfd
        return HandoverState(
            generation: generation, liveupdateNumber: 4,
            sessions: [
                SessionRecord(name: "vm0", files: [
                    FileRecord(token: 1, compatible: memfd.compatible,
                               content: .memfd(MemfdContents(contents: Array(repeating: 0xab, count: 9000), position: 17))),
                    FileRecord(token: 2, compatible: "vfio-v1", content: .data(0xdead_beef)),
                    FileRecord(token: 3, compatible: "blob-v1", content: .payload(Array(repeating: 7, count: 8192))),
                ]),
                SessionRecord(name: "empty"),
                SessionRecord(name: "vm1", files: [FileRecord(token: 9, compatible: "vfio-v1", content: .data(1))]),
            ],
            flbs: generation.luo.flbCompatible == nil ? [] : [FLBRecord(name: "iommu-core-v1", data: 0x1234, count: 2)],
            kexecMetadata: generation.kexecMetadata == nil ? nil : KexecMetadata(previousRelease: "7.1.8", kexecCount: 1))
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("luo-decoded-\(UUID().uuidString)-\(name)").path
    }

    @Test(arguments: [KernelGeneration.linux6_19, .linux7_1, .linux7_3])
    func filesJoinTheirRecordDataAndStructures(_ generation: KernelGeneration) throws {
        let base: UInt64 = 0x2_0000_0000
        let state = Self.state(generation)
        let encoded = try KHOImageWriter(base: base).encode(state)
        let image = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: encoded.bytes))

        #expect(image.baseAddress == base)
        #expect(image.index == encoded.index)
        #expect(image.memory.fileSize == encoded.fileSize)
        #expect(image.memory.regions == encoded.layout.regions)
        #expect(image.sessions.map(\.name) == ["vm0", "empty", "vm1"])
        for (s, session) in image.sessions.enumerated() {
            #expect(session.layout == encoded.layout.sessions[s])
            #expect(session.files.map(\.record) == image.state.sessions[s].files)
            #expect(session.files.map(\.data) == encoded.layout.sessions[s].fileData)
            for (slot, file) in session.files.enumerated() {
                let entryPhys = encoded.layout.sessions[s].fileEntryPhys(slot)
                #expect(file.entryPhys == entryPhys)
                // The entry's bytes in the image are the kernel's luo_file_ser of the record.
                let entry = try image.memory.copyBytes(at: entryPhys, length: LUOFileSer.size, what: "entry")
                #expect(entry == encoded.physicalBytes(at: entryPhys, length: LUOFileSer.size))
                #expect(entry.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: LUOFileSer.dataOffset) } == file.data)
                #expect(entry.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: LUOFileSer.tokenOffset) } == file.record.token)
            }
        }

        // The memfd's structures are where its memfd_luo_ser says they are.
        let memfdFile = image.sessions[0].files[0]
        let memfd = try #require(memfdFile.memfd)
        #expect(memfd.serPhys == memfdFile.data)
        let serBytes = try #require(encoded.physicalBytes(at: memfd.serPhys, length: generation.memfd.serSize))
        let vmalloc = serBytes.withUnsafeBytes { KHOVmalloc.decode($0, at: generation.memfd.serSize - KHOVmalloc.size) }
        #expect(memfd.ser.folios == vmalloc)
        #expect(memfd.ser.fileSize == 9000)
        #expect(memfd.ser.position == 17)
        #expect((memfd.sealsAndFlags != nil) == generation.memfd.carriesSeals)
        #expect(memfd.chunks.map(\.phys) == [vmalloc.first])
        let chunk = try #require(encoded.physicalBytes(at: vmalloc.first, length: 4096))
        let listed = chunk.withUnsafeBytes { $0.loadLittleEndian(UInt64.self, at: KHOVmallocChunk.physOffset) }
        #expect(memfd.chunks[0].pages == [listed])
        #expect(memfd.folios.count == Int(memfd.ser.folioCount))
        let array = try #require(encoded.physicalBytes(at: listed, length: memfd.folios.count * MemfdFolioSer.size))
        #expect(memfd.folios == (0..<memfd.folios.count).map { slot in
            array.withUnsafeBytes { MemfdFolioSer.decode($0, at: slot * MemfdFolioSer.size) }
        })
        // Files that are not memfds have none.
        #expect(image.sessions[0].files[1].memfd == nil)
        #expect(image.sessions[0].files[2].memfd == nil)
    }

    /// The join is by slot: a memfd past the first `luo-v5` file block gets
    /// its own structures and entry, every other file none.
    @Test func aMemfdPastTheFirstFileBlockJoinsItsOwnSlot() throws {
        let memfdSlot = LUOv5.filesPerBlock + 2
        let files = (0..<(LUOv5.filesPerBlock + 5)).map { slot in
            slot == memfdSlot
                ? FileRecord(token: UInt64(slot), compatible: "memfd-v2", content: .memfd(MemfdContents(contents: [1, 2, 3])))
                : FileRecord(token: UInt64(slot), compatible: "vfio-v1", content: .data(UInt64(slot) * 3))
        }
        let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "first", files: [FileRecord(token: 1, compatible: "vfio-v1", content: .data(5))]),
            SessionRecord(name: "second", files: files),
        ])
        let encoded = try KHOImageWriter().encode(state)
        let image = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: encoded.bytes))
        let session = image.sessions[1]
        #expect(session.files.count == files.count)
        #expect(image.sessions[0].files.allSatisfy { $0.memfd == nil })
        for (slot, file) in session.files.enumerated() {
            #expect(file.record == image.state.sessions[1].files[slot])
            #expect(file.entryPhys == encoded.layout.sessions[1].fileEntryPhys(slot))
            #expect((file.memfd != nil) == (slot == memfdSlot))
        }
        let memfdFile = session.files[memfdSlot]
        #expect(memfdFile.memfd?.serPhys == memfdFile.data)
        #expect(memfdFile.memfd?.ser.fileSize == 3)
        #expect(memfdFile.entryPhys == encoded.layout.sessions[1].fileBlocks[1] + UInt64(KHOBlock.headerSize + 2 * LUOFileSer.size))
    }

    @Test func memoryReadsAreCheckedAgainstTheRegions() throws {
        let encoded = try KHOImageWriter().encode(Self.state(.linux7_3))
        let image = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: encoded.bytes))
        let root = image.layout.khoRootFDTPhys
        #expect(try image.memory.copyBytes(at: root, length: image.khoRootFDT.count, what: "root") == image.khoRootFDT)
        let below = image.baseAddress - 4096
        #expect(throws: KHOImageError.outsideImage(what: "below", phys: below, length: 8)) {
            try image.memory.copyBytes(at: below, length: 8, what: "below")
        }
        let last = try #require(image.memory.regions.last)
        #expect(throws: KHOImageError.straddlesRegions(what: "tail", phys: last.end - 8, length: 16)) {
            try image.memory.copyBytes(at: last.end - 8, length: 16, what: "tail")
        }
        // The whole file is the mapping: index first, then each region at its offset.
        image.memory.withFileBytes { file in
            #expect(file.count == encoded.fileSize)
            #expect(Array(file.prefix(image.index.count)) == image.index)
            let region = image.memory.regions[0]
            let start = Int(region.fileOffset(of: root))
            #expect(Array(file[start..<(start + image.khoRootFDT.count)]) == image.khoRootFDT)
        }
    }

    /// What `decode --format text` and `decode`'s re-encoding check need of
    /// a ~100 MB image comes from the one mapping the reader made. Tested through the library calls the
    /// commands make: the command layer has no public in-process entry yet.
    @Test func aLargeImageIsMappedOnce() throws {
        let contents = [UInt8](repeating: 0x5a, count: 100 << 20)
        let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "big", files: [
                FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: contents))),
            ]),
        ])
        let path = Self.temporaryPath("big.kho")
        defer { unlink(path) }
        let encoded = try KHOImageWriter().encode(state)
        try encoded.write(to: path)
        #expect(encoded.fileSize > 100 << 20)

        let mapped = Mutex<[String]>([])
        try MappedFile.$observer.withValue({ path in mapped.withLock { $0.append(path) } }) {
            guard case let .image(image) = try KHOImageReader.read(path: path) else {
                Issue.record("not read as an image")
                return
            }
            #expect(image.memory.fileSize == encoded.fileSize)
            #expect(image.index == encoded.index)
            let memfd = try #require(image.sessions[0].files[0].memfd)
            #expect(memfd.ser.fileSize == UInt64(contents.count))
            let again = try KHOImageWriter(base: image.baseAddress).encode(image.state)
            #expect(image.memory.withFileBytes { file in again.matches(file) })
        }
        #expect(mapped.withLock { $0 } == [path])
    }

    /// A bare debugfs FDT, padded to a page as debugfs may show it: the
    /// reader hands back its `totalsize` bytes from its one mapping, so
    /// `decode` and `extract` need not read the file again.
    @Test func bareFDTsComeWithTheirBytes() throws {
        let encoded = try KHOImageWriter().encode(Self.state(.linux7_1))
        let path = Self.temporaryPath("root.dtb")
        defer { unlink(path) }
        let padded = encoded.khoRootFDT + [UInt8](repeating: 0, count: 4096 - encoded.khoRootFDT.count)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(padded)))
        let mapped = Mutex<[String]>([])
        let input = try MappedFile.$observer.withValue({ path in mapped.withLock { $0.append(path) } }) {
            try KHOImageReader.read(path: path)
        }
        guard case let .khoRootFDT(root, bytes) = input else {
            Issue.record("not read as a bare KHO root FDT")
            return
        }
        #expect(bytes == encoded.khoRootFDT)
        #expect(root.memoryMapPhys == encoded.layout.memoryMapPhys)
        #expect(mapped.withLock { $0 } == [path])
        guard case let .luoFDT(_, luoBytes) = try KHOImageReader.decode(ReadOnlyBytes(copying: encoded.luoFDT + [0, 0, 0, 0])) else {
            Issue.record("not read as a bare LUO FDT")
            return
        }
        #expect(luoBytes == encoded.luoFDT)
    }

    @Test func hexIsWrittenOneWay() {
        #expect(Hex.format(UInt64(0x1_0000_0000)) == "0x100000000")
        #expect(Hex.format(0) == "0x0")
        #expect(Hex.format(UInt8(0xab)) == "0xab")
        #expect(Hex.digits(UInt8(0x7), width: 2) == "07")
        #expect(Hex.digits(UInt32(0x1f), width: 4) == "001f")
        #expect(Hex.digits(UInt64(0x12345), width: 2) == "12345")
        #expect(Hex.range(0x1000, 0x3000) == "0x1000-0x3000")
    }
}
