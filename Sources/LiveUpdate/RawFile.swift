import HandoverModel

/// A file whose handed-over state is carried as it is: the `u64` data, or
/// a payload block, or memfd state, under a given compatible. The
/// ``RawDataHandler`` for that compatible preserves and retrieves it.
public final class RawFile: LiveFile {
    /// The compatible of the handler that wrote (or will read) the state.
    public let compatible: String
    /// The state, carried unchanged.
    public var content: FileContent

    /// Creates a raw file.
    public init(compatible: String, content: FileContent) {
        self.compatible = compatible
        self.content = content
    }
}
