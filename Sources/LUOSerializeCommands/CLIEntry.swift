import ArgumentParser
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the command line and turns every outcome into an exit status:
/// 0 success, 1 invalid or differing input, 2 usage error. Nothing escapes
/// as a crash or a stack trace.
public enum CLIEntry {
    /// Parses `CommandLine.arguments`, runs the chosen command and exits.
    public static func main() -> Never {
        // No subcommand at all is a usage error, not a request for help.
        if CommandLine.arguments.count <= 1 {
            StandardStreams.writeError(LUOSerializeCommand.helpMessage() + "\n")
            exit(CLIFailure.usageStatus)
        }
        do {
            var command = try LUOSerializeCommand.parseAsRoot()
            try command.run()
            exit(0)
        } catch let failure as CLIFailure {
            // Names inside the message come from untrusted input: keep it one line.
            let line = failure.message.unicodeScalars.map { $0.value < 0x20 ? " " : String($0) }.joined()
            StandardStreams.writeError("luo-serialize: \(line)\n")
            exit(failure.status)
        } catch {
            // argument-parser reports usage errors as EX_USAGE (64); this tool uses 2.
            if LUOSerializeCommand.exitCode(for: error) == .validationFailure {
                StandardStreams.writeError(LUOSerializeCommand.fullMessage(for: error) + "\n")
                exit(CLIFailure.usageStatus)
            }
            // Help, version and completion scripts (status 0), and anything else.
            LUOSerializeCommand.exit(withError: error)
        }
    }
}

/// Unbuffered writes to the standard streams.
enum StandardStreams {
    /// Writes `text` to stderr.
    static func writeError(_ text: String) { write(text, to: 2) }

    /// Writes `text` to stdout.
    static func writeOutput(_ text: String) { write(text, to: 1) }

    private static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { try? FileDescriptor(rawValue: descriptor).writeFully($0) }
    }
}
