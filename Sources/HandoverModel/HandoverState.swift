@_exported import ABIGeneration

/// Everything one kernel hands to the next through LUO: the plain model the
/// image writer takes and the image reader gives back.
///
/// It holds values only; physical addresses are not part of it (the writer
/// assigns them, see `docs/FORMAT.md`), so equal states always produce equal
/// images.
public struct HandoverState: Equatable, Sendable {
    /// The ABI generation the state is (or was) written in: it decides
    /// every format of the image (see ``KernelGeneration``).
    public var generation: KernelGeneration
    /// The LUO FDT's `liveupdate-number` as written: the incoming kernel's
    /// number plus one (1 after a cold boot).
    public var liveupdateNumber: UInt64
    /// The outgoing sessions, in creation order.
    public var sessions: [SessionRecord]
    /// The File-Lifecycle-Bound global objects with a non-zero file count,
    /// in registration order.
    public var flbs: [FLBRecord]
    /// The `kexec-metadata` subtree: present exactly when the generation has
    /// one (the writer refuses a state where that does not hold).
    public var kexecMetadata: KexecMetadata?

    /// Creates a state in `generation` (the newest supported one unless
    /// told). `kexecMetadata` `nil` means the generation's default: for a
    /// generation with a `kexec-metadata` subtree, its default previous
    /// release and a kexec count of 1 (a cold boot), else none.
    public init(generation: KernelGeneration = .newest, liveupdateNumber: UInt64, sessions: [SessionRecord] = [],
                flbs: [FLBRecord] = [], kexecMetadata: KexecMetadata? = nil) {
        self.generation = generation
        self.liveupdateNumber = liveupdateNumber
        self.sessions = sessions
        self.flbs = flbs
        self.kexecMetadata = kexecMetadata ?? KexecMetadata.default(for: generation)
    }

    /// The number of files over all sessions.
    public var fileCount: Int { sessions.reduce(0) { $0 + $1.files.count } }
}

/// What the `kexec-metadata` subtree says (`struct kho_kexec_metadata`,
/// version 1): the outgoing kernel's release and how many kexec boots
/// preceded it. The version is the generation's; it is not a field here.
public struct KexecMetadata: Equatable, Sendable {
    /// The outgoing kernel's `uname -r`: at most 64 bytes, no NUL.
    public var previousRelease: String
    /// The kexec boots since the last cold boot, this one included (the
    /// incoming kernel's count plus one; 1 after a cold boot).
    public var kexecCount: UInt32

    /// Creates the metadata.
    public init(previousRelease: String, kexecCount: UInt32) {
        self.previousRelease = previousRelease
        self.kexecCount = kexecCount
    }

    /// The metadata a generation writes when the model does not say:
    /// `nil` for a generation without the subtree.
    public static func `default`(for generation: KernelGeneration) -> KexecMetadata? {
        guard generation.kexecMetadata != nil else { return nil }
        return KexecMetadata(previousRelease: generation.defaultPreviousRelease ?? generation.releases.first ?? "",
                             kexecCount: 1)
    }
}

/// A named group of preserved files (`luo_session_ser`).
public struct SessionRecord: Equatable, Sendable {
    /// The session's name: 1 to 63 bytes, none of them NUL, in no
    /// particular encoding.
    public var name: SessionName
    /// The session's files, in preservation order.
    public var files: [FileRecord]

    /// Creates a session.
    public init(name: SessionName, files: [FileRecord] = []) {
        self.name = name
        self.files = files
    }
}

/// One preserved file (`luo_file_ser`): the user's token, the handler's
/// compatible string and what the handler preserved.
public struct FileRecord: Equatable, Sendable {
    /// The token userspace chose when it preserved the file.
    public var token: UInt64
    /// The file handler's compatible string: 1 to 47 bytes.
    public var compatible: String
    /// What the handler preserved, which decides the `data` u64.
    public var content: FileContent

    /// Creates a file record.
    public init(token: UInt64, compatible: String, content: FileContent) {
        self.token = token
        self.compatible = compatible
        self.content = content
    }
}

/// What a file handler preserved for one file.
public enum FileContent: Equatable, Sendable {
    /// A handler-private `u64`, carried unchanged; no pages.
    case data(UInt64)
    /// Bytes preserved in one block of their own (`kho_alloc_preserve`);
    /// `data` is the block's physical address. The block is a power-of-two
    /// number of pages, so a payload reads back zero-padded to that size.
    case payload([UInt8])
    /// A memfd preserved the way the generation's memfd handler does
    /// (`memfd-v1`, `memfd-v2`); `data` is the physical address of its
    /// `memfd_luo_ser`. Only a file with that handler's compatible holds one.
    indirect case memfd(MemfdContents)
}

/// The state of a memfd as the kernel's memfd handler preserves it: size,
/// position, contents and (from `memfd-v2` on) seals. The file name is
/// never preserved; `memfd-v1` has no seals either (they must be 0 there).
public struct MemfdContents: Equatable, Sendable {
    /// The file's size in bytes (`i_size`).
    public var size: UInt64
    /// The file position (`f_pos`).
    public var position: UInt64
    /// The file's contents: exactly `size` bytes, held in memory or read
    /// from a file (the memfd itself, a file a manifest names, the image
    /// it was decoded from) only when the image is written or compared.
    public var source: ByteSource
    /// The file's seals (`F_GET_SEALS`), as `memfd-v2` carries them: a
    /// subset of SEAL (1), SHRINK (2), GROW (4), WRITE (8), FUTURE_WRITE
    /// (0x10), EXEC (0x20). A memfd made without `MFD_ALLOW_SEALING` has
    /// `F_SEAL_SEAL` (1); 0 is one made with it and never sealed.
    public var seals: UInt32

    /// The contents as one array, for small files: setting it holds the
    /// new bytes in memory. Reading a file-backed source reads it whole;
    /// if that fails the array is empty (shorter than `size`, which the
    /// writer refuses), so code handling large or file-backed contents
    /// uses ``source``.
    public var contents: [UInt8] {
        get { (try? source.bytes()) ?? [] }
        set { source = ByteSource(newValue) }
    }

    /// Creates memfd contents; `source.count` must equal `size` for the
    /// writer to accept it.
    public init(size: UInt64, position: UInt64, source: ByteSource, seals: UInt32 = 0) {
        self.size = size
        self.position = position
        self.source = source
        self.seals = seals
    }

    /// Creates memfd contents held in memory; `contents.count` must equal
    /// `size` for the writer to accept it.
    public init(size: UInt64, position: UInt64, contents: [UInt8], seals: UInt32 = 0) {
        self.init(size: size, position: position, source: ByteSource(contents), seals: seals)
    }

    /// Memfd contents whose size is the byte count.
    public init(contents: [UInt8], position: UInt64 = 0, seals: UInt32 = 0) {
        self.init(size: UInt64(contents.count), position: position, contents: contents, seals: seals)
    }
}

/// One File-Lifecycle-Bound global object (`luo_flb_ser`).
public struct FLBRecord: Equatable, Sendable {
    /// The FLB's compatible string: 1 to 47 bytes.
    public var name: String
    /// The FLB's private `u64`.
    public var data: UInt64
    /// How many preserved files depend on it (at least 1).
    public var count: UInt64

    /// Creates an FLB record.
    public init(name: String, data: UInt64, count: UInt64) {
        self.name = name
        self.data = data
        self.count = count
    }
}
