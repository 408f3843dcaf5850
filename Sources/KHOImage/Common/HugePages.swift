import SystemSupport

/// Large buffers the library fills at once (the writer's arena, a memfd
/// read into memory) ask the kernel for transparent huge pages: one fault
/// per 2 MiB instead of one per 4 KiB. It is only a hint (`madvise`),
/// ignored where THP is off; the bytes are the same either way.
///
/// The hint stops at ``ceiling``. Where THP's `defrag` is `madvise` (the
/// default), a fault in an advised range that finds no free 2 MiB page
/// compacts memory first, and gigabytes of huge pages can cost far more
/// than the base-page faults they save: measured on this project's machine,
/// the first encode of a 2.1 GB luo-v5 image (510,000 sessions) took 5 to
/// 12 s with the hint and 1.3 to 1.6 s without, while an 83 MB one took 27
/// ns per file with it and 50 without.
enum HugePages {
    /// The transparent huge page size on x86-64 and 4 KiB-page arm64.
    static let size = 2 << 20
    /// Buffers smaller than this are left alone.
    static let threshold = 4 << 20
    /// Buffers larger than this are backed by base pages.
    static let ceiling = 256 << 20

    /// The base page size `madvise` works in.
    static let pageSize = 4096

    /// Advises huge pages for the pages `count` bytes at `pointer` touch,
    /// when `count` is from ``threshold`` to ``ceiling``, and withdraws the
    /// advice above it (a buffer that grew past the ceiling by `realloc`
    /// keeps its mapping's flags otherwise). The kernel uses huge pages
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
        if count <= ceiling {
            MemoryMapping.adviseHugePages(aligned, byteCount: end - start)
        } else {
            MemoryMapping.adviseBasePages(aligned, byteCount: end - start)
        }
    }
}
