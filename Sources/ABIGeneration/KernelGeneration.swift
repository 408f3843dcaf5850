/// One ABI generation of the kexec handover: the set of formats a kernel
/// writes (and the only set it reads) for the KHO root FDT, LUO's own state
/// and the memfd file handler, with the limits they imply.
///
/// A generation is a plain value: the writer, the reader, the model and the
/// manifest are all driven by it. Each generation is defined in a file of
/// its own under `Generations/`, and each versioned byte layout it names
/// lives in its own folder of `KernelABI` (`KHOv2`, `KHOv3`, `LUOv1`,
/// `MemfdV1`, `MemfdV2`, `KexecMetadata`), so a new generation is added
/// beside the others without editing theirs.
///
/// This target has no dependencies so that `HandoverModel` (which has none
/// either) can record the generation of a state.
public struct KernelGeneration: Hashable, Sendable, CustomStringConvertible {
    /// A short unique name, the three compatibles that set it apart
    /// (`kho-v3+luo-v1+memfd-v2`).
    public let name: String
    /// The released kernels that write this generation (`["7.1"]`); empty
    /// for a generation no released kernel wrote.
    public let releases: [String]
    /// The KHO root FDT.
    public let khoRoot: KHORootFormat
    /// LUO's state under the root's `LUO` subtree.
    public let luo: LUOFormat
    /// The memfd file handler's serialized state.
    public let memfd: MemfdFormat
    /// The `kexec-metadata` subtree, when the generation has one.
    public let kexecMetadata: KexecMetadataFormat?
    /// The kernel's capacities in this generation.
    public let limits: GenerationLimits
    /// What `previous_release` the writer puts in `kexec-metadata` when the
    /// model does not say (the release the generation's facts were measured on).
    public let defaultPreviousRelease: String?
    /// How the generation's kernel checks a new session's name.
    public let sessionNameCheck: SessionNameCheck

    /// Creates a generation description (the known ones are static members).
    public init(name: String, releases: [String], khoRoot: KHORootFormat, luo: LUOFormat, memfd: MemfdFormat,
                kexecMetadata: KexecMetadataFormat?, limits: GenerationLimits, defaultPreviousRelease: String?,
                sessionNameCheck: SessionNameCheck = .lengthChecked) {
        self.name = name
        self.releases = releases
        self.khoRoot = khoRoot
        self.luo = luo
        self.memfd = memfd
        self.kexecMetadata = kexecMetadata
        self.limits = limits
        self.defaultPreviousRelease = defaultPreviousRelease
        self.sessionNameCheck = sessionNameCheck
    }

    /// `name`, and the releases that write it.
    public var description: String {
        releases.isEmpty ? "\(name) (no released kernel)" : "\(name) (Linux \(releases.joined(separator: ", ")))"
    }

    /// What a manifest writes to name this generation: the newest release
    /// that writes it (its last), or its name when no release writes it.
    public var manifestName: String { releases.last ?? name }
}

/// How `luo_session_create` checks a session name
/// (`LIVEUPDATE_IOCTL_CREATE_SESSION`). Names are bytes either way: no
/// encoding is checked, and the incoming kernel checks nothing.
public enum SessionNameCheck: Hashable, Sendable {
    /// `strnlen(name, 64)` must be 1 to 63, else `-EINVAL`: an empty name and
    /// 64 bytes without a NUL are refused (v7.1 on, from "liveupdate: reject
    /// LIVEUPDATE_IOCTL_CREATE_SESSION with invalid name length", April 2026).
    case lengthChecked
    /// No check (v6.19 and v7.0 as released): an empty name is created, and
    /// `strscpy` cuts 64 bytes without a NUL to their first 63.
    case unchecked
}

/// The KHO root FDT of a generation (`include/linux/kho/abi/kexec_handover.h`).
public struct KHORootFormat: Hashable, Sendable {
    /// The root's `compatible` (`kho-v2`, `kho-v3`).
    public let compatible: String
    /// Whether each subtree node carries a `blob-size` u64 beside
    /// `preserved-data` (from `kho-v3` on).
    public let subtreeBlobSize: Bool
    /// The u64 property of a subtree node holding its blob's address:
    /// `fdt` in `kho-v1`, `preserved-data` from `kho-v2` on.
    public let subtreeProperty: String
    /// How the preserved-memory map is laid out.
    public let memoryMap: MemoryMapFormat

    /// Creates a description.
    public init(compatible: String, subtreeBlobSize: Bool, subtreeProperty: String = "preserved-data",
                memoryMap: MemoryMapFormat = .radixTree) {
        self.compatible = compatible
        self.subtreeBlobSize = subtreeBlobSize
        self.subtreeProperty = subtreeProperty
        self.memoryMap = memoryMap
    }
}

/// The layout of KHO's preserved-memory map.
public enum MemoryMapFormat: Hashable, Sendable {
    /// `kho-v1` (v6.19, v7.0): a linked list of `khoser_mem_chunk` pages of
    /// per-order bitmaps, built by `kho_finalize` (0 until then).
    case chunkedBitmaps
    /// `kho-v2` on: the radix tree, its nodes allocated as blocks are preserved.
    case radixTree
}

/// How LUO's state is carried.
public struct LUOFormat: Hashable, Sendable {
    /// The LUO blob's compatible (`luo-v1`: an FDT).
    public let compatible: String
    /// Whether the blob is an FDT (`luo-v1`) or a packed struct (`luo-v5`).
    public let isFDT: Bool
    /// The session node's compatible (`luo-session-v2`).
    public let sessionCompatible: String
    /// The FLB node's compatible (`luo-flb-v1`), `nil` when there is none.
    public let flbCompatible: String?

    /// Creates a description.
    public init(compatible: String, isFDT: Bool, sessionCompatible: String, flbCompatible: String?) {
        self.compatible = compatible
        self.isFDT = isFDT
        self.sessionCompatible = sessionCompatible
        self.flbCompatible = flbCompatible
    }
}

/// The memfd file handler's serialized state (`include/linux/kho/abi/memfd.h`).
public struct MemfdFormat: Hashable, Sendable {
    /// The handler's compatible: files with it carry a `memfd_luo_ser`.
    public let compatible: String
    /// Bytes of `struct memfd_luo_ser` (40 for `memfd-v1`, 48 for `memfd-v2`).
    public let serSize: Int
    /// Whether `memfd_luo_ser` carries the file's seals (and a `flags` word).
    public let carriesSeals: Bool
    /// The seals the handler accepts (`MEMFD_LUO_ALL_SEALS`), 0 when none are carried.
    public let supportedSeals: UInt32

    /// Creates a description.
    public init(compatible: String, serSize: Int, carriesSeals: Bool, supportedSeals: UInt32) {
        self.compatible = compatible
        self.serSize = serSize
        self.carriesSeals = carriesSeals
        self.supportedSeals = supportedSeals
    }
}

/// The `kexec-metadata` subtree (`include/linux/kho/abi/kexec_metadata.h`).
public struct KexecMetadataFormat: Hashable, Sendable {
    /// The subtree's node name (`KHO_METADATA_NODE_NAME`).
    public let nodeName: String
    /// `KHO_KEXEC_METADATA_VERSION`.
    public let version: UInt32
    /// `sizeof(struct kho_kexec_metadata)`: the smallest `blob-size` the
    /// incoming kernel uses.
    public let size: Int
    /// Bytes of `previous_release` (`__NEW_UTS_LEN + 1`).
    public let releaseFieldLength: Int

    /// Creates a description.
    public init(nodeName: String, version: UInt32, size: Int, releaseFieldLength: Int) {
        self.nodeName = nodeName
        self.version = version
        self.size = size
        self.releaseFieldLength = releaseFieldLength
    }
}

/// How much one image of a generation can hold.
public struct GenerationLimits: Hashable, Sendable {
    /// Sessions (`LUO_SESSION_MAX`).
    public let maxSessions: Int
    /// Files per session (`LUO_FILE_MAX`).
    public let maxFilesPerSession: Int
    /// FLB entries (`LUO_FLB_MAX`).
    public let maxFLBs: Int
    /// Pages of the session block (`LUO_SESSION_PGCNT`).
    public let sessionBlockPages: Int
    /// Pages of each session's file array (`LUO_FILE_PGCNT`).
    public let fileArrayPages: Int
    /// Pages of the FLB block (`LUO_FLB_PGCNT`).
    public let flbBlockPages: Int

    /// Creates limits.
    public init(maxSessions: Int, maxFilesPerSession: Int, maxFLBs: Int,
                sessionBlockPages: Int, fileArrayPages: Int, flbBlockPages: Int) {
        self.maxSessions = maxSessions
        self.maxFilesPerSession = maxFilesPerSession
        self.maxFLBs = maxFLBs
        self.sessionBlockPages = sessionBlockPages
        self.fileArrayPages = fileArrayPages
        self.flbBlockPages = flbBlockPages
    }
}
