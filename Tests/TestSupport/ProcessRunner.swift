import Foundation

/// What a finished run of a command did: its exit status and everything it
/// wrote. The same for a child process and for the CLI run in process.
public struct RunResult: Sendable {
    /// The exit status (for a process killed by a signal: the signal).
    public var status: Int32
    /// Whether a process ended by `exit` rather than by a signal.
    public var exited: Bool
    /// Everything written to stdout.
    public var stdoutBytes: [UInt8]
    /// Everything written to stderr.
    public var stderr: String

    /// A result.
    public init(status: Int32, exited: Bool = true, stdoutBytes: [UInt8], stderr: String) {
        self.status = status
        self.exited = exited
        self.stdoutBytes = stdoutBytes
        self.stderr = stderr
    }

    /// stdout as text.
    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }

    /// stderr's lines, without the trailing empty one.
    public var stderrLines: [String] {
        stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// What a crashing Swift program prints on stderr.
    public static let crashMarkers = ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Illegal instruction"]

    /// The crash markers found on stderr (none for a clean run).
    public var crashReport: [String] { Self.crashMarkers.filter { stderr.contains($0) } }
}

/// Runs child processes: test tools (`python3`, `dtc`) and the package's
/// own executables.
public enum ProcessRunner {
    /// Runs `executable` with `arguments`, feeding it `stdin` (nothing when
    /// `nil`); stdout and stderr go to files, so neither is a terminal and
    /// neither pipe can fill up.
    public static func run(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> RunResult {
        let directory = try TemporaryDirectory()
        let outPath = directory.path("stdout"), errPath = directory.path("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let stdin {
            process.standardInput = FileHandle(forReadingAtPath: try directory.write("stdin", bytes: stdin))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, exited: process.terminationReason == .exit,
                         stdoutBytes: try readBytes(outPath),
                         stderr: String(decoding: try readBytes(errPath), as: UTF8.self))
    }

    /// Runs `tools/kernel_fdt_sequences.py` (pylibfdt replaying the
    /// kernel's FDT calls) and returns the blob it prints; throws when it
    /// fails.
    public static func kernelFDTSequence(_ arguments: [String]) throws -> [UInt8] {
        let result = try run("/usr/bin/python3", [Repository.path("tools/kernel_fdt_sequences.py")] + arguments)
        guard result.exited, result.status == 0 else {
            throw ToolFailed(tool: "kernel_fdt_sequences.py", arguments: arguments, result: result)
        }
        return result.stdoutBytes
    }
}

/// A helper tool that exited with a failure.
public struct ToolFailed: Error, CustomStringConvertible {
    /// The tool.
    public var tool: String
    /// Its arguments.
    public var arguments: [String]
    /// What it did.
    public var result: RunResult

    /// The tool, its status and its stderr.
    public var description: String { "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)" }
}

/// The executables `swift build` put beside the running test bundle.
public enum BuiltProducts {
    /// The path of the product `name` (such as `luo-serialize`): `$LUO_SERIALIZE_BIN`
    /// for that one if set, else the file of that name in the directory of
    /// the running test executable or one above it; throws when not built.
    public static func path(_ name: String) throws -> String {
        if name == "luo-serialize", let explicit = ProcessInfo.processInfo.environment["LUO_SERIALIZE_BIN"] { return explicit }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw NotBuilt(name: name, near: executable.path)
    }

    /// A product that is not built beside the tests.
    public struct NotBuilt: Error, CustomStringConvertible {
        /// The product.
        public var name: String
        /// The test executable it was looked for beside.
        public var near: String

        /// Which product and where.
        public var description: String { "\(name) is not built beside \(near) (swift build --build-tests builds it)" }
    }
}
