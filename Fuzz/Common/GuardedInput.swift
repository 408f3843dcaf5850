// Shared by the fuzz targets: the input in two kinds of storage, so both
// kinds of out-of-bounds read are caught.
import FDT
#if canImport(Glibc)
import Glibc
#endif

/// The input in two kinds of storage, so both kinds of out-of-bounds read
/// are caught.
public enum FuzzInput {
    /// An exactly sized heap copy: ASan's redzone sits right after the last
    /// byte, so any read past it from Swift code is reported.
    public static func heap(_ data: UnsafePointer<UInt8>, _ size: Int) -> ReadOnlyBytes {
        ReadOnlyBytes(copying: UnsafeBufferPointer(start: data, count: size))
    }

    /// The mapping ``guarded(_:_:)`` reuses: its base and the number of
    /// data pages before the inaccessible one.
    nonisolated(unsafe) private static var mapping: (base: UnsafeMutableRawPointer, dataPages: Int)?

    /// A copy that ends where an inaccessible page begins (rounded up to 8
    /// bytes, the alignment libfdt needs). libfdt (Debian's, not built with
    /// ASan) reads this memory unseen by ASan; a read past the end faults.
    /// One mapping is reused from run to run (grown when an input needs it).
    public static func guarded(_ data: UnsafePointer<UInt8>, _ size: Int) -> ReadOnlyBytes {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let padded = (size + 7) & ~7
        let needed = max(1, (padded + page - 1) / page)
        if let current = mapping, current.dataPages < needed {
            munmap(current.base, (current.dataPages + 1) * page)
            mapping = nil
        }
        if mapping == nil {
            let length = (needed + 1) * page
            guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  base != MAP_FAILED else { fatalError("mmap failed") }
            precondition(mprotect(base + needed * page, page, PROT_NONE) == 0, "mprotect failed")
            mapping = (base, needed)
        }
        let (base, dataPages) = mapping!
        let start = base + dataPages * page - padded
        start.copyMemory(from: data, byteCount: size)
        // The padding bytes (at most 7) are zero, as in a fresh copy.
        (start + size).initializeMemory(as: UInt8.self, repeating: 0, count: padded - size)
        return ReadOnlyBytes(adopting: UnsafeRawPointer(start), count: size) { _, _ in }
    }
}
