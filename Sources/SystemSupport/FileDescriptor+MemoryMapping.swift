#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// Maps the first `byteCount` bytes of the file read-only and private
    /// (`mmap(2)`); the mapping outlives the descriptor and is released
    /// with ``MemoryMapping/unmap(_:byteCount:)``. `byteCount` must be
    /// positive.
    public func mapReadOnly(byteCount: Int) throws(Errno) -> UnsafeMutableRawPointer {
        guard let mapping = Glibc.mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, rawValue, 0), mapping != MAP_FAILED else {
            throw SystemCall.lastError
        }
        return mapping
    }
}

/// Releasing and advising mapped memory.
public enum MemoryMapping {
    /// Releases a mapping made by ``SystemPackage/FileDescriptor/mapReadOnly(byteCount:)``
    /// (`munmap(2)`, which fails only for a range that was never mapped).
    public static func unmap(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        _ = Glibc.munmap(base, byteCount)
    }

    /// Asks for transparent huge pages over `byteCount` bytes at `base`, a
    /// 2 MiB-aligned range (`madvise(MADV_HUGEPAGE)`): only a hint, ignored
    /// where THP is off.
    public static func adviseHugePages(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        _ = Glibc.madvise(base, byteCount, MADV_HUGEPAGE)
    }

    /// Withdraws ``adviseHugePages(_:byteCount:)`` over `byteCount` bytes at
    /// `base` (`madvise(MADV_NOHUGEPAGE)`): the range is backed by base
    /// pages only.
    public static func adviseBasePages(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        _ = Glibc.madvise(base, byteCount, MADV_NOHUGEPAGE)
    }
}
