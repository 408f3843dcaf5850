import ArgumentParser
import KHOImage
import HexFormat

/// `import SOURCE -o IMAGE`: captured physical memory to a KHO image.
struct ImportCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn captured physical memory (raw or an ELF core) into a KHO image.",
        discussion: """
        SOURCE is raw physical memory (QEMU's memory-backend-file or pmemsave: file offset = \
        physical address - --phys-base) or an ELF core (QEMU dump-guest-memory, a kdump vmcore: \
        PT_LOAD segments by physical address). The KHO root FDT is the one at --kho-fdt, or the \
        only page holding a KHO root FDT whose memory map walks cleanly and preserves that page. \
        The image holds every block the memory map preserves, the map's own pages and the root \
        FDT page; nothing else. Only the KHO level is read (the root FDT and its memory map: \
        a radix tree in kho-v2 to kho-v4, the chunk list of kho-v1), so every generation \
        imports; the generation found is printed. Memory use stays \
        small however large SOURCE is; IMAGE is written atomically.

        Example:
          luo-serialize import guest-ram.raw -o capture.kho
          luo-serialize import core.elf --kho-fdt 0x1f3000 -o capture.kho
        """
    )

    @Argument(help: "The captured memory: a raw file or an ELF core.", completion: .file())
    var source: String

    @OptionGroup var memory: MemorySourceOptions

    @OptionGroup var destination: OutputFileOption
    /// Where the result goes.
    private var output: String { destination.output }

    func run(writingTo streams: OutputStreams) throws {
        var format = try memory.resolvedFormat(source)
        if format == .image {
            guard memory.sourceFormat == .auto else {
                throw CLIFailure.invalid("\(source): --source-format image: an image is already an image; import reads raw memory or an ELF core")
            }
            format = .raw
        }
        let physical = try memory.memory(source, format: format)
        let plan: ImportPlan
        do {
            plan = try KHOImporter.importImage(from: physical, khoFDTPhys: memory.khoFDT?.value, to: output)
        } catch {
            throw ImageInputLoader.failure(source, error)
        }
        streams.writeOutput(Self.summary(plan, source: source, output: output))
    }

    /// What was imported: the generation found, where the root is, what the image holds.
    static func summary(_ plan: ImportPlan, source: String, output: String) -> String {
        let subtrees = plan.subtrees.map { subtree in
            "\(subtree.name) at \(Hex.format(subtree.phys))" + (subtree.size.map { " (\($0) bytes)" } ?? "")
        }
        return """
        \(output): imported from \(source): \(plan.rootCompatible) KHO root FDT at \(Hex.format(plan.khoFDTPhys))\
        \(plan.luo.map { ", LUO: \($0)" } ?? ", no LUO subtree")
          subtrees: \(subtrees.isEmpty ? "none" : subtrees.joined(separator: ", "))
          memory map at \(Hex.format(plan.memoryMapPhys)): \(plan.memoryMapNodes.count) node pages, \
        \(plan.preservedBlocks.count) preserved blocks (\(plan.preservedPages) pages)
          image: \(plan.regions.count) regions, \(plan.regionBytes) bytes of memory

        """
    }
}
