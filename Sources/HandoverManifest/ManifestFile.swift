import SystemSupport

/// Reads a manifest file whole through the system layer, so a failure reads
/// as the system's message (`No such file or directory`, `Is a directory`).
enum ManifestFile {
    /// Manifests larger than this (4 GiB) are refused before reading.
    static let maximumSize = 4 << 30

    static func read(_ path: String) throws(ManifestError) -> [UInt8] {
        func failure(_ error: Errno) -> ManifestError { .unreadable(file: path, reason: error.description) }
        let descriptor: FileDescriptor
        do { descriptor = try .opening(FilePath(path), .readOnly) } catch { throw failure(error) }
        defer { descriptor.closeIgnoringErrors() }
        let status: Stat
        do { status = try descriptor.stat() } catch { throw failure(error) }
        guard status.type != .directory else { throw failure(.isDirectory) }
        // A pipe or device says nothing of its size: read until it ends.
        let expected = status.type == .regular ? Int(status.size) : 0
        guard expected <= maximumSize else { throw .unreadable(file: path, reason: "larger than \(maximumSize) bytes") }
        var bytes = [UInt8](repeating: 0, count: max(expected, 65536))
        var count = 0
        while true {
            if count == bytes.count {
                guard bytes.count < maximumSize else { throw .unreadable(file: path, reason: "larger than \(maximumSize) bytes") }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: bytes.count))
            }
            let wanted = bytes.count - count
            let got: Int
            do {
                got = try bytes.withUnsafeMutableBufferPointer { (buffer) throws(Errno) in
                    try descriptor.readFully(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[count...]))
                }
            } catch {
                throw failure(error)
            }
            count += got
            if got < wanted { break }
        }
        bytes.removeSubrange(count...)
        return bytes
    }
}
