import ArgumentParser
import KHOImage

/// `extract IMAGE --fdt kho|luo -o FILE`: one FDT, as debugfs shows it.
struct ExtractCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write the KHO root FDT or the LUO FDT of an image, as the kernel exposes it in debugfs.",
        discussion: """
        kho is the whole KHO root FDT, totalsize bytes, as debugfs kho/in/fdt shows it in the \
        next kernel (kho/out/fdt on a running kernel is only a prefix: its size is fixed at \
        boot); luo is the LUO blob, as kho/out/sub_fdts/LUO: an FDT up to v7.1, the 32-byte \
        packed luo_ser from v7.2. The input may also be that bare blob itself, or captured \
        memory (see --source-format).

        Example:
          luo-serialize extract /tmp/handover.kho --fdt luo -o /tmp/luo.dtb
          dtc -I dtb -O dts /tmp/luo.dtb
        """
    )

    @OptionGroup var input: HandoverInputArguments
    /// The input file as named on the command line.
    private var image: String { input.image }
    /// How to take the input when it is captured memory.
    private var source: MemorySourceOptions { input.source }

    @Option(help: "Which FDT: kho (the KHO root FDT) or luo (the LUO FDT; from Linux 7.2 the 32-byte luo_ser blob).")
    var fdt: FDTKind

    @OptionGroup var destination: OutputFileOption
    /// Where the result goes.
    private var output: String { destination.output }

    func run(writingTo streams: OutputStreams) throws {
        let bytes: [UInt8]
        switch (try ImageInputLoader.load(image, source).input, fdt) {
        case let (.image(decoded), .kho): bytes = decoded.khoRootFDT
        case let (.image(decoded), .luo): bytes = decoded.luoFDT
        case let (.khoRootFDT(_, fdt), .kho), let (.luoFDT(_, fdt), .luo): bytes = fdt
        case (.khoRootFDT, .luo):
            throw CLIFailure.invalid("\(image): is a bare KHO root FDT; the LUO FDT it points to is not in the file")
        case (.luoFDT, .kho):
            throw CLIFailure.invalid("\(image): is a bare LUO FDT, not a KHO root FDT")
        case let (.luoSer(ser), .luo): bytes = ser.bytes
        case (.luoSer, .kho):
            throw CLIFailure.invalid("\(image): is a bare luo-v5 luo_ser, not a KHO root FDT")
        }
        try OutputFile.write(bytes, to: output, label: "extracting \(output)", streams: streams)
    }
}
