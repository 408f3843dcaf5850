extension KernelGeneration {
    /// Linux v7.2 and v7.3: `kho-v4` (the `kho-v3` root with another
    /// compatible), LUO's state as a packed 32-byte `struct luo_ser`
    /// (`luo-v5`, no FDT) whose sessions and files live in chains of
    /// one-page `kho_block`s, the FLB block as in `luo-flb-v1`, `memfd-v2`
    /// and `kexec-metadata`. v7.3 only refactored KHO's internal radix API:
    /// both releases write the same bytes.
    public static let linux7_3 = KernelGeneration(
        name: "kho-v4+luo-v5+memfd-v2",
        releases: ["7.2", "7.3"],
        khoRoot: KHORootFormat(compatible: "kho-v4", subtreeBlobSize: true),
        luo: .luoV5Packed,
        memfd: .memfdV2,
        kexecMetadata: .v1,
        limits: .luoV5,
        defaultPreviousRelease: "7.3.4")
}

extension LUOFormat {
    /// The packed `struct luo_ser` `luo-v5` (v7.2+): no session or FLB
    /// node, so no compatibles of their own; the session and file entries
    /// keep `luo-session-v2`'s bytes and the FLB block `luo-flb-v1`'s.
    public static let luoV5Packed = LUOFormat(compatible: "luo-v5", isFDT: false,
                                              sessionCompatible: "luo-session-v2", flbCompatible: "luo-flb-v1")
}

extension GenerationLimits {
    /// `kho_block` chains of one page each: 51 sessions or 63 files per
    /// block, at most `KHO_MAX_BLOCKS` (10,000) blocks per chain (so
    /// 510,000 sessions and 630,000 files per session); the FLB block is
    /// still one page of 63 entries.
    public static let luoV5 = GenerationLimits(maxSessions: 10_000 * 51, maxFilesPerSession: 10_000 * 63, maxFLBs: 63,
                                               sessionBlockPages: 1, fileArrayPages: 1, flbBlockPages: 1)
}
