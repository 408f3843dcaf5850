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

    /// Advises huge pages for the 2 MiB-aligned part of `count` bytes at
    /// `pointer`, when `count` is at least ``threshold``.
    static func advise(_ pointer: UnsafeMutableRawPointer, count: Int) {
        guard count >= threshold else { return }
        let start = (Int(bitPattern: pointer) + size - 1) & ~(size - 1)
        let end = (Int(bitPattern: pointer) + count) & ~(size - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        MemoryMapping.adviseHugePages(aligned, byteCount: end - start)
    }
}
