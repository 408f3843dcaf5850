/// Names, sizes and limits of the LUO FDT generation `luo-v1` with
/// `luo-session-v2` and `luo-flb-v1` (include/linux/kho/abi/luo.h,
/// kernel/liveupdate/luo_session.c, luo_file.c, luo_flb.c,
/// include/uapi/linux/liveupdate.h).
public enum LUOv1 {
    /// `LUO_FDT_KHO_ENTRY_NAME`: the KHO subtree LUO registers.
    public static let subtreeName = "LUO"
    /// `LUO_FDT_SIZE`: one page.
    public static let fdtSize = PageGeometry.pageSize
    /// `LUO_FDT_COMPATIBLE`.
    public static let compatible = "luo-v1"
    /// `LUO_FDT_LIVEUPDATE_NUM`.
    public static let liveupdateNumberProperty = "liveupdate-number"
    /// `LUO_FDT_SESSION_NODE_NAME`.
    public static let sessionNodeName = "luo-session"
    /// `LUO_FDT_SESSION_COMPATIBLE`.
    public static let sessionCompatible = "luo-session-v2"
    /// `LUO_FDT_SESSION_HEADER`.
    public static let sessionHeaderProperty = "luo-session-header"
    /// `LUO_FDT_FLB_NODE_NAME`.
    public static let flbNodeName = "luo-flb"
    /// `LUO_FDT_FLB_COMPATIBLE`.
    public static let flbCompatible = "luo-flb-v1"
    /// `LUO_FDT_FLB_HEADER`.
    public static let flbHeaderProperty = "luo-flb-header"

    /// `LIVEUPDATE_SESSION_NAME_LENGTH`: names hold at most 63 bytes.
    public static let sessionNameLength = 64
    /// `LIVEUPDATE_HNDL_COMPAT_LENGTH`: handler compatibles hold at most 47 bytes.
    public static let handlerCompatibleLength = 48
    /// `LIVEUPDATE_FLB_COMPAT_LENGTH`: FLB names hold at most 47 bytes.
    public static let flbCompatibleLength = 48

    /// `LUO_SESSION_PGCNT`: the session block is 16 pages (one order-4 folio).
    public static let sessionBlockPages = 16
    /// `LUO_FILE_PGCNT`: each session's file array is 2 pages (one order-1 folio).
    public static let fileArrayPages = 2
    /// `LUO_FLB_PGCNT`: the FLB block is 1 page.
    public static let flbBlockPages = 1

    /// `LUO_SESSION_MAX`: (16 * 4096 - 8) / 80 = 819 sessions.
    public static let maxSessions = (sessionBlockPages * PageGeometry.pageSize - LUOSessionHeaderSer.size) / LUOSessionSer.size
    /// `LUO_FILE_MAX`: 2 * 4096 / 64 = 128 files per session.
    public static let maxFilesPerSession = fileArrayPages * PageGeometry.pageSize / LUOFileSer.size
    /// `LUO_FLB_MAX`: (4096 - 16) / 64 = 63 FLB objects.
    public static let maxFLBs = (flbBlockPages * PageGeometry.pageSize - LUOFLBHeaderSer.size) / LUOFLBSer.size
}
