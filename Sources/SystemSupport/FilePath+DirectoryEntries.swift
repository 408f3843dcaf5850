#if canImport(Glibc)
import Glibc
#endif

extension FilePath {
    /// Removes the directory entry (`unlink(2)`); an open descriptor of the
    /// file stays usable.
    public func removeFile() throws(Errno) {
        _ = try SystemCall.retryingInterrupts { withPlatformString { Glibc.unlink($0) } }
    }

    /// Renames this entry to `destination` in one step (`rename(2)`),
    /// replacing a file there: readers see the old file or the new one,
    /// never a mix.
    public func rename(to destination: FilePath) throws(Errno) {
        _ = try SystemCall.retryingInterrupts {
            withPlatformString { from in destination.withPlatformString { to in Glibc.rename(from, to) } }
        }
    }
}
