import ArgumentParser

/// `-o FILE`, for every command that writes a file (`encode`, `extract`,
/// `retrieve`, `import`); each command's discussion says what it writes.
struct OutputFileOption: ParsableArguments {
    @Option(name: .shortAndLong,
            help: ArgumentHelp("Where to write the result; it appears whole or not at all (a temporary file, fsync, rename).",
                               valueName: "file"),
            completion: .file())
    var output: String
}
