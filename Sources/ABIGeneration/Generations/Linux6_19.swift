extension KernelGeneration {
    /// Linux v6.19: v7.0's generation without FLBs: the LUO FDT has no
    /// `luo-flb` node (`luo_flb.c` arrived in v7.0), so no FLB block is
    /// allocated and the state holds no FLB entries. The KHO root, the memory
    /// map, the sessions, files and `memfd-v1` are byte for byte v7.0's, and
/// session names are as unchecked as in v7.0.
    public static let linux6_19 = KernelGeneration(
        name: "kho-v1+luo-v1-no-flb+memfd-v1",
        releases: ["6.19"],
        khoRoot: .khoV1,
        luo: .luoV1FDTWithoutFLB,
        memfd: .memfdV1,
        kexecMetadata: nil,
        limits: .luoV1WithoutFLB,
        defaultPreviousRelease: nil,
        sessionNameCheck: .unchecked)
}

extension LUOFormat {
    /// The LUO FDT `luo-v1` with `luo-session-v2` and no FLB node (v6.19).
    public static let luoV1FDTWithoutFLB = LUOFormat(compatible: "luo-v1", isFDT: true,
                                                     sessionCompatible: "luo-session-v2", flbCompatible: nil)
}

extension GenerationLimits {
    /// `luo-session-v2` limits with no FLB block at all (v6.19).
    public static let luoV1WithoutFLB = GenerationLimits(maxSessions: 819, maxFilesPerSession: 128, maxFLBs: 0,
                                                         sessionBlockPages: 16, fileArrayPages: 2, flbBlockPages: 0)
}
