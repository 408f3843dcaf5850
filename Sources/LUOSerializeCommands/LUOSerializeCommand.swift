import ArgumentParser

/// The root command: one subcommand per operation on KHO images.
struct LUOSerializeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "luo-serialize",
        abstract: "Write, read and check the state Linux hands over across a kexec live update (LUO / KHO).",
        discussion: """
        A KHO image holds the physical memory the outgoing kernel preserves (the KHO root FDT, \
        its preserved-memory map, the LUO FDT, sessions, files and FLB entries), laid out \
        exactly as the kernel lays it out.

        Exit status: 0 success, 1 invalid or differing input (one line on stderr naming the \
        file, the field or offset and what is wrong), 2 usage error.

        Example:
          luo-serialize encode Examples/handover.json -o /tmp/handover.kho
          luo-serialize decode /tmp/handover.kho --format text
        """,
        version: "0.1.0",
        subcommands: [
            EncodeCommand.self, DecodeCommand.self, VerifyCommand.self,
            ExtractCommand.self, RetrieveCommand.self, DiffCommand.self, ImportCommand.self,
        ]
    )
}
