import ArgumentParser
import KHOImage

/// `diff A B`: what differs in meaning between two images.
struct DiffCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what differs between two images, by session, token and field.",
        discussion: """
        Sessions are matched by name, files by token and FLB entries by name; physical \
        addresses (for example a different --base) and entry order are layout, not meaning. \
        With --ignore-addresses the images are also compared structure by structure: every \
        kernel structure's whole preserved block (the KHO root FDT, the LUO state, session \
        and file blocks, each handler's structures, the FLB block, other subtrees), in the \
        order the kernel links them, byte for byte, with each physical address replaced by \
        a label (the order in which the walk first meets it), and the orders of the preserved \
        blocks. Two images that differ only in where things were allocated are then equal: \
        an image this tool encodes compares with a real kernel's capture. Prints one line per \
        difference on stdout. Exit 0 when the images are equal, 1 when they differ or either \
        is invalid.

        Example:
          luo-serialize diff /tmp/before.kho /tmp/after.kho
          luo-serialize diff --ignore-addresses encoded.kho Fixtures/kernel-captures/7.1/capture.kho
        """
    )

    @Flag(help: "Also compare every kernel structure byte for byte, physical addresses treated as labels.")
    var ignoreAddresses = false

    @Argument(help: "The first image (A).", completion: .file(extensions: ["kho"]))
    var first: String

    @Argument(help: "The second image (B).", completion: .file(extensions: ["kho"]))
    var second: String

    func run(writingTo streams: OutputStreams) throws {
        let a = try ImageInputLoader.readImage(first)
        let b = try ImageInputLoader.readImage(second)
        var lines = StateDiff.differences(a.state, b.state)
        if ignoreAddresses {
            do {
                lines += StructuralImage.differences(try StructuralImage(image: a), try StructuralImage(image: b))
            } catch {
                throw CLIFailure.invalid("\(first) / \(second): \(error)")
            }
        }
        guard !lines.isEmpty else { return }
        streams.writeOutput(lines.joined(separator: "\n") + "\n")
        throw CLIFailure.invalid("\(first) and \(second) differ: \(lines.count) difference\(lines.count == 1 ? "" : "s")")
    }
}
