import SystemSupport

/// Large buffers the library fills at once (the writer's arena, a decoded
/// memfd's contents) ask the kernel for transparent huge pages: one fault
/// per 2 MiB instead of one per 4 KiB, which is most of the cost of moving
/// a large memfd through an image. It is only a hint (`madvise`), ignored
/// where THP is off; the bytes are the same either way.
enum HugePages {
    /// The transparent huge page size on x86-64 and 4 KiB-page arm64.
    static let size = 2 << 20
    /// Buffers smaller than this are left alone.
    static let threshold = 4 << 20

    /// The base page size `madvise` works in.
    static let pageSize = 4096

    /// Advises huge pages for the pages `count` bytes at `pointer` touch,
    /// when `count` is at least ``threshold``; the kernel uses huge pages
    /// where 2 MiB-aligned ranges fit. The advice covers whole pages out to
    /// both ends, so a `malloc`'d block's mapping keeps one set of flags:
    /// advising only its 2 MiB-aligned middle splits the mapping, and
    /// `realloc` can then no longer move it with `mremap` (`EFAULT`) and
    /// copies it instead, touching every page of it (the writer's arena
    /// holds gigabytes of untouched pages where memfd contents are placed).
    static func advise(_ pointer: UnsafeMutableRawPointer, count: Int) {
        guard count >= threshold else { return }
        let start = Int(bitPattern: pointer) & ~(pageSize - 1)
        let end = (Int(bitPattern: pointer) + count + pageSize - 1) & ~(pageSize - 1)
        guard let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        MemoryMapping.adviseHugePages(aligned, byteCount: end - start)
    }
}
