import SystemSupport

/// The first bytes and the size of an input file, to tell what it is
/// before the reader maps it (neither maps it).
enum RawInputFile {
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
