// luo-handover-demo: a two-process live-update handover on real memfds.
//
//   luo-handover-demo preserve IMAGE
//       creates memfds with known contents and positions, preserves them in
//       two sessions, and writes the KHO image (the "old kernel");
//   luo-handover-demo restore IMAGE [NEXT_IMAGE]
//       loads the image, retrieves every session and memfd, checks each
//       memfd's bytes, size and position through its new descriptor, and
//       finishes the sessions (the "new kernel"); with NEXT_IMAGE it then
//       hands the restored memfds over again.
//
// Each checked file prints one line; the exit status is 0 when everything
// matched, 1 on a mismatch, 2 on an error.

import LiveUpdate
import SystemSupport
import HexFormat
#if canImport(Glibc)
import Glibc
#endif

/// One memfd of the demo: where it goes and what it holds.
struct DemoFile {
    let session: String
    let token: UInt64
    let contents: [UInt8]
    let position: UInt64
}

/// The demo's files; LiveUpdateTests keeps the same table.
let demoFiles: [DemoFile] = [
    DemoFile(session: "demo-vm", token: 0x1001, contents: Array("hello liveupdate".utf8), position: 5),
    DemoFile(session: "demo-vm", token: 0x1002, contents: [], position: 0),
    DemoFile(session: "demo-vm", token: 0x1003,
             contents: (0..<(3 * 4096 + 100)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }, position: 4096),
    DemoFile(session: "demo-state", token: 998, contents: Array("stage=1".utf8), position: 7),
]

enum DemoFailure: Error {
    case usage
    case mismatch(String)
}

func preserve(image path: String) throws {
    let orchestrator = LiveUpdateOrchestrator()
    try orchestrator.register(MemfdHandler())
    var sessions: [String: OutgoingSession] = [:]
    var keepAlive: [MemfdFile] = []
    for file in demoFiles {
        if sessions[file.session] == nil {
            sessions[file.session] = try orchestrator.createSession(named: file.session)
        }
        let memfd = try MemfdFile(name: "demo-\(Hex.format(file.token))")
        try memfd.write(file.contents)
        try memfd.seek(to: file.position)
        try sessions[file.session]!.preserve(memfd, token: file.token)
        keepAlive.append(memfd)
        print("preserved \(file.session) \(Hex.format(file.token)) size=\(file.contents.count) position=\(file.position)")
    }
    try orchestrator.reboot(writingTo: path)
    print("wrote \(path) liveupdate-number=\(orchestrator.liveupdateNumber)")
}

/// Reads the memfd through its descriptor: position first, then every byte.
func readBack(_ fd: Int32) throws -> (position: UInt64, bytes: [UInt8]) {
    let file = FileDescriptor(rawValue: fd)
    let position: Int64
    do {
        position = try file.currentOffset()
        try file.seeking(to: 0, from: .start)
    } catch {
        throw DemoFailure.mismatch("lseek failed: \(error)")
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count: Int
        do {
            count = try buffer.withUnsafeMutableBufferPointer { (piece) throws(Errno) in
                try file.readFully(into: UnsafeMutableRawBufferPointer(piece))
            }
        } catch {
            throw DemoFailure.mismatch("read failed: \(error)")
        }
        bytes += buffer[..<count]
        if count < buffer.count { break }
    }
    return (UInt64(position), bytes)
}

func restore(image path: String, next: String?) throws {
    let orchestrator = LiveUpdateOrchestrator()
    try orchestrator.register(MemfdHandler())
    try orchestrator.loadIncoming(path: path)
    print("loaded \(path) liveupdate-number=\(orchestrator.incomingLiveupdateNumber ?? 0)")
    var mismatches = 0
    var restored: [(DemoFile, MemfdFile)] = []
    var sessions: [String: IncomingSession] = [:]
    for file in demoFiles {
        if sessions[file.session] == nil {
            sessions[file.session] = try orchestrator.retrieveSession(named: file.session)
        }
        guard let memfd = try sessions[file.session]!.retrieveFile(token: file.token) as? MemfdFile else {
            throw DemoFailure.mismatch("token \(Hex.format(file.token)) is not a memfd")
        }
        let (position, bytes) = try readBack(memfd.fd)
        let ok = position == file.position && bytes == file.contents
        if !ok { mismatches += 1 }
        print("restored \(file.session) \(Hex.format(file.token)) size=\(bytes.count) position=\(position) \(ok ? "ok" : "MISMATCH")")
        try memfd.seek(to: position)
        restored.append((file, memfd))
    }
    for name in orchestrator.incomingSessionNames {
        let session = name.string.flatMap { sessions[$0] }
        try session?.finish()
        try session?.close()
    }
    if let next {
        var outgoing: [String: OutgoingSession] = [:]
        for (file, memfd) in restored {
            if outgoing[file.session] == nil {
                outgoing[file.session] = try orchestrator.createSession(named: file.session)
            }
            try outgoing[file.session]!.preserve(memfd, token: file.token)
        }
        try orchestrator.reboot(writingTo: next)
        print("wrote \(next) liveupdate-number=\(orchestrator.liveupdateNumber)")
    }
    if mismatches > 0 { throw DemoFailure.mismatch("\(mismatches) file(s) differ") }
}

let arguments = CommandLine.arguments
do {
    switch (arguments.count, arguments.count > 1 ? arguments[1] : "") {
    case (3, "preserve"): try preserve(image: arguments[2])
    case (3, "restore"): try restore(image: arguments[2], next: nil)
    case (4, "restore"): try restore(image: arguments[2], next: arguments[3])
    default: throw DemoFailure.usage
    }
} catch DemoFailure.usage {
    FileHandle.standardErrorWrite("usage: luo-handover-demo preserve IMAGE | restore IMAGE [NEXT_IMAGE]\n")
    exit(2)
} catch let DemoFailure.mismatch(message) {
    FileHandle.standardErrorWrite("luo-handover-demo: \(message)\n")
    exit(1)
} catch {
    FileHandle.standardErrorWrite("luo-handover-demo: \(error)\n")
    exit(2)
}

enum FileHandle {
    static func standardErrorWrite(_ text: String) {
        var text = text
        text.withUTF8 { try? FileDescriptor.standardError.writeFully(UnsafeRawBufferPointer($0)) }
    }
}
