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
        var mapped: (storage: ReadOnlyBytes, file: ContentFile)?
        if let told = source.toldFormat {
            format = told
        } else {
            let input = try map(path)
            mapped = input
            format = try source.detectedFormat(path, head: Array(input.storage.rawBuffer.prefix(4)), size: UInt64(input.storage.count))
        }
        if format == .image {
            let (storage, file): (ReadOnlyBytes, ContentFile)
            if let mapped { (storage, file) = mapped } else { (storage, file) = try map(path) }
            do {
                return LoadedInput(path: path, input: try KHOImageReader.decode(storage, file: file), isImported: false)
            } catch {
                throw failure(path, error)
            }
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
    private static func map(_ path: String) throws(CLIFailure) -> (storage: ReadOnlyBytes, file: ContentFile) {
        do { return try KHOImageReader.map(path: path) } catch { throw failure(path, error) }
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
