import HandoverModel

/// Manifests: the human-written description of a handover, in JSON or YAML,
/// and its canonical JSON rendering.
///
/// ```json
/// {
///   "liveupdate_number": 1,
///   "sessions": [
///     {
///       "name": "vm0",
///       "files": [
///         { "token": 1, "compatible": "memfd-v1",
///           "memfd": { "size": 5, "pos": 0, "contents_base64": "aGVsbG8=" } },
///         { "token": 2, "compatible": "vfio-v1", "data": "0xdeadbeef" },
///         { "token": 3, "compatible": "blob-v1", "payload_base64": "AAEC" }
///       ]
///     }
///   ],
///   "flb": [ { "name": "iommu-core-v1", "data": "0x1234", "count": 2 } ]
/// }
/// ```
///
/// Keys are exactly those above; `flb` may be left out. Integers are read
/// from their text, so every `u64` is exact. `data` may also be a bare
/// integer. A file holds exactly one of `data`, `memfd` (only for
/// `memfd-v1`, which requires it) and `payload_base64`. Base64 may be
/// wrapped over several lines (spaces and line breaks are ignored); padding
/// is strict. YAML aliases are read as the value they name, but a parse may
/// visit at most twice as many nodes and scalar bytes as the text holds, so
/// aliases cannot make it repeat a subtree without bound.
public enum HandoverManifest {
    /// Parses manifest text in `format`.
    public static func parse(_ text: String, format: ManifestFormat = .json) throws(ManifestError) -> HandoverState {
        try ManifestParser(format: format).parse(text)
    }

    /// Reads and parses the manifest at `path`, in the format its name
    /// implies (see ``ManifestFormat/init(path:)``).
    public static func load(path: String) throws(ManifestError) -> HandoverState {
        let bytes = try ManifestFile.read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(file: path, reason: "not UTF-8 text")
        }
        return try parse(text, format: ManifestFormat(path: path))
    }

    /// The canonical JSON for `state`: parsing it gives `state` back, and
    /// equal states give identical text.
    public static func render(_ state: HandoverState) -> String {
        ManifestRenderer.render(state)
    }

    /// `text` as a JSON string literal, escaped as the manifest renderer
    /// escapes names: for tools that print JSON beside manifests.
    public static func jsonStringLiteral(_ text: String) -> String {
        var output = ""
        ManifestRenderer.writeString(text, into: &output)
        return output
    }
}
