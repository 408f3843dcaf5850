import ArgumentParser
import HandoverModel
import KHOImage
import LiveUpdate
import HexFormat

/// `retrieve IMAGE --session NAME|--session-hex HEX --token N -o FILE`: one file's preserved
/// bytes, restored the way its handler would.
struct RetrieveCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve",
        abstract: "Restore one preserved file through its handler into FILE.",
        discussion: """
        The image is loaded the way the next kernel's LUO loads it and the file is retrieved \
        through its handler: memfd files (memfd-v2, or memfd-v1 in v7.0/v6.19 and the \
        pre-release generation) through the memfd handler, which rebuilds a real \
        memfd from the preserved folios (its contents are written out, size bytes); \
        payload files give the preserved block, which is a power-of-two number of pages, so \
        short payloads come back zero-padded. Files holding only a raw data u64 have no \
        bytes to restore. The output is written atomically; a progress bar is drawn on a \
        terminal above 64 MiB.

        Session names are bytes, matched exactly: --session gives them as text (its \
        UTF-8), --session-hex as two hex digits per byte, the spelling of a manifest's \
        name_hex (--session-hex 766d30ff for "vm0" and the byte 0xff).

        Example:
          luo-serialize retrieve /tmp/handover.kho --session vm0 --token 1 -o /tmp/guest-memory.bin
        """
    )

    @OptionGroup var input: HandoverInputArguments
    /// The input file as named on the command line.
    private var image: String { input.image }
    /// How to take the input when it is captured memory.
    private var source: MemorySourceOptions { input.source }

    @Option(help: "The session's name, as text (its UTF-8 bytes).")
    var session: String?

    @Option(help: ArgumentHelp("The session's name as hex, two digits per byte (a manifest's name_hex).",
                               valueName: "hex"))
    var sessionHex: String?

    @Option(help: "The file's token (decimal, or hex with 0x).")
    var token: U64Argument

    @OptionGroup var destination: OutputFileOption
    /// Where the result goes.
    private var output: String { destination.output }

    func validate() throws {
        switch (session, sessionHex) {
        case (nil, nil): throw ValidationError("Missing --session or --session-hex.")
        case (.some, .some): throw ValidationError("Give --session or --session-hex, not both.")
        default: break
        }
        if let sessionHex, SessionName(hexSpelling: sessionHex) == nil {
            throw ValidationError("--session-hex \(DisplayEscaping.quoted(sessionHex)) is not pairs of hex digits.")
        }
    }

    /// The name given, by either option.
    private var sessionName: SessionName {
        sessionHex.flatMap { SessionName(hexSpelling: $0) } ?? SessionName(session ?? "")
    }

    func run(writingTo streams: OutputStreams) throws {
        let session = sessionName
        let loaded = try ImageInputLoader.load(image, source)
        let decoded = try loaded.image("retrieve needs the preserved memory")
        let contents = try HandlerRetrieval.retrieve(decoded, session: session, token: token.value, image: image)
        try OutputFile.write(contents, to: output, label: "retrieving \(output)", streams: streams)
    }
}
