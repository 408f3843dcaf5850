import KHOImage
import SystemSupport

/// An input ready to read: an image file, or captured memory imported into
/// a temporary image that is removed when this goes away.
final class LoadedInput {
    /// The input as the user named it.
    let path: String
    /// The image file to read (the input itself, or the temporary import).
    let imagePath: String
    /// What the image file turned out to be.
    let input: HandoverInput
    private let isTemporary: Bool

    init(path: String, imagePath: String, input: HandoverInput, isTemporary: Bool) {
        self.path = path
        self.imagePath = imagePath
        self.input = input
        self.isTemporary = isTemporary
    }

    deinit { if isTemporary { try? FilePath(imagePath).removeFile() } }

    /// The decoded image; a bare FDT is refused with `what` saying why.
    func image(_ what: String) throws(CLIFailure) -> DecodedImage {
        switch input {
        case let .image(decoded): return decoded
        case .khoRootFDT: throw .invalid("\(path): is a bare KHO root FDT, not an image: \(what)")
        case .luoFDT: throw .invalid("\(path): is a bare LUO FDT, not an image: \(what)")
        case .luoSer: throw .invalid("\(path): is a bare luo-v5 luo_ser, not an image: \(what)")
        }
    }
}

/// Reads command inputs through the library's reader, turning its errors
/// into one-line failures that name the file.
enum ImageInputLoader {
    /// The input at `path`: an image or bare FDT as it is, captured memory
    /// (raw or ELF, as `source` says) imported into a temporary image first.
    static func load(_ path: String, _ source: MemorySourceOptions) throws(CLIFailure) -> LoadedInput {
        let format = try source.resolvedFormat(path)
        guard format == .raw || format == .elf else {
            return LoadedInput(path: path, imagePath: path, input: try read(path), isTemporary: false)
        }
        let memory = try source.memory(path, format: format)
        let directory = KHOImageReader.defaultTemporaryDirectory
        let file: TemporaryFile
        do {
            file = try TemporaryFile(in: FilePath(directory), prefix: ".luo-serialize-", suffix: ".kho")
        } catch {
            throw .invalid("cannot create a temporary image in \(directory): \(error)")
        }
        file.descriptor.closeIgnoringErrors()
        let temporary = file.path.string
        do {
            try KHOImporter.importImage(from: memory, khoFDTPhys: source.khoFDT?.value, to: temporary)
        } catch {
            try? file.path.removeFile()
            throw failure(path, error)
        }
        do {
            return LoadedInput(path: path, imagePath: temporary, input: try KHOImageReader.read(path: temporary), isTemporary: true)
        } catch {
            try? file.path.removeFile()
            throw failure(path, error)
        }
    }

    /// An image, or a bare KHO root / LUO FDT.
    static func read(_ path: String) throws(CLIFailure) -> HandoverInput {
        do {
            return try KHOImageReader.read(path: path)
        } catch {
            throw failure(path, error)
        }
    }

    /// A complete image.
    static func readImage(_ path: String) throws(CLIFailure) -> DecodedImage {
        do {
            return try KHOImageReader.readImage(path: path)
        } catch {
            throw failure(path, error)
        }
    }

    /// `path: what is wrong`, without repeating the path when the error
    /// already names it.
    static func failure(_ path: String, _ error: KHOImageError) -> CLIFailure {
        switch error {
        case .io, .badSource: return .invalid(error.description)
        default: break
        }
        return .invalid("\(path): \(error.description)")
    }
}
