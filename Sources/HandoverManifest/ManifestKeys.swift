/// The manifest's key names, in the order the renderer writes them.
public enum ManifestKeys {
    /// Top level: the kernel release (`"7.1"`) or generation name
    /// (`"kho-v2+luo-v1+memfd-v1"`) the handover is written for; absent
    /// means the newest supported generation.
    public static let kernel = "kernel"
    /// Top level: the `kexec-metadata` subtree (generations that have one).
    public static let kexecMetadata = "kexec_metadata"
    /// kexec-metadata: the outgoing kernel's release string.
    public static let previousRelease = "previous_release"
    /// kexec-metadata: the kexec count.
    public static let kexecCount = "kexec_count"
    /// Memfd section: the seals (`memfd-v2` on; 0 when absent).
    public static let seals = "seals"
    /// Top level: the LUO FDT's `liveupdate-number`.
    public static let liveupdateNumber = "liveupdate_number"
    /// Top level: the list of sessions.
    public static let sessions = "sessions"
    /// Top level: the list of FLB entries.
    public static let flb = "flb"
    /// Session and FLB entry: the name (for a session, when its bytes are
    /// UTF-8).
    public static let name = "name"
    /// Session: the name's bytes in hex, two digits per byte
    /// (`"766d30ff"`), for a name that is not UTF-8 (or holds U+FEFF, which
    /// YAML drops); a session
    /// has exactly one of `name` and `name_hex`.
    public static let nameHex = "name_hex"
    /// Session: the list of files.
    public static let files = "files"
    /// File: the user's token.
    public static let token = "token"
    /// File: the handler's compatible string.
    public static let compatible = "compatible"
    /// File and FLB entry: the raw `u64`.
    public static let data = "data"
    /// File: the `memfd-v1` handler section.
    public static let memfd = "memfd"
    /// File: bytes preserved in pages of their own.
    public static let payloadBase64 = "payload_base64"
    /// File: a file holding the payload (instead of `payload_base64`),
    /// relative to the manifest's directory.
    public static let payloadFile = "payload_file"
    /// Memfd section: the file size.
    public static let size = "size"
    /// Memfd section: the file position.
    public static let position = "pos"
    /// Memfd section: the file contents.
    public static let contentsBase64 = "contents_base64"
    /// Memfd section: a file holding the contents (instead of
    /// `contents_base64`), relative to the manifest's directory.
    public static let contentsFile = "contents_file"
    /// FLB entry: the number of dependent files.
    public static let count = "count"

    /// The compatible string of the pre-release generation's memfd file
    /// handler; a manifest's memfd handler is its generation's
    /// (`KernelGeneration.memfd.compatible`).
    public static let memfdCompatible = "memfd-v1"
}
