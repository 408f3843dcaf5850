import FDT
import KHOImage
import SystemSupport

/// The bytes of an input file that is a bare FDT, trimmed to the FDT's
/// `totalsize` (debugfs files may be padded to a page).
enum RawInputFile {
    /// The FDT at the start of the file at `path`.
    static func fdtBytes(_ path: String) throws(CLIFailure) -> [UInt8] {
        let storage: ReadOnlyBytes
        do {
            storage = try MappedFile.map(path: path, limit: KHOImageReader.maximumImageSize)
        } catch {
            throw ImageInputLoader.failure(path, error)
        }
        do {
            return try FDTBlob(storage: storage, label: path).bytes
        } catch {
            throw ImageInputLoader.failure(path, .notAnFDT(error))
        }
    }

    /// The file's size in bytes, or 0 when it cannot be read (`fstat`: the
    /// file is not mapped).
    static func size(_ path: String) -> UInt64 {
        guard let descriptor = try? FileDescriptor.opening(FilePath(path), .readOnly) else { return 0 }
        defer { descriptor.closeIgnoringErrors() }
        return (try? descriptor.stat()).map { UInt64($0.size) } ?? 0
    }

    /// Up to `count` bytes from the start of the file at `path` (fewer when
    /// it is shorter or cannot be read).
    static func head(_ path: String, count: Int) -> [UInt8] {
        guard let descriptor = try? FileDescriptor.opening(FilePath(path), .readOnly) else { return [] }
        defer { descriptor.closeIgnoringErrors() }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { try? descriptor.readFully(fromAbsoluteOffset: 0, into: $0) }
        return Array(bytes.prefix(got ?? 0))
    }
}
