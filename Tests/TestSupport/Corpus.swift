import Foundation

/// The fuzz targets' regression corpora (`Tests/Corpus/TARGET`), replayed
/// by `swift test`: each input is a file; an input added for a finding has
/// `NAME.expected` beside it, the error it must fail with.
public enum Corpus {
    /// The names of `target`'s inputs, sorted (no `.expected` files, no
    /// hidden files); empty when the folder is missing.
    public static func inputs(_ target: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Repository.corpus(target).path)) ?? [])
            .filter { !$0.hasSuffix(".expected") && !$0.hasPrefix(".") }.sorted()
    }

    /// An input's bytes, and the error it must fail with when it was added
    /// for a finding (its `.expected` file, without the final newline).
    public static func load(_ target: String, _ name: String) throws -> (bytes: [UInt8], expected: String?) {
        let directory = Repository.corpus(target)
        let bytes = try readBytes(directory.appendingPathComponent(name).path)
        let expected = (try? String(contentsOf: directory.appendingPathComponent(name + ".expected"), encoding: .utf8))?
            .trimmingCharacters(in: .newlines)
        return (bytes, expected)
    }
}
