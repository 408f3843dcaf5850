import FDT
#if canImport(Glibc)
import Glibc
#endif

/// Opens files read-only as ``AlignedBytes`` backed by `mmap`, so a reader
/// looks at records in place instead of copying the image.
public enum MappedFile {
    /// Maps the whole file at `path`; the mapping lives as long as the result.
    /// Files larger than `limit` are refused before mapping.
    public static func map(path: String, limit: Int) throws(KHOImageError) -> AlignedBytes {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        return try map(descriptor: descriptor, path: path, limit: limit)
    }

    /// Maps the whole regular file open at `descriptor` (which the caller
    /// keeps and closes; the mapping outlives it); errors name `path`.
    public static func map(descriptor: Int32, path: String, limit: Int) throws(KHOImageError) -> AlignedBytes {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io(path: path, operation: "fstat", errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .io(path: path, operation: "open (not a regular file)", errno: EINVAL) }
        let size = Int(status.st_size)
        guard size <= limit else { throw .fileTooLarge(size: size, limit: limit) }
        guard size > 0 else { return AlignedBytes(zeroedCount: 0) }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else {
            throw .io(path: path, operation: "mmap", errno: errno)
        }
        return AlignedBytes(adopting: mapping, count: size) { pointer, count in
            munmap(pointer, count)
        }
    }
}
