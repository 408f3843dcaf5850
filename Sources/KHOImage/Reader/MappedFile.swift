import FDT
import SystemSupport

/// Opens files read-only as ``ReadOnlyBytes`` backed by `mmap`, so a reader
/// looks at records in place instead of copying the image.
public enum MappedFile {
    /// Called with the path of every file this task maps, before it is
    /// mapped: a seam for tests and tools that check a command maps its
    /// input once. Bound with `MappedFile.$observer.withValue(…) { … }`;
    /// `nil` (no one listening) by default.
    @TaskLocal public static var observer: (@Sendable (String) -> Void)?

    /// Maps the whole file at `path`; the mapping lives as long as the result.
    /// Files larger than `limit` are refused before mapping.
    public static func map(path: String, limit: Int) throws(KHOImageError) -> ReadOnlyBytes {
        let descriptor: FileDescriptor
        do { descriptor = try .opening(FilePath(path), .readOnly) } catch { throw .io(path: path, operation: "open", error: error) }
        defer { descriptor.closeIgnoringErrors() }
        return try map(descriptor: descriptor.rawValue, path: path, limit: limit)
    }

    /// Maps the whole regular file open at `descriptor` (which the caller
    /// keeps and closes; the mapping outlives it); errors name `path`.
    public static func map(descriptor: Int32, path: String, limit: Int) throws(KHOImageError) -> ReadOnlyBytes {
        observer?(path)
        let file = FileDescriptor(rawValue: descriptor)
        let status: Stat
        do { status = try file.stat() } catch { throw .io(path: path, operation: "fstat", error: error) }
        guard status.type == .regular else { throw .io(path: path, operation: "open (not a regular file)", error: .invalidArgument) }
        let size = Int(status.size)
        guard size <= limit else { throw .fileTooLarge(size: size, limit: limit) }
        guard size > 0 else { return ReadOnlyBytes(copying: []) }
        let mapping: UnsafeMutableRawPointer
        do { mapping = try file.mapReadOnly(byteCount: size) } catch { throw .io(path: path, operation: "mmap", error: error) }
        return ReadOnlyBytes(adopting: UnsafeRawPointer(mapping), count: size) { pointer, count in
            MemoryMapping.unmap(UnsafeMutableRawPointer(mutating: pointer), byteCount: count)
        }
    }
}
