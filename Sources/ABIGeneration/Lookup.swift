/// Finding a generation by release or by name.
extension KernelGeneration {
    /// Every generation this project writes and reads, newest first.
    public static let supported: [KernelGeneration] = [.linux7_3, .linux7_1, .linux7_0, .linux6_19, .khoV2Prerelease]

    /// The newest supported generation: what a model or manifest that does
    /// not name one means.
    public static let newest: KernelGeneration = .linux7_3

    /// Released kernels whose generation is known but not implemented yet,
    /// with what sets that generation apart (spec: kernel-generations.md).
    public static let knownUnsupportedReleases: [(release: String, generation: String)] = []

    /// The generation the kernel release `release` writes (`"7.1"`; a
    /// longer release such as `"7.1.8"` or `"7.1.8-amd64"` means its
    /// major.minor).
    public static func forRelease(_ release: String) throws(GenerationLookupError) -> KernelGeneration {
        let key = majorMinor(release)
        if let generation = supported.first(where: { $0.releases.contains(key) }) { return generation }
        if let known = knownUnsupportedReleases.first(where: { $0.release == key }) {
            throw .notYetSupported(release: release, generation: known.generation)
        }
        throw .unknownRelease(release)
    }

    /// The generation called `name`, or the one release `name` writes.
    public static func lookup(_ name: String) throws(GenerationLookupError) -> KernelGeneration {
        if let generation = supported.first(where: { $0.name == name }) { return generation }
        return try forRelease(name)
    }

    /// `"7.1"` of `"7.1"`, `"7.1.8"` or `"7.1.8-amd64"`; the text unchanged
    /// when it does not start with two dot-separated numbers.
    static func majorMinor(_ release: String) -> String {
        let parts = release.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit) else { return release }
        let minor = parts[1].prefix { $0.isASCIIDigit }
        guard !minor.isEmpty, parts.count > 2 || minor.count == parts[1].count else { return release }
        return "\(parts[0]).\(minor)"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// Why a release or generation name does not give a supported generation.
public enum GenerationLookupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A released kernel whose generation is known but not implemented yet.
    case notYetSupported(release: String, generation: String)
    /// Neither a known release nor a generation name.
    case unknownRelease(String)

    /// One line naming the release and what is supported.
    public var description: String {
        let supported = KernelGeneration.supported
            .map { $0.releases.isEmpty ? $0.name : $0.releases.joined(separator: ", ") }.joined(separator: ", ")
        switch self {
        case let .notYetSupported(release, generation):
            return "kernel \(release) writes generation \(generation), which is not yet supported (supported: \(supported))"
        case let .unknownRelease(release):
            return "\"\(release)\" is neither a kernel release nor a handover generation this tool knows (supported: \(supported))"
        }
    }
}
