/// A failure the command reports itself: a one-line message for stderr and
/// the exit status that goes with it.
struct CLIFailure: Error, CustomStringConvertible {
    /// Exit status for invalid or differing input.
    static let invalidInputStatus: Int32 = 1
    /// Exit status for usage errors (argument-parser's default, 64, is overridden).
    static let usageStatus: Int32 = 2

    /// The exit status.
    var status: Int32
    /// One line: the file, the field or offset, and what is wrong.
    var message: String

    /// The line printed on stderr.
    var description: String { message }

    /// The message on one line: names inside it come from untrusted input,
    /// so control characters become spaces.
    var line: String { message.unicodeScalars.map { $0.value < 0x20 ? " " : String($0) }.joined() }

    /// Invalid or differing input (exit status 1).
    static func invalid(_ message: String) -> CLIFailure {
        CLIFailure(status: invalidInputStatus, message: message)
    }
}
