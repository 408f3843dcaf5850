/// The page geometry every layout of the handover is expressed in.
///
/// LUO and KHO are defined in terms of `PAGE_SIZE`; this project targets the
/// 4 KiB pages of x86-64 and the default arm64 configuration.
public enum PageGeometry {
    /// `PAGE_SHIFT`.
    public static let pageShift = 12
    /// `PAGE_SIZE`: 4096 bytes.
    public static let pageSize = 1 << pageShift
    /// `MAX_PAGE_ORDER` of a default kernel configuration: the largest folio
    /// `kho_alloc_preserve` can hand out is `1 << 10` pages (4 MiB).
    public static let maxPageOrder = 10

    /// The number of whole pages needed for `bytes` bytes (`DIV_ROUND_UP`).
    @inlinable
    public static func pages(forBytes bytes: Int) -> Int {
        (bytes + pageSize - 1) >> pageShift
    }

    /// The kernel's `get_order(size)`: the smallest order whose block of
    /// `1 << order` pages holds `bytes` bytes. `bytes` must be positive.
    @inlinable
    public static func order(forBytes bytes: Int) -> Int {
        precondition(bytes > 0, "get_order of zero bytes")
        let pages = pages(forBytes: bytes)
        return pages <= 1 ? 0 : (Int.bitWidth - (pages - 1).leadingZeroBitCount)
    }

    /// Whether `value` is a multiple of the page size.
    @inlinable
    public static func isPageAligned(_ value: UInt64) -> Bool {
        value & UInt64(pageSize - 1) == 0
    }

    /// `value` rounded up to the next page boundary.
    @inlinable
    public static func pageAlignUp(_ value: Int) -> Int {
        (value + pageSize - 1) & ~(pageSize - 1)
    }
}
