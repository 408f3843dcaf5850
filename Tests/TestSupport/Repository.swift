import Foundation

/// Paths inside this repository, for tests that read its fixtures, corpora,
/// examples and tools: found from this file's own path, whatever the
/// working directory.
public enum Repository {
    /// The repository's root directory.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The absolute path of `relative` (such as `"Fixtures/kernel-captures/7.1"`).
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The absolute URL of `relative`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// `Fixtures/`: the golden fixtures and the real-kernel captures.
    public static var fixtures: URL { url("Fixtures") }

    /// `Tests/Corpus/TARGET`: a fuzz target's regression corpus.
    public static func corpus(_ target: String) -> URL { url("Tests/Corpus/\(target)") }

    /// `Examples/handover.json`, the bundled example manifest.
    public static var exampleManifest: String { path("Examples/handover.json") }
}
