/// A seam for tests and tools that check how often a command opens its
/// input: every path ``SystemPackage/FileDescriptor/opening(_:_:options:permissions:)``
/// opens in this task is handed to ``observer`` first.
public enum OpenObserver {
    /// Called with each path this task opens, before it is opened. Bound
    /// with `OpenObserver.$observer.withValue(…) { … }`; `nil` (no one
    /// listening) by default, which costs one check per open.
    @TaskLocal public static var observer: (@Sendable (FilePath) -> Void)?
}
