import Foundation
import Glibc
import HandoverModel
import TestSupport
import Testing
@testable import KHOImage

/// Every file the library and the CLI write goes through AtomicFileWriter
/// (temporary file in the same directory, fsync, rename): a failed or
/// killed writer leaves no partial destination, and an existing
/// destination as it was.
@Suite struct AtomicOutputTests {
    struct Injected: Error, Equatable {}

    @Test func injectedFailureLeavesNoFile() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.path("out.bin")
        let chunks: [[UInt8]] = [[UInt8](repeating: 1, count: 4096), [UInt8](repeating: 2, count: 4096), [3]]
        var calls: [Int] = []
        #expect(throws: Injected()) {
            try chunks[0].withUnsafeBytes { a in
                try chunks[1].withUnsafeBytes { b in
                    try chunks[2].withUnsafeBytes { c in
                        try AtomicFileWriter.write([a, b, c], to: destination) { written in
                            calls.append(written)
                            // The temporary file is there, the destination is not.
                            #expect(directory.entries.count == 1)
                            #expect(directory.entries.allSatisfy { $0.hasPrefix(".out.bin.tmp-") })
                            if written == 8192 { throw Injected() }
                        }
                    }
                }
            }
        }
        #expect(calls == [4096, 8192])
        #expect(directory.entries == [])
    }

    @Test func injectedFailureKeepsTheExistingDestination() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.path("image.kho")
        try AtomicFileWriter.write(Array("old contents".utf8), to: destination)
        #expect(directory.entries == ["image.kho"])
        let state = HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "vm0", files: [FileRecord(token: 1, compatible: "memfd-v1",
                                                          content: .memfd(MemfdContents(contents: [UInt8](repeating: 7, count: 40000))))]),
        ])
        let image = try KHOImageWriter().encode(state)
        // EncodedImage.write reports a hook's error as a cancelled write
        // (ECANCELED: no system call failed) naming that error.
        #expect(throws: KHOImageError.io(path: destination, operation: "write (Injected())", errno: ECANCELED)) {
            try image.write(to: destination) { written in
                if written > 0 { throw Injected() }
            }
        }
        #expect(directory.entries == ["image.kho"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: destination)) == Data("old contents".utf8))
        // Without the failure the new image replaces it whole.
        try image.write(to: destination)
        #expect(directory.entries == ["image.kho"])
        #expect(try KHOImageReader.readImage(path: destination).state == state)
    }

    @Test func systemFailureLeavesNoFile() throws {
        let directory = try TemporaryDirectory()
        // The destination is a directory: rename fails after the data is written.
        let destination = directory.path("taken")
        try FileManager.default.createDirectory(atPath: destination + "/inside", withIntermediateDirectories: true)
        #expect(throws: AtomicFileWriter.WriteError(path: destination, operation: "rename", errno: EISDIR)) {
            try AtomicFileWriter.write([1, 2, 3], to: destination)
        }
        #expect(directory.entries == ["taken"])
        // A directory that does not exist: nothing is created.
        let missing = directory.path("no/such/out")
        #expect(throws: AtomicFileWriter.WriteError(path: missing, operation: "mkstemp", errno: ENOENT)) {
            try AtomicFileWriter.write([1], to: missing)
        }
        #expect(directory.entries == ["taken"])
    }

    // MARK: a killed CLI

    /// Starts `luo-serialize retrieve` of a 64 MiB memfd, SIGKILLs it as
    /// soon as its temporary output file appears (mid-write), and returns
    /// what the directory holds afterwards.
    static func killRetrieveMidWrite(_ directory: TemporaryDirectory, image: String, existing: [UInt8]?) throws -> [String] {
        let cli = try BuiltProducts.path("luo-serialize")
        let destination = directory.path("memory.bin")
        if let existing { try AtomicFileWriter.write(existing, to: destination) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["retrieve", image, "--session", "vm0", "--token", "1", "-o", destination]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var sawTemporary = false
        while process.isRunning, Date() < deadline {
            if directory.entries.contains(where: { $0.hasPrefix(".memory.bin.tmp-") }) {
                sawTemporary = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(200)
        }
        process.waitUntilExit()
        #expect(sawTemporary, "the writer finished before it could be killed")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
        return directory.entries.filter { $0 != "image.kho" }
    }

    @Test func killedCLILeavesNoPartialDestination() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("image.kho")
        let contents = [UInt8](repeating: 0x5a, count: 64 << 20)
        try KHOImageWriter().encode(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [
            SessionRecord(name: "vm0", files: [FileRecord(token: 1, compatible: "memfd-v1",
                                                          content: .memfd(MemfdContents(contents: contents)))]),
        ])).write(to: image)

        // No destination before: none after, only the writer's hidden
        // temporary file (which nothing reads; see docs/ROBUSTNESS.md).
        var left = try Self.killRetrieveMidWrite(directory, image: image, existing: nil)
        #expect(!left.contains("memory.bin"))
        #expect(left.count == 1 && left[0].hasPrefix(".memory.bin.tmp-"), "\(left)")
        for name in left { unlink(directory.path(name)) }

        // An existing destination is left exactly as it was.
        let old = Array("the previous retrieve".utf8)
        left = try Self.killRetrieveMidWrite(directory, image: image, existing: old)
        #expect(left.contains("memory.bin"))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path("memory.bin")))) == old)
    }
}
