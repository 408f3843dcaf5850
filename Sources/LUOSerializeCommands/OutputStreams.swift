import ArgumentParser
import SystemSupport

/// Where a command's output goes: the text for stdout, the text for stderr,
/// and whether stderr is a terminal (a progress bar is drawn only then).
///
/// The executable passes ``standardStreams``; a test passes writers that
/// collect the text, so many runs can go on at once in one process.
public struct OutputStreams: Sendable {
    /// Writes text meant for stdout (the command's result).
    public var writeOutput: @Sendable (String) -> Void
    /// Writes text meant for stderr (errors, warnings, notes, progress).
    public var writeError: @Sendable (String) -> Void
    /// Whether stderr is a terminal, where a progress bar may be drawn.
    public var errorIsTerminal: Bool

    /// Streams made of two writers.
    public init(errorIsTerminal: Bool = false,
                writeOutput: @escaping @Sendable (String) -> Void,
                writeError: @escaping @Sendable (String) -> Void) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.errorIsTerminal = errorIsTerminal
    }

    /// The process's own stdout and stderr, written unbuffered.
    public static var standardStreams: OutputStreams {
        OutputStreams(errorIsTerminal: FileDescriptor.standardError.isTerminal,
                      writeOutput: { StandardStreams.writeOutput($0) },
                      writeError: { StandardStreams.writeError($0) })
    }
}

/// A command that writes everything it prints through a ``OutputStreams``
/// rather than to the process's streams.
protocol StreamedCommand: ParsableCommand {
    /// Runs the command, printing through `streams`.
    func run(writingTo streams: OutputStreams) throws
}
