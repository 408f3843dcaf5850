extension KernelGeneration {
    /// Linux v7.0: `kho-v1` (subtrees carry an `fdt` u64, no `blob-size`,
    /// no `kexec-metadata`; the preserved-memory map is a linked list of
    /// `khoser_mem_chunk` pages of per-order bitmaps written by
    /// `kho_finalize` at reboot), the LUO FDT `luo-v1` with `luo-session-v2`
    /// and `luo-flb-v1`, and `memfd-v1` (40 bytes, no seals). As released, it
/// creates a session with an empty name (``SessionNameCheck/unchecked``).
    public static let linux7_0 = KernelGeneration(
        name: "kho-v1+luo-v1+memfd-v1",
        releases: ["7.0"],
        khoRoot: .khoV1,
        luo: .luoV1FDT,
        memfd: .memfdV1,
        kexecMetadata: nil,
        limits: .luoV1,
        defaultPreviousRelease: nil,
        sessionNameCheck: .unchecked)
}

extension KHORootFormat {
    /// `kho-v1` (v6.19, v7.0): property `fdt`, chunked bitmaps.
    public static let khoV1 = KHORootFormat(compatible: "kho-v1", subtreeBlobSize: false, subtreeProperty: "fdt",
                                            memoryMap: .chunkedBitmaps)
}
