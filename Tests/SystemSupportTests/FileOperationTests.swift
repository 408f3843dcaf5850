import Foundation
import Glibc
import SystemSupport
import Testing

/// Opening, positioned reads and writes, temporaries, renames and the
/// errno each failure carries.
@Suite struct FileOperationTests {
    /// A fresh directory, removed with its contents afterwards.
    final class Directory {
        let path: FilePath
        init() throws {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("syslayer-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            path = FilePath(url.path)
        }
        deinit { try? FileManager.default.removeItem(atPath: path.string) }
        var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path.string)) ?? []).sorted() }
    }

    @Test func openingAMissingFileIsENOENT() throws {
        let directory = try Directory()
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try FileDescriptor.opening(directory.path.appending("absent"), .readOnly)
        }
        #expect(Errno.noSuchFileOrDirectory.description == "No such file or directory")
    }

    @Test func openedDescriptorsAreCloseOnExec() throws {
        let directory = try Directory()
        let file = try FileDescriptor.opening(directory.path.appending("f"), .writeOnly, options: [.create],
                                              permissions: .ownerReadWrite)
        defer { file.closeIgnoringErrors() }
        #expect(fcntl(file.rawValue, F_GETFD) & FD_CLOEXEC == FD_CLOEXEC)
    }

    @Test func positionedWriteAndReadRoundTripWithoutMovingThePosition() throws {
        let directory = try Directory()
        let file = try FileDescriptor.opening(directory.path.appending("data"), .readWrite, options: [.create],
                                              permissions: .ownerReadWrite)
        defer { file.closeIgnoringErrors() }
        try ([0xAA, 0xBB, 0xCC] as [UInt8]).withUnsafeBytes { try file.writeFully($0, toAbsoluteOffset: 10) }
        #expect(try file.currentOffset() == 0)
        #expect(try file.stat().size == 13)
        var bytes = [UInt8](repeating: 0xFF, count: 8)
        // Past the end: only what is there, the rest of the buffer untouched.
        let count = try bytes.withUnsafeMutableBytes { try file.readFully(fromAbsoluteOffset: 8, into: $0) }
        #expect(count == 5)
        #expect(bytes == [0, 0, 0xAA, 0xBB, 0xCC, 0xFF, 0xFF, 0xFF])
        try file.truncate(toSize: 11)
        #expect(try file.stat().size == 11)
        #expect(try file.seeking(to: 0, from: .end) == 11)
    }

    @Test func aTemporaryFileIsNewPrivateAndNamedByItsPattern() throws {
        let directory = try Directory()
        let first = try TemporaryFile(in: directory.path, prefix: ".image-", suffix: ".kho")
        let second = try TemporaryFile(in: directory.path, prefix: ".image-", suffix: ".kho")
        defer { first.descriptor.closeIgnoringErrors(); second.descriptor.closeIgnoringErrors() }
        #expect(first.path != second.path)
        let name = try #require(first.path.lastComponent?.string)
        #expect(name.hasPrefix(".image-") && name.hasSuffix(".kho") && name.count == ".image-XXXXXX.kho".count)
        #expect(first.path.removingLastComponent() == directory.path)
        #expect(try first.descriptor.stat().permissions == .ownerReadWrite)
        #expect(fcntl(first.descriptor.rawValue, F_GETFD) & FD_CLOEXEC == FD_CLOEXEC)
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try TemporaryFile(in: directory.path.appending("absent"), prefix: "x")
        }
    }

    @Test func renameReplacesAndRemoveDeletes() throws {
        let directory = try Directory()
        let temporary = try TemporaryFile(in: directory.path, prefix: "t-")
        try ([1, 2] as [UInt8]).withUnsafeBytes { try temporary.descriptor.writeFully($0) }
        try temporary.descriptor.synchronize()
        try temporary.descriptor.setPermissions([.ownerReadWrite, .groupRead, .otherRead])
        try temporary.descriptor.closeReportingErrors()
        let destination = directory.path.appending("out")
        try temporary.path.rename(to: destination)
        #expect(directory.entries == ["out"])
        #expect(try destination.stat().permissions == [.ownerReadWrite, .groupRead, .otherRead])
        try destination.removeFile()
        #expect(directory.entries == [])
        #expect(throws: Errno.noSuchFileOrDirectory) { try destination.removeFile() }
    }

    @Test func aReadOnlyMappingShowsTheFile() throws {
        let directory = try Directory()
        let temporary = try TemporaryFile(in: directory.path, prefix: "m-")
        defer { temporary.descriptor.closeIgnoringErrors() }
        try Array("mapped".utf8).withUnsafeBytes { try temporary.descriptor.writeFully($0) }
        let mapping = try temporary.descriptor.mapReadOnly(byteCount: 6)
        defer { MemoryMapping.unmap(mapping, byteCount: 6) }
        #expect(Array(UnsafeRawBufferPointer(start: mapping, count: 6)) == Array("mapped".utf8))
        #expect(throws: Errno.invalidArgument) { try temporary.descriptor.mapReadOnly(byteCount: 0) }
    }

    @Test func copyFullyCopiesARangeInsideTheKernel() throws {
        let directory = try Directory()
        let source = try TemporaryFile(in: directory.path, prefix: "src-")
        let target = try TemporaryFile(in: directory.path, prefix: "dst-")
        defer { source.descriptor.closeIgnoringErrors(); target.descriptor.closeIgnoringErrors() }
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        try bytes.withUnsafeBytes { try source.descriptor.writeFully($0) }
        let copied = try source.descriptor.copyFully(count: 200_000, fromAbsoluteOffset: 1000,
                                                     to: target.descriptor, toAbsoluteOffset: 4096)
        #expect(copied == 200_000)
        var back = [UInt8](repeating: 0, count: 200_000)
        #expect(try back.withUnsafeMutableBytes { try target.descriptor.readFully(fromAbsoluteOffset: 4096, into: $0) } == 200_000)
        #expect(back == Array(bytes[1000..<201_000]))
        // The source ends first: only what it has.
        #expect(try source.descriptor.copyFully(count: 10_000, fromAbsoluteOffset: 295_000,
                                                to: target.descriptor, toAbsoluteOffset: 0) == 5000)
        // Positions untouched.
        #expect(try target.descriptor.currentOffset() == 0)
        #expect(throws: Errno.badFileDescriptor) {
            _ = try source.descriptor.copyFully(count: 1, fromAbsoluteOffset: 0, to: FileDescriptor(rawValue: -1), toAbsoluteOffset: 0)
        }
    }

    @Test func sendFullyCopiesFromAMemfdToTheTargetsPosition() throws {
        let directory = try Directory()
        let source = try FileDescriptor.memfd(name: "send", allowSealing: false)
        let target = try TemporaryFile(in: directory.path, prefix: "dst-")
        defer { source.closeIgnoringErrors(); target.descriptor.closeIgnoringErrors() }
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        try bytes.withUnsafeBytes { try source.writeFully($0) }
        try Array("head".utf8).withUnsafeBytes { try target.descriptor.writeFully($0) }
        #expect(try source.sendFully(count: 200_000, fromAbsoluteOffset: 1000, to: target.descriptor) == 200_000)
        // The target's position moved past what was sent; the source's did not.
        #expect(try target.descriptor.currentOffset() == 200_004)
        #expect(try source.currentOffset() == 300_000)
        var back = [UInt8](repeating: 0, count: 200_004)
        #expect(try back.withUnsafeMutableBytes { try target.descriptor.readFully(fromAbsoluteOffset: 0, into: $0) } == 200_004)
        #expect(back == Array("head".utf8) + Array(bytes[1000..<201_000]))
        // The source ends first: only what it has.
        #expect(try source.sendFully(count: 10_000, fromAbsoluteOffset: 295_000, to: target.descriptor) == 5000)
        #expect(throws: Errno.badFileDescriptor) {
            _ = try source.sendFully(count: 1, fromAbsoluteOffset: 0, to: FileDescriptor(rawValue: -1))
        }
    }
}
