import ArgumentParser
import KHOImage

/// `verify IMAGE`: every check the reader makes, and a one-line summary.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an image the way the incoming kernel would; print a one-line summary.",
        discussion: """
        Runs every check of the reader: the image index and its regions, every FDT \
        (fdt_check_full), the preserved-memory map, every pointer landing inside the image \
        and inside preserved pages, every count against the kernel's limits, unique session \
        names, tokens and FLB names, and each memfd-v1 file's folios. Exit 0 and a summary \
        when valid; 1 and one line naming what is wrong otherwise.

        Example:
          luo-serialize verify /tmp/handover.kho
        """
    )

    @Argument(help: "The KHO image to check.", completion: .file(extensions: ["kho"]))
    var image: String

    func run() throws {
        let decoded = try ImageInputLoader.readImage(image)
        let state = decoded.state
        let layout = decoded.layout
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        var summary = "\(image): valid: \(plural(state.sessions.count, "session")), \(plural(state.fileCount, "file")),"
            + " \(plural(layout.preservedPages, "preserved page")) in \(plural(layout.preservedBlocks.count, "block")),"
            + " \(plural(state.flbs.count, "FLB entry").replacingOccurrences(of: "entrys", with: "entries")),"
            + " liveupdate-number \(state.liveupdateNumber)"
        if !decoded.unreferencedBlocks.isEmpty {
            summary += ", \(plural(decoded.unreferencedBlocks.count, "preserved block")) no LUO structure refers to"
        }
        StandardStreams.writeOutput(summary + "\n")
    }
}
