#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// Opens `path` (`open(2)`), always close-on-exec: a descriptor of this
    /// project never leaks into a program it starts. `permissions` is the
    /// mode of a file `options` creates.
    public static func opening(
        _ path: FilePath, _ mode: AccessMode, options: OpenOptions = [], permissions: FilePermissions? = nil
    ) throws(Errno) -> FileDescriptor {
        OpenObserver.observer?(path)
        let flags = mode.rawValue | options.union(.closeOnExec).rawValue
        let descriptor = try SystemCall.retryingInterrupts {
            path.withPlatformString { Glibc.open($0, flags, permissions?.rawValue ?? 0) }
        }
        return FileDescriptor(rawValue: descriptor)
    }

    /// A new descriptor for the same open file (`fcntl(F_DUPFD_CLOEXEC)`),
    /// close-on-exec like every descriptor of this project; it shares the
    /// file position, and the caller closes it.
    public func duplicated() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try SystemCall.retryingInterrupts { Glibc.fcntl(rawValue, F_DUPFD_CLOEXEC, 0) })
    }

    /// Closes the descriptor (`close(2)`, never retried: Linux has released
    /// it even when the call reports an error), throwing what the call
    /// reports, as a write's final flush can fail here.
    public func closeReportingErrors() throws(Errno) {
        _ = try SystemCall.once { Glibc.close(rawValue) }
    }

    /// Closes the descriptor where nothing can be done about a failure
    /// (cleanup after another error, a `deinit`).
    public func closeIgnoringErrors() {
        _ = Glibc.close(rawValue)
    }
}
