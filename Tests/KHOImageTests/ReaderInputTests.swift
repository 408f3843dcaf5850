import FDT
import Glibc
import KernelABI
import KHOImage
import Testing

/// What the reader is given before any structure: too small, not an FDT,
/// an unknown compatible, a bare debugfs FDT instead of an image, files it
/// cannot open; and a crafted image that reads back whole.
@Suite struct ReaderInputTests {
    @Test func richStateRoundTrips() throws {
        let image = try CraftedImage()
        let decoded = try image.decode()
        #expect(decoded.state == CraftedImage.richState)
        #expect(decoded.layout == image.layout)
        #expect(decoded.unreferencedBlocks.isEmpty)
    }

    @Test func fileTooSmall() {
        #expect(throws: KHOImageError.fileTooSmall(size: 39)) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: [UInt8](repeating: 0, count: 39)))
        }
        #expect(throws: KHOImageError.fileTooSmall(size: 0)) { try KHOImageReader.decode(ReadOnlyBytes(copying: [])) }
    }

    @Test func notAnFDT() throws {
        #expect(throws: KHOImageError.notAnFDT(.libfdt(.badMagic, function: "fdt_check_header", location: "input, byte offset 0"))) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: [UInt8](repeating: 0, count: 4096)))
        }
        let writer = try FDTSequentialWriter(capacity: 256)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.endNode()
        try writer.finish()
        #expect(throws: KHOImageError.notAnFDT(.missingProperty(node: "/", property: "compatible"))) {
            try KHOImageReader.decode(ReadOnlyBytes(copying: writer.blob))
        }
    }

    static func bareFDT(compatible: String) throws -> ReadOnlyBytes {
        let writer = try FDTSequentialWriter(capacity: 256)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.property("compatible", string: compatible)
        try writer.endNode()
        try writer.finish()
        return ReadOnlyBytes(copying: writer.blob)
    }

    @Test func unknownRootCompatible() throws {
        #expect(throws: KHOImageError.unknownInput(compatible: "acme,widget")) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "acme,widget"))
        }
        // An index of another format version is not an index.
        #expect(throws: KHOImageError.unknownInput(compatible: "luo-serialize,kho-image-v2")) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "luo-serialize,kho-image-v2"))
        }
    }

    @Test func bareFDTsOfOtherGenerations() throws {
        // kho-v1 (v6.19, v7.0) is read now: a bare root without its memory map is refused for that.
        #expect(throws: KHOImageError.structure(what: "KHO root FDT", error: .fdt(.missingProperty(node: "/", property: "preserved-memory-map")))) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "kho-v1"))
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(node: "/", found: "luo-v2", supported: "luo-v1"))) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "luo-v2"))
        }
        #expect(throws: KHOImageError.structure(what: "KHO root FDT", error: .fdt(.missingProperty(node: "/", property: "preserved-memory-map")))) {
            try KHOImageReader.decode(try Self.bareFDT(compatible: "kho-v2"))
        }
    }

    @Test func bareFDTsAreReadButAreNotImages() throws {
        let image = try KHOImageWriter().encode(CraftedImage.richState)
        guard case let .luoFDT(luo, _) = try KHOImageReader.decode(ReadOnlyBytes(copying: image.luoFDT)) else {
            Issue.record("not read as a LUO FDT"); return
        }
        #expect(luo == LUOv1FDT.Contents(liveupdateNumber: 5, sessionHeaderPhys: image.layout.sessionHeaderPhys,
                                         flbHeaderPhys: image.layout.flbHeaderPhys))
        guard case let .khoRootFDT(root, _) = try KHOImageReader.decode(ReadOnlyBytes(copying: image.khoRootFDT)) else {
            Issue.record("not read as a KHO root FDT"); return
        }
        #expect(root.memoryMapPhys == image.layout.memoryMapPhys)
        #expect(root.subtrees.map(\.name) == ["LUO"])
        #expect(throws: KHOImageError.indexValue(property: "compatible", reason: "input is a bare LUO FDT, not an image")) {
            try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.luoFDT))
        }
        #expect(throws: KHOImageError.indexValue(property: "compatible", reason: "input is a bare KHO root FDT, not an image")) {
            try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.khoRootFDT))
        }
    }

    @Test func filesystemErrors() throws {
        let directory = "/tmp/luo-reader-tests-\(getpid())"
        mkdir(directory, 0o755)
        defer { rmdir(directory) }
        #expect(throws: KHOImageError.io(path: "\(directory)/absent", operation: "open", errno: ENOENT)) {
            try KHOImageReader.read(path: "\(directory)/absent")
        }
        #expect(throws: KHOImageError.io(path: directory, operation: "open (not a regular file)", errno: EINVAL)) {
            try KHOImageReader.read(path: directory)
        }
        let empty = "\(directory)/empty"
        close(open(empty, O_CREAT | O_WRONLY, 0o644))
        defer { unlink(empty) }
        #expect(throws: KHOImageError.fileTooSmall(size: 0)) { try KHOImageReader.read(path: empty) }
        // A sparse file one byte over the limit is refused before it is mapped.
        let huge = "\(directory)/huge"
        let descriptor = open(huge, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(descriptor, off_t(KHOImageReader.maximumImageSize + 1)) == 0)
        close(descriptor)
        defer { unlink(huge) }
        let error = #expect(throws: KHOImageError.self) { try KHOImageReader.read(path: huge) }
        #expect(error == .fileTooLarge(size: KHOImageReader.maximumImageSize + 1, limit: 1 << 40))
        #expect(error?.errno == EFBIG)
    }

    @Test func imageFileReadsBackFromDisk() throws {
        let image = try KHOImageWriter().encode(CraftedImage.richState)
        let path = "/tmp/luo-reader-tests-\(getpid()).kho"
        try image.write(to: path)
        defer { unlink(path) }
        #expect(try KHOImageReader.readImage(path: path).state == CraftedImage.richState)
    }
}
