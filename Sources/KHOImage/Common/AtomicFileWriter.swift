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
        try write(to: path) { sink in
            for chunk in chunks {
                try sink.write(chunk)
                try progress?(sink.written)
            }
        }
    }

    /// Writes whatever `produce` hands its ``FileSink`` to `path`
    /// atomically, with mode 0644: the producer streams bytes in pieces of
    /// its choosing (an import copies gigabytes through a small buffer), and
    /// if it throws, the temporary file is removed and the destination is
    /// left as it was.
    public static func write(to path: String, produce: (FileSink) throws -> Void) throws {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let base = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw WriteError(path: path, operation: "mkstemp", errno: Glibc.errno) }
        let temporary = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var closed = false
        do {
            try produce(FileSink(descriptor: descriptor, path: path))
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

/// Sequential writes to an open file: every byte handed over is written
/// (short writes and `EINTR` handled here, once), and ``written`` counts
/// them. The caller owns the descriptor.
public final class FileSink {
    /// The descriptor written to.
    public let descriptor: Int32
    /// The path named in errors.
    public let path: String
    /// Bytes written so far.
    public private(set) var written = 0

    /// Wraps `descriptor`; errors name `path`.
    public init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(AtomicFileWriter.WriteError) {
        var offset = 0
        while offset < bytes.count {
            let result = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if result < 0 {
                if Glibc.errno == EINTR { continue }
                throw AtomicFileWriter.WriteError(path: path, operation: "write", errno: Glibc.errno)
            }
            offset += result
            written += result
        }
    }

    /// Writes `count` zero bytes.
    public func writeZeros(_ count: Int) throws(AtomicFileWriter.WriteError) {
        let zeros = [UInt8](repeating: 0, count: min(count, 1 << 16))
        var left = count
        while left > 0 {
            let piece = min(left, zeros.count)
            var failure: AtomicFileWriter.WriteError?
            zeros.withUnsafeBytes { raw in
                do throws(AtomicFileWriter.WriteError) { try write(UnsafeRawBufferPointer(rebasing: raw[0..<piece])) } catch { failure = error }
            }
            if let failure { throw failure }
            left -= piece
        }
    }
}
