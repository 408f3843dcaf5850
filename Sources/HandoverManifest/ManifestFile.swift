#if canImport(Glibc)
import Glibc
#endif

/// Reads a manifest file whole with plain system calls, so a failure reads
/// as the system's message (`No such file or directory`, `Is a directory`).
enum ManifestFile {
    /// Manifests larger than this (4 GiB) are refused before reading.
    static let maximumSize = 4 << 30

    static func read(_ path: String) throws(ManifestError) -> [UInt8] {
        func failure(_ code: Int32) -> ManifestError { .unreadable(file: path, reason: String(cString: strerror(code))) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(errno) }
        let kind = status.st_mode & S_IFMT
        guard kind != S_IFDIR else { throw failure(EISDIR) }
        let expected = kind == S_IFREG ? Int(status.st_size) : 0
        guard expected <= maximumSize else { throw .unreadable(file: path, reason: "larger than \(maximumSize) bytes") }
        var bytes = [UInt8](repeating: 0, count: max(expected, 65536))
        var count = 0
        while true {
            if count == bytes.count {
                guard bytes.count < maximumSize else { throw .unreadable(file: path, reason: "larger than \(maximumSize) bytes") }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: bytes.count))
            }
            let result = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            if result == 0 { break }
            count += result
        }
        bytes.removeSubrange(count...)
        return bytes
    }
}
