#if canImport(Glibc)
import Glibc
#endif
import CLinuxSupport

extension FileDescriptor.SeekOrigin {
    /// `SEEK_DATA`: the first byte of data at or after the offset (swift-system
    /// names it only on Darwin and FreeBSD).
    public static var nextDataRegion: Self { Self(rawValue: luo_seek_data) }
    /// `SEEK_HOLE`: the first hole at or after the offset (the end of the file
    /// counts as one).
    public static var nextHoleRegion: Self { Self(rawValue: luo_seek_hole) }
}

extension FileDescriptor {
    /// The file position (`lseek(fd, 0, SEEK_CUR)`).
    public func currentOffset() throws(Errno) -> Int64 {
        try seeking(to: 0, from: .current)
    }

    /// Moves the file position (`lseek(2)`) and returns the new one.
    /// `.nextDataRegion` and `.nextHoleRegion` find the extents of a sparse file
    /// (`ENXIO` past the last data).
    @discardableResult
    public func seeking(to offset: Int64, from origin: SeekOrigin) throws(Errno) -> Int64 {
        Int64(try SystemCall.retryingInterrupts { Glibc.lseek(rawValue, off_t(offset), origin.rawValue) })
    }

    /// Sets the file's size (`ftruncate(2)`); the file position stays.
    public func truncate(toSize size: Int64) throws(Errno) {
        _ = try SystemCall.retryingInterrupts { Glibc.ftruncate(rawValue, off_t(size)) }
    }

    /// Flushes the file's data and metadata to the device (`fsync(2)`).
    public func synchronize() throws(Errno) {
        _ = try SystemCall.retryingInterrupts { Glibc.fsync(rawValue) }
    }

    /// Sets the file's permission bits (`fchmod(2)`).
    public func setPermissions(_ permissions: FilePermissions) throws(Errno) {
        _ = try SystemCall.retryingInterrupts { Glibc.fchmod(rawValue, permissions.rawValue) }
    }

    /// Whether the descriptor is a terminal (`isatty(3)`).
    public var isTerminal: Bool { Glibc.isatty(rawValue) == 1 }
}
