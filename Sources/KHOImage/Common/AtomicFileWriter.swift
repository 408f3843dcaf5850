import HandoverModel
import SystemSupport

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

        /// The failure of `operation` on `path` with `error`.
        public init(path: String, operation: String, errno error: Errno) {
            self.init(path: path, operation: operation, errno: error.rawValue)
        }

        /// The failure of `operation` on `path` with the raw `errno`.
        public init(path: String, operation: String, errno: Int32) {
            self.path = path
            self.operation = operation
            self.errno = errno
        }

        /// One line naming the file, the call and the system's message.
        public var description: String {
            "cannot write \(path): \(operation) failed: \(Errno(rawValue: errno))"
        }
    }

    /// A hook for tests: called after each chunk is written with the number of
    /// bytes written so far; throwing from it aborts the write.
    public typealias ProgressHook = (_ written: Int) throws -> Void

    /// Writes `chunks` in order to `path` atomically, with mode 0644.
    public static func write(
        _ chunks: [UnsafeRawBufferPointer], to path: String, progress: ProgressHook? = nil
    ) throws {
        try write(chunks, to: path, progress: { written in try progress?(written) }, systemFailure: { $0 })
    }

    /// Writes `chunks` in order to `path` atomically, with mode 0644,
    /// calling `progress` with the bytes written so far after each chunk; a
    /// system failure is thrown as `systemFailure` makes it, so the caller's
    /// error type is the only one.
    public static func write<Failure: Error>(
        _ chunks: [UnsafeRawBufferPointer], to path: String,
        progress: (_ written: Int) throws(Failure) -> Void, systemFailure: (WriteError) -> Failure
    ) throws(Failure) {
        try write(to: path, produce: { (sink) throws(Failure) in
            for chunk in chunks {
                do throws(WriteError) { try sink.write(chunk) } catch { throw systemFailure(error) }
                try progress(sink.written)
            }
        }, systemFailure: systemFailure)
    }

    /// Writes whatever `produce` hands its ``FileSink`` to `path`
    /// atomically, with mode 0644: the producer streams bytes in pieces of
    /// its choosing (an import copies gigabytes through a small buffer), and
    /// if it throws, the temporary file is removed and the destination is
    /// left as it was.
    public static func write(to path: String, produce: (FileSink) throws -> Void) throws {
        try write(to: path, produce: produce, systemFailure: { $0 })
    }

    /// ``write(to:produce:)`` for a producer whose errors are `Failure`;
    /// a system failure is thrown as `systemFailure` makes it.
    public static func write<Failure: Error>(
        to path: String, produce: (FileSink) throws(Failure) -> Void, systemFailure: (WriteError) -> Failure
    ) throws(Failure) {
        let destination = FilePath(path)
        let directory = destination.removingLastComponent()
        let directoryPath = directory.isEmpty ? FilePath(".") : directory
        let temporary: TemporaryFile
        do {
            temporary = try TemporaryFile(in: directoryPath, prefix: ".\(destination.lastComponent?.string ?? path).tmp-")
        } catch {
            throw systemFailure(WriteError(path: path, operation: "mkstemp", errno: error))
        }
        let descriptor = temporary.descriptor
        var closed = false
        func fail(_ operation: String, _ error: Errno) -> Failure {
            systemFailure(WriteError(path: path, operation: operation, errno: error))
        }
        do throws(Failure) {
            try produce(FileSink(descriptor: descriptor, path: path))
            do { try descriptor.setPermissions([.ownerReadWrite, .groupRead, .otherRead]) } catch { throw fail("fchmod", error) }
            do { try descriptor.synchronize() } catch { throw fail("fsync", error) }
            closed = true
            do { try descriptor.closeReportingErrors() } catch { throw fail("close", error) }
            do { try temporary.path.rename(to: destination) } catch { throw fail("rename", error) }
        } catch {
            if !closed { descriptor.closeIgnoringErrors() }
            try? temporary.path.removeFile()
            throw error
        }
        // Make the rename itself durable (best effort: the file is in place).
        if let directoryDescriptor = try? FileDescriptor.opening(directoryPath, .readOnly, options: .directory) {
            try? directoryDescriptor.synchronize()
            directoryDescriptor.closeIgnoringErrors()
        }
    }

    /// Writes one byte array to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String, progress: ProgressHook? = nil) throws {
        try bytes.withUnsafeBytes { raw in try write([raw], to: path, progress: progress) }
    }
}

/// Sequential writes to an open file: every byte handed over is written
/// (the system layer completes short writes), and ``written`` counts them.
/// The caller owns the descriptor.
public final class FileSink {
    /// The descriptor written to.
    public let descriptor: FileDescriptor
    /// The path named in errors.
    public let path: String
    /// Bytes written so far.
    public private(set) var written = 0

    /// Wraps `descriptor`; errors name `path`.
    public init(descriptor: FileDescriptor, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(AtomicFileWriter.WriteError) {
        do {
            try descriptor.writeFully(bytes)
        } catch {
            throw AtomicFileWriter.WriteError(path: path, operation: "write", errno: error)
        }
        written += bytes.count
    }

    /// Writes all of `source`'s bytes: its file ranges inside the kernel
    /// (`sendfile`), none of them copied into this process. A source that
    /// cannot be read is an error naming it and the offset.
    public func write(_ source: ByteSource) throws(AtomicFileWriter.WriteError) {
        do { try source.send(to: descriptor, name: path) } catch {
            let operation = error.file == path ? error.operation : "\(error.operation) of \(error.file)"
            throw AtomicFileWriter.WriteError(path: path, operation: operation + (error.offset.map { " at offset \($0)" } ?? ""),
                                              errno: error.errno)
        }
        written += source.count
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
