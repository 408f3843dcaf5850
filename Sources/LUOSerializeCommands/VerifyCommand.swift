import ArgumentParser
import KHOImage
import HexFormat

/// `verify IMAGE`: every check the reader makes, and a one-line summary.
struct VerifyCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an image the way the incoming kernel would; print a one-line summary.",
        discussion: """
        Runs every check of the reader: the image index and its regions, every FDT \
        (fdt_check_full), the preserved-memory map, every pointer landing inside the image \
        and inside preserved pages, every count against the kernel's limits, unique session \
        names, tokens and FLB names, and each memfd file's folios, by the rules of the \
        generation the image is in (told by its compatibles). Exit 0 and a summary naming the \
        kernel releases that accept it; 1 and one line naming what is wrong otherwise, also \
        for what the incoming kernel accepts but no outgoing kernel writes (an FLB with count 0, \
        a memfd file whose data its handler cannot retrieve: decode prints these as warnings). A bare KHO root or LUO FDT \
        (as debugfs shows them) is checked as far as it goes. Captured memory (raw or an ELF \
        core) is imported first, as `import` does.

        Example:
          luo-serialize verify /tmp/handover.kho
          luo-serialize verify guest-ram.raw --source-format raw
        """
    )

    @OptionGroup var input: HandoverInputArguments
    /// The input file as named on the command line.
    private var image: String { input.image }
    /// How to take the input when it is captured memory.
    private var source: MemorySourceOptions { input.source }

    func run(writingTo streams: OutputStreams) throws {
        let loaded = try ImageInputLoader.load(image, source)
        let decoded: DecodedImage
        switch loaded.input {
        case let .image(image): decoded = image
        case let .khoRootFDT(root, _):
            let subtrees = root.subtrees.map { "\($0.name) at \(Hex.format($0.phys))" }
            streams.writeOutput("\(image): valid bare KHO root FDT: memory map at \(Hex.format(root.memoryMapPhys)),"
                + " subtrees: \(subtrees.isEmpty ? "none" : subtrees.joined(separator: ", "));"
                + " the memory it points at is not in the file, so nothing past the FDT was checked\n")
            return
        case let .luoFDT(luo, _):
            streams.writeOutput("\(image): valid bare LUO FDT: liveupdate-number \(luo.liveupdateNumber),"
                + " session header at \(Hex.format(luo.sessionHeaderPhys)), FLB header at \(Hex.format(luo.flbHeaderPhys));"
                + " the memory it points at is not in the file, so nothing past the FDT was checked\n")
            return
        case let .luoSer(ser):
            streams.writeOutput("\(image): valid bare luo_ser (\(ser.compatible), Linux 7.2/7.3): liveupdate_num \(ser.liveupdateNumber),"
                + " sessions_pa \(Hex.format(ser.sessionsPhys)), flbs_pa \(Hex.format(ser.flbsPhys));"
                + " the memory it points at is not in the file, so nothing past the 32 bytes was checked\n")
            return
        }
        // The next kernel accepts these, but no outgoing kernel writes them:
        // not valid, one line naming the first.
        if let first = decoded.warnings.first {
            let more = decoded.warnings.count - 1
            throw CLIFailure.invalid("\(image): accepted by the incoming kernel, but no outgoing kernel writes it: \(first.description)"
                + (more > 0 ? " (and \(more) more; decode lists them)" : ""))
        }
        let state = decoded.state
        let layout = decoded.layout
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        // Which released kernels read this generation (each reads only its own).
        let releases = state.generation.releases
        let acceptedBy = releases.isEmpty ? "no released kernel accepts it"
            : "a Linux \(releases.joined(separator: " or ")) kernel accepts it"
        var summary = "\(image): valid: \(acceptedBy) (\(state.generation.name)):"
            + " \(plural(state.sessions.count, "session")), \(plural(state.fileCount, "file")),"
            + " \(plural(layout.preservedPages, "preserved page")) in \(plural(layout.preservedBlocks.count, "block")),"
            + " \(plural(state.flbs.count, "FLB entry").replacingOccurrences(of: "entrys", with: "entries")),"
            + " liveupdate-number \(state.liveupdateNumber)"
        if !decoded.unreferencedBlocks.isEmpty {
            summary += ", \(plural(decoded.unreferencedBlocks.count, "preserved block")) no LUO structure refers to"
        }
        streams.writeOutput(summary + "\n")
    }
}
