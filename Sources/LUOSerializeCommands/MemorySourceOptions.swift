import ArgumentParser
import KHOImage

/// What an input file holds, for the commands that read handovers.
enum SourceFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Told by the first bytes: an FDT (image or bare debugfs FDT) or an ELF core.
    case auto
    /// A `.kho` image or a bare KHO root / LUO FDT.
    case image
    /// Raw physical memory: file offset + `--phys-base` = physical address.
    case raw
    /// An ELF core: `PT_LOAD` segments by physical address.
    case elf
}

/// The options every command that reads a handover shares: how to take an
/// input that is captured memory rather than an image.
struct MemorySourceOptions: ParsableArguments {
    @Option(name: .customLong("source-format"),
            help: "auto (an image, a bare FDT or an ELF core, told by its first bytes), image, raw (physical memory, file offset = address - --phys-base) or elf (an ELF core).")
    var sourceFormat: SourceFormat = .auto

    @Option(name: .customLong("phys-base"), help: "For raw memory: the physical address of the file's first byte (default 0).")
    var physBase: U64Argument?

    @Option(name: .customLong("kho-fdt"), help: "For captured memory: the KHO root FDT's physical address (default: scan for it).")
    var khoFDT: U64Argument?

    /// The format `path` is read as: the one asked for, or the one its first
    /// bytes show (read here; see ``detectedFormat(_:head:size:)``).
    func resolvedFormat(_ path: String) throws(CLIFailure) -> SourceFormat {
        if let told = toldFormat { return told }
        return try detectedFormat(path, head: RawInputFile.head(path, count: 4), size: RawInputFile.size(path))
    }

    /// The format the options name without looking at the file: the one
    /// asked for, or raw when a physical base is given; `nil` for auto.
    var toldFormat: SourceFormat? {
        if sourceFormat != .auto { return sourceFormat }
        if physBase != nil { return .raw }
        return nil
    }

    /// The format a file of `size` bytes starting with `head` (its first
    /// four bytes, fewer when shorter) holds, for `--source-format auto`:
    /// an ELF core, an FDT or a bare `luo_ser` (an image), else raw memory
    /// when `--kho-fdt` says where to look.
    func detectedFormat(_ path: String, head: [UInt8], size: UInt64) throws(CLIFailure) -> SourceFormat {
        if head == ELFCoreFile.magic { return .elf }
        if head == [0xd0, 0x0d, 0xfe, 0xed] || head.count < 4 { return .image }
        // A bare luo-v5 luo_ser (debugfs sub_fdts/LUO of v7.2+): 32 bytes starting "luo-".
        if head == Array("luo-".utf8), size == 32 { return .image }
        if khoFDT != nil { return .raw }
        throw .invalid("\(path): is neither an FDT (a KHO image, a debugfs FDT) nor an ELF core;"
            + " for raw physical memory give --source-format raw (and --phys-base if it does not start at 0)")
    }

    /// Opens `path` as captured memory of `format` (raw or elf).
    func memory(_ path: String, format: SourceFormat) throws(CLIFailure) -> any PhysicalMemory {
        do {
            switch format {
            case .elf: return try ELFCoreFile(path: path)
            default: return try RawMemoryFile(path: path, physBase: physBase?.value ?? 0)
            }
        } catch {
            throw ImageInputLoader.failure(path, error)
        }
    }
}
