import Foundation
import Testing

/// Runs the built `luo-serialize` binary and captures what it did.
struct CLIResult {
    /// The exit status.
    var status: Int32
    /// Everything written to stdout.
    var stdoutBytes: [UInt8]
    /// Everything written to stderr.
    var stderr: String

    /// stdout as text.
    var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }

    /// stderr's lines, without the trailing empty one.
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// Finds and runs the `luo-serialize` executable that `swift test` built
/// next to the test bundle, whatever `--scratch-path` was used.
enum CLI {
    /// The executable: `$LUO_SERIALIZE_BIN` if set, else `luo-serialize`
    /// in the directory of the running test executable (or the xctest
    /// bundle's parent).
    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["LUO_SERIALIZE_BIN"] { return explicit }
        var candidates: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle)
        candidates.append(bundle.deletingLastPathComponent())
        if let argument = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: argument).deletingLastPathComponent())
        }
        for directory in candidates {
            var current = directory
            // The executable sits beside the test bundle; walk up from inside a bundle.
            for _ in 0..<4 {
                let path = current.appendingPathComponent("luo-serialize").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
                current = current.deletingLastPathComponent()
            }
        }
        return "luo-serialize-not-found-next-to-the-test-bundle"
    }()

    /// The repository root (for `Examples/`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Examples/handover.json`.
    static var exampleManifest: String { repositoryRoot.appendingPathComponent("Examples/handover.json").path }

    /// Runs the binary with `arguments`; stdout and stderr go to files (so
    /// stderr is not a terminal). Records an issue if the process was
    /// killed by a signal or printed a crash report.
    @discardableResult
    static func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        try runProcess(binary, arguments, sourceLocation: sourceLocation)
    }

    /// Runs any executable the same way.
    static func runProcess(_ executable: String, _ arguments: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let directory = try TemporaryDirectory()
        let outPath = directory.path("stdout")
        let errPath = directory.path("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        process.waitUntilExit()
        let result = CLIResult(
            status: process.terminationStatus,
            stdoutBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: outPath))),
            stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self))
        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus): \(result.stderr)",
                sourceLocation: sourceLocation)
        for marker in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Illegal instruction"] {
            #expect(!result.stderr.contains(marker), "crash report on stderr: \(result.stderr)", sourceLocation: sourceLocation)
        }
        return result
    }
}

/// A fresh directory under the system's temporary directory, removed when
/// the value is released.
final class TemporaryDirectory {
    /// The directory's path.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("luo-serialize-cli-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A path inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `bytes` to `name` and returns its path.
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The names of the files in the directory, sorted.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// Reads a whole file.
func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Encodes the bundled example into `directory/name` and returns its path.
func encodeExample(in directory: TemporaryDirectory, name: String = "example.kho",
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let output = directory.path(name)
    let result = try CLI.run(["encode", CLI.exampleManifest, "-o", output])
    #expect(result.status == 0, "encode failed: \(result.stderr)", sourceLocation: sourceLocation)
    return output
}
