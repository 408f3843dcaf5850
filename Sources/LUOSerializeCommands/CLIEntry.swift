import ArgumentParser
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the command line and turns every outcome into an exit status:
/// 0 success, 1 invalid or differing input, 2 usage error. Nothing escapes
/// as a crash or a stack trace.
public enum CLIEntry {
    /// Parses `CommandLine.arguments`, runs the chosen command on the
    /// process's stdout and stderr, and exits with its status.
    public static func main() -> Never {
        exit(run(Array(CommandLine.arguments.dropFirst()), streams: .standardStreams))
    }

    /// Runs the tool with `arguments` (without the program name), printing
    /// through `streams`, and returns the exit status `main()` would exit
    /// with: 0 success (help, version and completion scripts too), 1
    /// invalid or differing input, 2 usage error. Keeps no state between
    /// runs, so runs may overlap.
    public static func run(_ arguments: [String], streams: OutputStreams) -> Int32 {
        // No subcommand at all is a usage error, not a request for help.
        if arguments.isEmpty {
            streams.writeError(LUOSerializeCommand.helpMessage() + "\n")
            return CLIFailure.usageStatus
        }
        do {
            var command = try LUOSerializeCommand.parseAsRoot(arguments)
            if let command = command as? any StreamedCommand {
                try command.run(writingTo: streams)
            } else {
                // The root command alone: argument-parser's help request.
                try command.run()
            }
            return 0
        } catch let failure as CLIFailure {
            streams.writeError("luo-serialize: \(failure.line)\n")
            return failure.status
        } catch {
            let code = LUOSerializeCommand.exitCode(for: error)
            let message = LUOSerializeCommand.fullMessage(for: error)
            // argument-parser reports usage errors as EX_USAGE (64); this tool uses 2.
            if code == .validationFailure {
                streams.writeError(message + "\n")
                return CLIFailure.usageStatus
            }
            // Help, version and completion scripts (status 0) on stdout, as
            // argument-parser prints them; anything else on stderr.
            if !message.isEmpty {
                if code == .success { streams.writeOutput(message + "\n") } else { streams.writeError(message + "\n") }
            }
            return code.rawValue
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
