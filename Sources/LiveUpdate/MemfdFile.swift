#if canImport(Glibc)
import Glibc
#endif
import HandoverModel
import KHOImage

/// A Linux memfd (an anonymous shared-memory file) as a ``LiveFile``; the
/// ``MemfdHandler`` preserves it.
///
/// The object owns its descriptor and closes it when it goes away, unless
/// the descriptor was taken with ``takeDescriptor()``.
public final class MemfdFile: LiveFile {
    /// The file descriptor (`-1` once taken).
    public private(set) var fd: Int32

    /// Creates a new memfd named `name` (`memfd_create(name, MFD_CLOEXEC)`,
    /// with `MFD_ALLOW_SEALING` when `allowSealing`).
    public init(name: String, allowSealing: Bool = false) throws(LiveUpdateError) {
        let fd = MemfdFile.create(name, flags: allowSealing ? MemfdFile.allowSealing : 0)
        guard fd >= 0 else { throw .system(operation: "memfd_create(\"\(name)\")", errno: errno) }
        self.fd = fd
    }

    /// Takes ownership of `fd`, an open memfd.
    public init(adopting fd: Int32) {
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Hands the descriptor to the caller, who must close it; the object no
    /// longer closes it.
    public func takeDescriptor() -> Int32 {
        defer { fd = -1 }
        return fd
    }

    /// The file size in bytes (`fstat`).
    public func size() throws(LiveUpdateError) -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(operation: "fstat(memfd \(fd))", errno: errno) }
        return UInt64(info.st_size)
    }

    /// The file position (`lseek(fd, 0, SEEK_CUR)`).
    public func position() throws(LiveUpdateError) -> UInt64 {
        let offset = lseek(fd, 0, SEEK_CUR)
        guard offset >= 0 else { throw .system(operation: "lseek(memfd \(fd))", errno: errno) }
        return UInt64(offset)
    }

    /// Moves the file position to `offset`.
    public func seek(to offset: UInt64) throws(LiveUpdateError) {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            throw .system(operation: "lseek(memfd \(fd), \(offset))", errno: errno)
        }
    }

    /// Sets the file size (`ftruncate`).
    public func truncate(to size: UInt64) throws(LiveUpdateError) {
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw .system(operation: "ftruncate(memfd \(fd), \(size))", errno: errno)
        }
    }

    /// Writes `bytes` at the file position and advances it (`write`).
    public func write(_ bytes: [UInt8]) throws(LiveUpdateError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "write(memfd \(fd))", errno: errno)
            }
            done += count
        }
    }

    /// Writes `bytes` at `offset` without moving the file position (`pwrite`).
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(LiveUpdateError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes {
                pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "pwrite(memfd \(fd))", errno: errno)
            }
            done += count
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
        let seals = fcntl(fd, MemfdFile.getSeals)
        guard seals >= 0 else { throw .system(operation: "fcntl(memfd \(fd), F_GET_SEALS)", errno: errno) }
        return UInt32(seals)
    }

    /// Adds `seals` (`fcntl(F_ADD_SEALS)`).
    public func addSeals(_ seals: UInt32) throws(LiveUpdateError) {
        guard fcntl(fd, MemfdFile.addSealsCommand, Int32(bitPattern: seals)) == 0 else {
            throw .system(operation: "fcntl(memfd \(fd), F_ADD_SEALS, 0x\(String(seals, radix: 16)))", errno: errno)
        }
    }

    /// `F_ADD_SEALS` and `F_GET_SEALS` (`F_LINUX_SPECIFIC_BASE` + 9, + 10)
    /// and `MFD_ALLOW_SEALING`: Glibc's Swift module leaves them out.
    static let addSealsCommand: Int32 = 1033, getSeals: Int32 = 1034, allowSealing: UInt32 = 2

    /// `memfd_create` from the C library, looked up at run time: Glibc's
    /// Swift module does not export it.
    private static func create(_ name: String, flags: UInt32) -> Int32 {
        typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else {
            errno = ENOSYS
            return -1
        }
        let mfdCloexec: UInt32 = 1
        return unsafeBitCast(symbol, to: MemfdCreate.self)(name, mfdCloexec | flags)
    }
}
