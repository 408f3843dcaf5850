import FDT
import HandoverModel
import KHOImage

/// An input as the reader found it: an image file or bare FDT, or captured
/// memory the library imported (into an unnamed temporary image whose
/// mapping the decoded image keeps).
struct LoadedInput {
    /// The input as the user named it.
    let path: String
    /// What the input turned out to be.
    let input: HandoverInput
    /// Whether the input was captured memory, imported to be read.
    let isImported: Bool

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
    /// (raw or ELF, as `source` says) imported and read by the library
    /// (``KHOImageReader/read(memory:khoFDTPhys:temporaryDirectory:)``).
    ///
    /// An image is opened and mapped once: with `--source-format auto` the
    /// format is told from the mapping the reader then decodes, so a command
    /// never opens its input a second time to look at its first bytes.
    static func load(_ path: String, _ source: MemorySourceOptions) throws(CLIFailure) -> LoadedInput {
        let format: SourceFormat
        if let told = source.toldFormat {
            format = told
            if format == .image { return LoadedInput(path: path, input: try read(path), isImported: false) }
        } else {
            let (storage, file) = try map(path)
            format = try source.detectedFormat(path, head: Array(storage.rawBuffer.prefix(4)), size: UInt64(storage.count))
            if format == .image { return LoadedInput(path: path, input: try decode(storage, file, path), isImported: false) }
        }
        let memory = try source.memory(path, format: format)
        do {
            return LoadedInput(path: path, input: try KHOImageReader.read(memory: memory, khoFDTPhys: source.khoFDT?.value),
                               isImported: true)
        } catch {
            throw failure(path, error)
        }
    }

    /// The file at `path`, open and mapped read-only (the mapping is the
    /// reader's from then on; memfd contents it decodes stay ranges of the
    /// open file).
    private static func map(_ path: String) throws(CLIFailure) -> (ReadOnlyBytes, ContentFile) {
        let file: ContentFile
        do { file = try ContentFile(opening: path) } catch {
            throw failure(path, .io(path: path, operation: error.operation, errno: error.errno.rawValue))
        }
        do {
            return (try MappedFile.map(descriptor: file.descriptor.rawValue, path: path, limit: KHOImageReader.maximumImageSize), file)
        } catch {
            throw failure(path, error)
        }
    }

    /// The image or bare FDT held in `storage`, the mapping of `file`, read
    /// from `path`.
    private static func decode(_ storage: ReadOnlyBytes, _ file: ContentFile, _ path: String) throws(CLIFailure) -> HandoverInput {
        do { return try KHOImageReader.decode(storage, file: file) } catch { throw failure(path, error) }
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
