import ArgumentParser
import KHOImage

/// `diff A B`: what differs in meaning between two images.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what differs between two images, by session, token and field.",
        discussion: """
        Sessions are matched by name, files by token and FLB entries by name; physical \
        addresses (for example a different --base) and entry order are layout, not meaning. \
        Prints one line per difference on stdout. Exit 0 when the images are identical in \
        meaning, 1 when they differ or either is invalid.

        Example:
          luo-serialize diff /tmp/before.kho /tmp/after.kho
        """
    )

    @Argument(help: "The first image (A).", completion: .file(extensions: ["kho"]))
    var first: String

    @Argument(help: "The second image (B).", completion: .file(extensions: ["kho"]))
    var second: String

    func run() throws {
        let a = try ImageInputLoader.readImage(first)
        let b = try ImageInputLoader.readImage(second)
        let lines = StateDiff.differences(a.state, b.state)
        guard !lines.isEmpty else { return }
        StandardStreams.writeOutput(lines.joined(separator: "\n") + "\n")
        throw CLIFailure.invalid("\(first) and \(second) differ: \(lines.count) difference\(lines.count == 1 ? "" : "s")")
    }
}
