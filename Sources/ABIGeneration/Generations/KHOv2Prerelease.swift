extension KernelGeneration {
    /// `kho-v2` + `luo-v1` + `memfd-v1`: this project's first generation.
    /// `kho-v2` lived in mainline for a few days of the v7.1 merge window
    /// (beside `memfd-v2`); no released kernel writes or reads it, and no
    /// kernel had it together with `memfd-v1`. Kept so that the images and
    /// fixtures made with it still reproduce byte for byte.
    public static let khoV2Prerelease = KernelGeneration(
        name: "kho-v2+luo-v1+memfd-v1",
        releases: [],
        khoRoot: KHORootFormat(compatible: "kho-v2", subtreeBlobSize: false),
        luo: .luoV1FDT,
        memfd: .memfdV1,
        kexecMetadata: nil,
        limits: .luoV1,
        defaultPreviousRelease: nil)
}

extension LUOFormat {
    /// The LUO FDT `luo-v1` with `luo-session-v2` and `luo-flb-v1`
    /// (v7.0 and v7.1; v6.19 had no FLB node).
    public static let luoV1FDT = LUOFormat(compatible: "luo-v1", isFDT: true,
                                           sessionCompatible: "luo-session-v2", flbCompatible: "luo-flb-v1")
}

extension MemfdFormat {
    /// `memfd-v1`: `{pos, size, nr_folios, folios}`, 40 bytes, no seals.
    public static let memfdV1 = MemfdFormat(compatible: "memfd-v1", serSize: 40, carriesSeals: false, supportedSeals: 0)
}

extension GenerationLimits {
    /// `luo-session-v2` in a 16-page block (819 sessions), 2-page file
    /// arrays (128 files each), a 1-page FLB block (63 entries).
    public static let luoV1 = GenerationLimits(maxSessions: 819, maxFilesPerSession: 128, maxFLBs: 63,
                                               sessionBlockPages: 16, fileArrayPages: 2, flbBlockPages: 1)
}
