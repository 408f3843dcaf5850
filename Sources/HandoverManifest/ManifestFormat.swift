/// The two text forms a manifest comes in. Both are read through one YAML
/// 1.2 parser (JSON is a subset of it); the format decides which bare
/// scalars count as numbers, so a `.json` file must be strict JSON there.
public enum ManifestFormat: String, Equatable, Sendable {
    /// JSON (RFC 8259): bare scalars are JSON numbers, `true`, `false` or `null`.
    case json
    /// YAML 1.2 with the core schema: bare scalars may also be `0x…` / `0o…`
    /// integers and unquoted strings.
    case yaml

    /// The format a file name implies: YAML for `.yaml` and `.yml`
    /// (any case), JSON otherwise.
    public init(path: String) {
        let lower = path.lowercased()
        self = lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") ? .yaml : .json
    }
}
