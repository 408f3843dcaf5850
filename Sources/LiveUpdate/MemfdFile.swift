import HandoverModel
import KHOImage
import SystemSupport
import HexFormat

/// A Linux memfd (an anonymous shared-memory file) as a ``LiveFile``; the
/// ``MemfdHandler`` preserves it.
///
/// The object owns its descriptor and closes it when it goes away, unless
/// the descriptor was taken with ``takeDescriptor()``.
public final class MemfdFile: LiveFile {
    /// The file descriptor (`-1` once taken).
    public private(set) var fd: Int32

    /// The descriptor as the system layer takes it.
    private var file: FileDescriptor { FileDescriptor(rawValue: fd) }

    /// Creates a new memfd named `name` (`memfd_create(name, MFD_CLOEXEC)`,
    /// with `MFD_ALLOW_SEALING` when `allowSealing`).
    public init(name: String, allowSealing: Bool = false) throws(LiveUpdateError) {
        do {
            fd = try FileDescriptor.memfd(name: name, allowSealing: allowSealing).rawValue
        } catch {
            throw .system(operation: "memfd_create(\"\(name)\")", errno: error.rawValue)
        }
    }

    /// Takes ownership of `fd`, an open memfd.
    public init(adopting fd: Int32) {
        self.fd = fd
    }

    deinit {
        if fd >= 0 { file.closeIgnoringErrors() }
    }

    /// Hands the descriptor to the caller, who must close it; the object no
    /// longer closes it.
    public func takeDescriptor() -> Int32 {
        defer { fd = -1 }
        return fd
    }

    /// The file size in bytes (`fstat`).
    public func size() throws(LiveUpdateError) -> UInt64 {
        do { return UInt64(try file.stat().size) } catch { throw .system(operation: "fstat(memfd \(fd))", errno: error.rawValue) }
    }

    /// The file position (`lseek(fd, 0, SEEK_CUR)`).
    public func position() throws(LiveUpdateError) -> UInt64 {
        do { return UInt64(try file.currentOffset()) } catch { throw .system(operation: "lseek(memfd \(fd))", errno: error.rawValue) }
    }

    /// Moves the file position to `offset`.
    public func seek(to offset: UInt64) throws(LiveUpdateError) {
        do { try file.seeking(to: Int64(offset), from: .start) } catch {
            throw .system(operation: "lseek(memfd \(fd), \(offset))", errno: error.rawValue)
        }
    }

    /// Sets the file size (`ftruncate`).
    public func truncate(to size: UInt64) throws(LiveUpdateError) {
        do { try file.truncate(toSize: Int64(size)) } catch {
            throw .system(operation: "ftruncate(memfd \(fd), \(size))", errno: error.rawValue)
        }
    }

    /// Writes `bytes` at the file position and advances it (`write`).
    public func write(_ bytes: [UInt8]) throws(LiveUpdateError) {
        do {
            try bytes.withUnsafeBufferPointer { (buffer) throws(Errno) in try file.writeFully(UnsafeRawBufferPointer(buffer)) }
        } catch {
            throw .system(operation: "write(memfd \(fd))", errno: error.rawValue)
        }
    }

    /// Writes `bytes` at `offset` without moving the file position (`pwrite`).
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(LiveUpdateError) {
        do {
            try bytes.withUnsafeBufferPointer { (buffer) throws(Errno) in
                try file.writeFully(UnsafeRawBufferPointer(buffer), toAbsoluteOffset: Int64(offset))
            }
        } catch {
            throw .system(operation: "pwrite(memfd \(fd))", errno: error.rawValue)
        }
    }

    /// Writes `source` at the file position and advances it, a bounded
    /// chunk at a time (file ranges inside the kernel, with `sendfile`);
    /// runs of zeros are skipped over, as the file is expected to be
    /// truncated to size first (a retrieved memfd), so they cost no pages.
    public func write(contentsOf source: ByteSource) throws(LiveUpdateError) {
        do { try source.send(to: file, name: "memfd \(fd)", skippingZeros: true) } catch {
            throw .system(operation: error.description, errno: error.errno.rawValue)
        }
    }

    /// The whole contents, read from offset 0 without moving the file
    /// position (`pread` straight into the array, through
    /// ``HandoverModel/MemfdContents/init(readingDescriptor:position:)``).
    public func contents() throws(LiveUpdateError) -> [UInt8] {
        do {
            return try MemfdContents(readingDescriptor: fd).contents
        } catch {
            throw .system(operation: "pread(memfd \(fd)): \(error)", errno: error.errno)
        }
    }

    /// The file's seals (`fcntl(F_GET_SEALS)`): `F_SEAL_SEAL` alone for a
    /// memfd created without `MFD_ALLOW_SEALING`.
    public func seals() throws(LiveUpdateError) -> UInt32 {
        do { return try file.seals() } catch { throw .system(operation: "fcntl(memfd \(fd), F_GET_SEALS)", errno: error.rawValue) }
    }

    /// Adds `seals` (`fcntl(F_ADD_SEALS)`).
    public func addSeals(_ seals: UInt32) throws(LiveUpdateError) {
        do { try file.addSeals(seals) } catch {
            throw .system(operation: "fcntl(memfd \(fd), F_ADD_SEALS, \(Hex.format(seals)))", errno: error.rawValue)
        }
    }
}
