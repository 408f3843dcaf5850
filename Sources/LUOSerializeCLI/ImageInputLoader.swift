import KHOImage

/// Reads command inputs through the library's reader, turning its errors
/// into one-line failures that name the file.
enum ImageInputLoader {
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
        if case .io = error { return .invalid(error.description) }
        return .invalid("\(path): \(error.description)")
    }
}
