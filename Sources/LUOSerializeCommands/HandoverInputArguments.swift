import ArgumentParser

/// The input of every command that reads one handover (`decode`, `verify`,
/// `extract`, `retrieve`): the file, and how to take it when it is captured
/// memory rather than an image. Declared once, so every command describes
/// it the same way.
struct HandoverInputArguments: ParsableArguments {
    @Argument(help: "A KHO image, a bare KHO root FDT or LUO blob (as debugfs shows them), or captured memory (see --source-format).",
              completion: .file())
    var image: String

    @OptionGroup var source: MemorySourceOptions
}
