import ArgumentParser
import HandoverManifest
import HandoverModel
import KHOImage
import HexFormat

/// `encode MANIFEST -o IMAGE [--base ADDR]`: a manifest to a KHO image.
struct EncodeCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Build a KHO image from a manifest (JSON, or YAML for .yaml/.yml).",
        discussion: """
        Manifest keys: kernel (a release such as "7.1", or a generation name; default \
        the newest supported, 7.3); liveupdate_number; sessions, each {name, files}; each \
        file {token, compatible} plus exactly one of data (a u64: a number or a "0x..." \
        string), memfd {size, pos, seals, contents_base64} (for the generation's memfd \
        handler: memfd-v2 in 7.1, 7.2, 7.3) or payload_base64; flb, each {name, data, count}; \
        kexec_metadata {previous_release, kexec_count} (7.1 on). Unknown keys are an error \
        naming the key. The image is written atomically; a progress bar is drawn on a \
        terminal for images over 64 MiB.

        --kernel picks the generation for a manifest without a kernel key: 7.2 and 7.3 \
        write kho-v4 + packed luo-v5 + memfd-v2, 7.1 writes kho-v3 + luo-v1 + memfd-v2; \
        6.19 and 7.0 are known but not yet supported (exit 2). A manifest naming another kernel than --kernel is an error.

        Example:
          luo-serialize encode Examples/handover.json -o /tmp/handover.kho
          luo-serialize encode handover.yaml -o /tmp/handover.kho --base 0x200000000 --kernel 7.1
        """
    )

    @Argument(help: "The manifest: JSON, or YAML when the name ends in .yaml or .yml.",
              completion: .file(extensions: ["json", "yaml", "yml"]))
    var manifest: String

    @OptionGroup var destination: OutputFileOption
    /// Where the result goes.
    private var output: String { destination.output }

    @Option(help: "The first physical address the image uses (page aligned, below 2^52).")
    var base = U64Argument(KHOImageWriter.defaultBase)

    @Option(help: ArgumentHelp("The kernel release whose handover ABI to write (7.1), or a generation name.",
                               valueName: "release"))
    var kernel: String?

    /// The generation `--kernel` names, `nil` without the option.
    private var requestedGeneration: KernelGeneration? {
        get throws {
            guard let kernel else { return nil }
            do { return try KernelGeneration.lookup(kernel) } catch {
                throw ValidationError("--kernel \(kernel): \(error.description)")
            }
        }
    }

    func validate() throws {
        // The writer owns the rule; a bad --base is a usage error here.
        do { try KHOImageWriter.checkBase(base.value) } catch {
            guard case let .badBaseAddress(_, reason) = error else { throw ValidationError(error.description) }
            throw ValidationError("--base \(Hex.format(base.value)) \(reason)")
        }
        _ = try requestedGeneration
    }

    func run(writingTo streams: OutputStreams) throws {
        let requested = try requestedGeneration
        let state: HandoverState
        do {
            state = try HandoverManifest.load(path: manifest, defaultGeneration: requested ?? .newest)
        } catch {
            if case .unreadable = error { throw CLIFailure.invalid(error.description) }
            throw CLIFailure.invalid("\(manifest): \(error.description)")
        }
        if let requested, state.generation != requested {
            throw CLIFailure.invalid("\(manifest): kernel: the manifest names \(state.generation), --kernel \(kernel ?? "") names \(requested)")
        }
        // Raw data under the memfd handler's compatible is written as given;
        // no outgoing kernel writes it, and the next kernel cannot retrieve it.
        let memfd = state.generation.memfd.compatible
        for session in state.sessions {
            for file in session.files where file.compatible == memfd {
                guard case .data = file.content else { continue }
                streams.writeError("luo-serialize: warning: \(manifest): session \(DisplayEscaping.quoted(session.name.bytes)) token \(file.token):"
                    + " compatible \(memfd) with raw data: the next kernel's memfd handler will refuse to retrieve it\n")
            }
        }
        let image: EncodedImage
        do {
            image = try KHOImageWriter(base: base.value).encode(state)
        } catch {
            if case let .invalidModel(problem) = error {
                if case .badBaseAddress = problem { throw CLIFailure.invalid("\(manifest) with --base: \(problem.description)") }
                if let path = ModelErrorLocator.keyPath(of: problem, in: state) {
                    throw CLIFailure.invalid("\(manifest): \(path): \(problem.description)")
                }
            }
            throw CLIFailure.invalid("\(manifest): \(error.description)")
        }
        try OutputFile.write(image, to: output, label: "encoding \(output)", streams: streams)
    }
}
