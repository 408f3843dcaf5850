#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that it either appears whole or not at all: the bytes go
/// to a temporary file in the same directory, which is flushed with `fsync`
/// and then renamed over the destination. On any failure the temporary file
/// is removed and the destination is left as it was.
public enum AtomicFileWriter {
    /// A failure while writing `path`, with the `errno` the system gave.
    public struct WriteError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The file being written.
        public var path: String
        /// The system call that failed.
        public var operation: String
        /// The `errno` value.
        public var errno: Int32

        /// One line naming the file, the call and the system's message.
        public var description: String {
            "cannot write \(path): \(operation) failed: \(String(cString: strerror(errno)))"
        }
    }

    /// A hook for tests: called after each chunk is written with the number of
    /// bytes written so far; throwing from it aborts the write.
    public typealias ProgressHook = (_ written: Int) throws -> Void

    /// Writes `chunks` in order to `path` atomically, with mode 0644.
    public static func write(
        _ chunks: [UnsafeRawBufferPointer], to path: String, progress: ProgressHook? = nil
    ) throws {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let base = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw WriteError(path: path, operation: "mkstemp", errno: Glibc.errno) }
        let temporary = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var closed = false
        do {
            var written = 0
            for chunk in chunks {
                var offset = 0
                while offset < chunk.count {
                    let result = Glibc.write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
                    if result < 0 {
                        if Glibc.errno == EINTR { continue }
                        throw WriteError(path: path, operation: "write", errno: Glibc.errno)
                    }
                    offset += result
                    written += result
                }
                try progress?(written)
            }
            guard fchmod(descriptor, 0o644) == 0 else { throw WriteError(path: path, operation: "fchmod", errno: Glibc.errno) }
            guard fsync(descriptor) == 0 else { throw WriteError(path: path, operation: "fsync", errno: Glibc.errno) }
            closed = true
            guard close(descriptor) == 0 else { throw WriteError(path: path, operation: "close", errno: Glibc.errno) }
            guard rename(temporary, path) == 0 else { throw WriteError(path: path, operation: "rename", errno: Glibc.errno) }
        } catch {
            if !closed { close(descriptor) }
            unlink(temporary)
            throw error
        }
        // Make the rename itself durable.
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Writes one byte array to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String, progress: ProgressHook? = nil) throws {
        try bytes.withUnsafeBytes { raw in try write([raw], to: path, progress: progress) }
    }
}
