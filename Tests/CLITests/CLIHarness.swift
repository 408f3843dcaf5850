import Foundation
import LUOSerializeCommands
import TestSupport
import Testing

/// Runs `luo-serialize`: in process through ``CLIEntry/run(_:streams:)``
/// (most tests), or as the built binary (the end-to-end tests).
enum CLI {
    /// Runs the tool in this process with `arguments`, collecting what it
    /// prints; `terminal` says whether its stderr counts as a terminal.
    @discardableResult
    static func run(_ arguments: [String], terminal: Bool = false) -> RunResult {
        let capture = CapturedStreams(errorIsTerminal: terminal)
        let status = CLIEntry.run(arguments, streams: capture.streams)
        return RunResult(status: status, stdoutBytes: capture.stdout, stderr: capture.stderr)
    }

    /// Runs the built `luo-serialize` binary with `arguments` (stdin from
    /// `stdin`, or empty); records an issue if the process was killed by a
    /// signal or printed a crash report.
    @discardableResult
    static func runBinary(_ arguments: [String], stdin: [UInt8]? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let result = try ProcessRunner.run(try BuiltProducts.path("luo-serialize"), arguments, stdin: stdin)
        #expect(result.exited, "killed by signal \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.crashReport.isEmpty, "crash report on stderr: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }
}

/// Streams that keep what a run writes, for one in-process run.
final class CapturedStreams: @unchecked Sendable {
    private let lock = NSLock()
    private var out: [UInt8] = []
    private var err = ""
    private let errorIsTerminal: Bool

    init(errorIsTerminal: Bool) { self.errorIsTerminal = errorIsTerminal }

    /// The streams to hand to the tool.
    var streams: OutputStreams {
        OutputStreams(errorIsTerminal: errorIsTerminal,
                      writeOutput: { text in self.lock.withLock { self.out += Array(text.utf8) } },
                      writeError: { text in self.lock.withLock { self.err += text } })
    }

    /// Everything written to stdout.
    var stdout: [UInt8] { lock.withLock { out } }
    /// Everything written to stderr.
    var stderr: String { lock.withLock { err } }
}

/// Encodes the bundled example into `directory/name` and returns its path.
func encodeExample(in directory: TemporaryDirectory, name: String = "example.kho",
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let output = directory.path(name)
    let result = CLI.run(["encode", Repository.exampleManifest, "-o", output])
    #expect(result.status == 0, "encode failed: \(result.stderr)", sourceLocation: sourceLocation)
    return output
}
