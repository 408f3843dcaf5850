import HandoverModel
import SystemSupport

/// Manifests: the human-written description of a handover, in JSON or YAML,
/// and its canonical JSON rendering.
///
/// ```json
/// {
///   "kernel": "7.1",
///   "liveupdate_number": 1,
///   "sessions": [
///     {
///       "name": "vm0",
///       "files": [
///         { "token": 1, "compatible": "memfd-v2",
///           "memfd": { "size": 5, "pos": 0, "seals": "0x1", "contents_base64": "aGVsbG8=" } },
///         { "token": 2, "compatible": "vfio-v1", "data": "0xdeadbeef" },
///         { "token": 3, "compatible": "blob-v1", "payload_base64": "AAEC" }
///       ]
///     }
///   ],
///   "flb": [ { "name": "iommu-core-v1", "data": "0x1234", "count": 2 } ],
///   "kexec_metadata": { "previous_release": "7.1.8", "kexec_count": 1 }
/// }
/// ```
///
/// Keys are exactly those above. `kernel` names the generation: a kernel
/// release (`"7.3"`, `"7.2"`, `"7.1"`; `"6.19"`, `"7.0"` are refused as not
/// yet supported) or a generation name (`"kho-v2+luo-v1+memfd-v1"`, the
/// pre-release generation no released kernel wrote); without it a manifest
/// means the newest supported generation (v7.3). The memfd handler is the
/// generation's (`memfd-v2` from v7.1, `memfd-v1` for the pre-release one).
/// `kexec_metadata` belongs to generations with that subtree (v7.1 on) and
/// may be left out (the generation's default: previous release `7.3.4` or
/// `7.1.8`, count 1). `seals` (a u32, a number or a `"0x…"` string) may be left out
/// (0); it must be 0 with `memfd-v1`. `flb` may be left out. Integers are read
/// from their text, so every `u64` is exact. `data` may also be a bare
/// integer. A file holds exactly one of `data`, `memfd` (only for
/// `memfd-v1`, which requires it), `payload_base64` and `payload_file`. A
/// memfd section holds `contents_base64` or `contents_file`: a file of
/// exactly `size` bytes, named relative to the manifest's directory, whose
/// bytes are not read into memory (the writer sends them to the image
/// inside the kernel), so a memfd of gigabytes can be encoded; a
/// `payload_file` is read (64 MiB at most). Base64 may be
/// wrapped over several lines (spaces and line breaks are ignored); padding
/// is strict. YAML aliases are read as the value they name, but a parse may
/// visit at most twice as many nodes and scalar bytes as the text holds, so
/// aliases cannot make it repeat a subtree without bound.
public enum HandoverManifest {
    /// Parses manifest text in `format`.
    /// `contents_file` and `payload_file` values are relative to
    /// `directory` (the current directory unless told).
    public static func parse(_ text: String, format: ManifestFormat = .json,
                             defaultGeneration: KernelGeneration = .newest,
                             relativeTo directory: String = ".") throws(ManifestError) -> HandoverState {
        try ManifestParser(format: format, defaultGeneration: defaultGeneration, directory: directory).parse(text)
    }

    /// Reads and parses the manifest at `path`, in the format its name
    /// implies (see ``ManifestFormat/init(path:)``); its `contents_file`
    /// and `payload_file` values are relative to its directory.
    public static func load(path: String, defaultGeneration: KernelGeneration = .newest) throws(ManifestError) -> HandoverState {
        let bytes = try ManifestFile.read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(file: path, reason: "not UTF-8 text")
        }
        let directory = FilePath(path).removingLastComponent().string
        return try parse(text, format: ManifestFormat(path: path), defaultGeneration: defaultGeneration,
                         relativeTo: directory.isEmpty ? "." : directory)
    }

    /// The canonical JSON for `state`: parsing it gives `state` back, and
    /// equal states give identical text.
    public static func render(_ state: HandoverState) -> String {
        ManifestRenderer.render(state)
    }

    /// The canonical JSON for `state`, where `contentsFile(session, file)`
    /// (indices into `state.sessions` and that session's files) may name a
    /// file that holds a memfd's contents or a payload: the manifest then
    /// says `contents_file` / `payload_file` with that name instead of the
    /// base64 bytes. The caller writes those files.
    public static func render(_ state: HandoverState, contentsFile: (_ session: Int, _ file: Int) -> String?) -> String {
        ManifestRenderer.render(state, contentsFile: contentsFile)
    }

    /// `text` as a JSON string literal, escaped as the manifest renderer
    /// escapes names: for tools that print JSON beside manifests.
    public static func jsonStringLiteral(_ text: String) -> String {
        var output = ""
        ManifestRenderer.writeString(text, into: &output)
        return output
    }
}
