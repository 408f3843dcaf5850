#if canImport(Glibc)
import Glibc
#endif
import CLinuxSupport

/// A new file with a unique name, created and opened for reading and
/// writing (mode 0600, close-on-exec) by `mkostemps(3)`.
public struct TemporaryFile {
    /// The open descriptor; the caller closes it.
    public let descriptor: FileDescriptor
    /// The name chosen.
    public let path: FilePath

    /// Creates `directory/prefixXXXXXXsuffix` with the six `X` replaced so
    /// that no existing file is hit.
    public init(in directory: FilePath, prefix: String, suffix: String = "") throws(Errno) {
        var template = Array(directory.appending(prefix + "XXXXXX" + suffix).string.utf8CString)
        let suffixLength = Int32(suffix.utf8.count)
        let descriptor = try SystemCall.retryingInterrupts {
            template.withUnsafeMutableBufferPointer { luo_make_temporary($0.baseAddress!, suffixLength) }
        }
        self.descriptor = FileDescriptor(rawValue: descriptor)
        self.path = FilePath(String(cString: template.withUnsafeBufferPointer { $0.baseAddress! }))
    }
}
