import Foundation
import TestSupport
import Testing
import LiveUpdate

/// A full handover across processes with `luo-handover-demo`: one process
/// preserves memfds and writes the image, a second one loads it, retrieves
/// the memfds and checks their bytes, and hands them over again.
@Suite struct HandoverProcessTests {
    /// The demo's files (the same table as Sources/LUOHandoverDemo/main.swift).
    static let files: [(session: String, token: UInt64, contents: [UInt8], position: UInt64)] = [
        ("demo-vm", 0x1001, Array("hello liveupdate".utf8), 5),
        ("demo-vm", 0x1002, [], 0),
        ("demo-vm", 0x1003, (0..<(3 * 4096 + 100)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }, 4096),
        ("demo-state", 998, Array("stage=1".utf8), 7),
    ]

    /// Runs the demo and returns its exit status and standard output lines.
    static func run(_ arguments: [String]) throws -> (status: Int32, lines: [String], errors: String) {
        let result = try ProcessRunner.run(try BuiltProducts.path("luo-handover-demo"), arguments)
        return (result.status, result.stdout.split(separator: "\n").map(String.init), result.stderr)
    }

    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "luo-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).img"
    }

    @Test func memfdsSurviveAHandoverBetweenProcesses() throws {
        let first = temporaryPath("first")
        let second = temporaryPath("second")
        defer { unlink(first); unlink(second) }

        let preserve = try Self.run(["preserve", first])
        #expect(preserve.status == 0, "preserve failed: \(preserve.errors)")
        #expect(preserve.lines == [
            "preserved demo-vm 0x1001 size=16 position=5",
            "preserved demo-vm 0x1002 size=0 position=0",
            "preserved demo-vm 0x1003 size=12388 position=4096",
            "preserved demo-state 0x3e6 size=7 position=7",
            "wrote \(first) liveupdate-number=1",
        ])

        // This process reads the image the first one wrote, byte for byte.
        let image = try KHOImageReader.readImage(path: first)
        #expect(image.state.liveupdateNumber == 1)
        #expect(image.state.sessions.map(\.name) == ["demo-vm", "demo-state"])
        let contents = image.state.sessions.flatMap { session in session.files.map { (session.name, $0) } }
        #expect(contents.count == Self.files.count)
        for ((session, record), expected) in zip(contents, Self.files) {
            #expect(session == SessionName(expected.session))
            #expect(record.token == expected.token)
            #expect(record.compatible == "memfd-v2")
            // Plain memfds: F_GET_SEALS reports F_SEAL_SEAL, and memfd-v2 carries it.
            #expect(record.content == .memfd(MemfdContents(contents: expected.contents, position: expected.position, seals: 1)))
        }

        // The second process retrieves the memfds, checks them through their
        // descriptors, and hands them over again.
        let restore = try Self.run(["restore", first, second])
        #expect(restore.status == 0, "restore failed: \(restore.errors)")
        #expect(restore.lines == [
            "loaded \(first) liveupdate-number=1",
            "restored demo-vm 0x1001 size=16 position=5 ok",
            "restored demo-vm 0x1002 size=0 position=0 ok",
            "restored demo-vm 0x1003 size=12388 position=4096 ok",
            "restored demo-state 0x3e6 size=7 position=7 ok",
            "wrote \(second) liveupdate-number=2",
        ])

        // A third process restores the second generation.
        let again = try Self.run(["restore", second])
        #expect(again.status == 0, "second restore failed: \(again.errors)")
        #expect(again.lines.first == "loaded \(second) liveupdate-number=2")
        #expect(again.lines.filter { $0.hasSuffix(" ok") }.count == 4)
    }

    @Test func theRestoringProcessNoticesChangedBytes() throws {
        // An image whose memfd differs from what the demo expects: the
        // restore side must report the mismatch, so the check can fail.
        var state = HandoverState(liveupdateNumber: 1)
        var sessions: [String: [FileRecord]] = [:]
        for file in Self.files {
            var bytes = file.contents
            if file.token == 0x1003 { bytes[4097] ^= 0xff }
            sessions[file.session, default: []].append(FileRecord(
                token: file.token, compatible: "memfd-v2",
                content: .memfd(MemfdContents(contents: bytes, position: file.position, seals: 1))))
        }
        state.sessions = ["demo-vm", "demo-state"].map { SessionRecord(name: SessionName($0), files: sessions[$0]!) }
        let path = temporaryPath("tampered")
        defer { unlink(path) }
        try KHOImageWriter().encode(state).write(to: path)
        let restore = try Self.run(["restore", path])
        #expect(restore.status == 1)
        #expect(restore.lines.contains("restored demo-vm 0x1003 size=12388 position=4096 MISMATCH"))
        #expect(restore.lines.contains("restored demo-vm 0x1001 size=16 position=5 ok"))
        #expect(restore.errors == "luo-handover-demo: 1 file(s) differ\n")
    }

    @Test func usageErrorsExitWith2() throws {
        let result = try Self.run(["bogus"])
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix("usage: luo-handover-demo"))
    }
}
