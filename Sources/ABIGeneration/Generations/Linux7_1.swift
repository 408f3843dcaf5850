extension KernelGeneration {
    /// Linux v7.1: `kho-v3` (subtrees carry `blob-size`, a `kexec-metadata`
    /// subtree added at `kho_init`), the LUO FDT `luo-v1` with
    /// `luo-session-v2` and `luo-flb-v1` (the same blocks and limits as
    /// before), and `memfd-v2` (48 bytes, with seals and flags).
    public static let linux7_1 = KernelGeneration(
        name: "kho-v3+luo-v1+memfd-v2",
        releases: ["7.1"],
        khoRoot: KHORootFormat(compatible: "kho-v3", subtreeBlobSize: true),
        luo: .luoV1FDT,
        memfd: .memfdV2,
        kexecMetadata: .v1,
        limits: .luoV1,
        defaultPreviousRelease: "7.1.8")
}

extension MemfdFormat {
    /// The seals `memfd-v2` preserves (`MEMFD_LUO_ALL_SEALS`): SEAL (1),
    /// SHRINK (2), GROW (4), WRITE (8), FUTURE_WRITE (0x10), EXEC (0x20).
    public static let memfdV2Seals: UInt32 = 0x3f

    /// `memfd-v2`: `{pos, size, seals, flags, nr_folios, folios}`, 48 bytes.
    public static let memfdV2 = MemfdFormat(compatible: "memfd-v2", serSize: 48, carriesSeals: true,
                                            supportedSeals: memfdV2Seals)
}

extension KexecMetadataFormat {
    /// Version 1: `{u32 version; char previous_release[65]; u32 kexec_count}`, packed, 73 bytes.
    public static let v1 = KexecMetadataFormat(nodeName: "kexec-metadata", version: 1, size: 73, releaseFieldLength: 65)
}
