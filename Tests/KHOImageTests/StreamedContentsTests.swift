import Foundation
import Glibc
import HandoverModel
import KHOImage
import SystemSupport
import Testing
import TestSupport

/// Memfd contents as a ``ByteSource``: file ranges read only when needed,
/// placed by the writer and sent to the image from their source.
@Suite struct StreamedContentsTests {
    /// A file holding `bytes`, open as a ``ContentFile``.
    static func contentFile(_ bytes: [UInt8], in directory: TemporaryDirectory, name: String = "src.bin") throws -> ContentFile {
        let path = directory.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ContentFile(opening: path)
    }

    static let pattern = (0..<(5 * 4096 + 123)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    @Test func slicesAndChunksCrossSegmentsInOrder() throws {
        let directory = try TemporaryDirectory()
        let file = try Self.contentFile(Self.pattern, in: directory)
        let source = ByteSource(segments: [.bytes([1, 2, 3]), .zeros(4), .file(file, offset: 10, count: Self.pattern.count - 10), .bytes([])])
        let expected = [1, 2, 3, 0, 0, 0, 0] + Array(Self.pattern[10...])
        #expect(source.count == expected.count)
        #expect(source.segments.count == 3)
        #expect(try source.bytes() == expected)
        #expect(try source.bytes(in: 2..<9) == Array(expected[2..<9]))
        #expect(try source.slice(5..<5000).bytes() == Array(expected[5..<5000]))
        #expect(!source.isInline)
        #expect(ByteSource([1, 2]).isInline)
        // Equality is by bytes, wherever they come from.
        #expect(source == ByteSource(expected))
        #expect(source != ByteSource(expected.dropLast() + [0xee]))
        #expect(ByteSource(segments: [.zeros(3)]) == ByteSource([0, 0, 0]))
    }

    @Test func aFileThatEndsEarlyIsAnErrorNamingItAndTheOffset() throws {
        let directory = try TemporaryDirectory()
        let file = try Self.contentFile(Array(Self.pattern[..<100]), in: directory)
        let source = ByteSource(file: file, offset: 40, count: 100)
        #expect(throws: ByteSourceError(file: directory.path("src.bin"), operation: "pread (the file ends early)",
                                        offset: 100, errno: .ioError)) { try source.bytes() }
        #expect(source != ByteSource(Array(repeating: 0, count: 100)))
        #expect(throws: ByteSourceError(file: directory.path("absent"), operation: "open", offset: nil,
                                        errno: .noSuchFileOrDirectory)) { try ContentFile(opening: directory.path("absent")) }
    }

    @Test func sendCopiesFileRangesAndSkipsZerosOnRequest() throws {
        let directory = try TemporaryDirectory()
        let file = try Self.contentFile(Self.pattern, in: directory)
        let source = ByteSource(segments: [.bytes([9, 9]), .zeros(5000), .file(file, offset: 1, count: 3)])
        let target = try FileDescriptor.memfd(name: "target")
        defer { target.closeIgnoringErrors() }
        try target.truncate(toSize: 5005)
        // Pre-fill where the zeros go: skipped, they stay as they were.
        try [UInt8](repeating: 0xaa, count: 5000).withUnsafeBytes { try target.writeFully($0, toAbsoluteOffset: 2) }
        try source.send(to: target, name: "target", skippingZeros: true)
        #expect(try target.currentOffset() == 5005)
        var back = [UInt8](repeating: 0, count: 5005)
        _ = try back.withUnsafeMutableBytes { try target.readFully(fromAbsoluteOffset: 0, into: $0) }
        #expect(back == [9, 9] + [UInt8](repeating: 0xaa, count: 5000) + Array(Self.pattern[1..<4]))
        try target.seeking(to: 0, from: .start)
        try source.send(to: target, name: "target")
        _ = try back.withUnsafeMutableBytes { try target.readFully(fromAbsoluteOffset: 0, into: $0) }
        #expect(back == [9, 9] + [UInt8](repeating: 0, count: 5000) + Array(Self.pattern[1..<4]))
    }

    static func state(_ contents: MemfdContents, generation: KernelGeneration) -> HandoverState {
        HandoverState(generation: generation, liveupdateNumber: 3, sessions: [
            SessionRecord(name: "vm", files: [
                FileRecord(token: 1, compatible: generation.memfd.compatible, content: .memfd(contents)),
                FileRecord(token: 2, compatible: "blob-v1", content: .payload([1, 2, 3])),
                FileRecord(token: 3, compatible: generation.memfd.compatible,
                           content: .memfd(MemfdContents(contents: Array(Self.pattern[..<5000]), position: 1))),
            ]),
        ])
    }

    /// For every generation, a memfd whose contents are a file range gives
    /// the image, in memory and on disk, of the same contents held inline.
    @Test(arguments: KernelGeneration.supported)
    func fileBackedContentsGiveTheImageOfInlineContents(_ generation: KernelGeneration) throws {
        let directory = try TemporaryDirectory()
        let file = try Self.contentFile([0xff] + Self.pattern, in: directory)
        let streamed = MemfdContents(size: UInt64(Self.pattern.count), position: 7,
                                     source: ByteSource(file: file, offset: 1, count: Self.pattern.count))
        let inline = MemfdContents(contents: Self.pattern, position: 7)
        #expect(streamed == inline)
        let expected = try KHOImageWriter().encode(Self.state(inline, generation: generation)).bytes
        let image = try KHOImageWriter().encode(Self.state(streamed, generation: generation))
        #expect(try image.bytes == expected)
        try image.write(to: directory.path("image.kho"))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: directory.path("image.kho")))) == expected)
        #expect(expected.withUnsafeBytes { image.matches($0) })
        #expect(!(expected.dropLast() + [1]).withUnsafeBytes { image.matches($0) })
        let decoded = try KHOImageReader.readImage(path: directory.path("image.kho"))
        // The payload reads back padded to its block; the memfds exactly.
        #expect(decoded.state.sessions[0].files[0].content == .memfd(inline))
        #expect(decoded.state.sessions[0].files[2].content == Self.state(inline, generation: generation).sessions[0].files[2].content)
    }

    /// A source file that shrank after it was measured fails the write
    /// naming it and where it ended; nothing is left at the destination.
    @Test func aShrunkSourceFailsTheWriteAndLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("src.bin")
        let file = try Self.contentFile(Self.pattern, in: directory)
        let contents = MemfdContents(size: UInt64(Self.pattern.count), position: 0,
                                     source: ByteSource(file: file, count: Self.pattern.count))
        let image = try KHOImageWriter().encode(Self.state(contents, generation: .newest))
        #expect(Glibc.truncate(path, 4096) == 0)
        #expect(throws: KHOImageError.io(path: directory.path("out.kho"), operation: "sendfile (the file ends early) of \(path) at offset 4096",
                                         errno: EIO)) {
            try image.write(to: directory.path("out.kho"))
        }
        #expect(directory.entries == ["src.bin"])
    }
}
