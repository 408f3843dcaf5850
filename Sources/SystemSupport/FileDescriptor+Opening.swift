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
