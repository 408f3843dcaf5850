import HandoverModel
#if canImport(Glibc)
import Glibc
#endif

/// A handler that carries the state of any compatible unchanged: a
/// ``RawFile``'s `.data(u64)`, `.payload` block or `.memfd` state goes into
/// the image as it is, and comes back as a ``RawFile`` with the same
/// content. Registering one per compatible an image holds lets the image be
/// loaded, retrieved and handed over again without loss, whatever handler
/// wrote it.
///
/// A payload reads back zero-padded to its power-of-two block (the image
/// reader's rule), so it re-encodes to the same block.
public final class RawDataHandler: FileHandler {
    /// The compatible this handler is registered under.
    public let compatible: String

    /// Creates a handler for `compatible`.
    public init(compatible: String) {
        self.compatible = compatible
    }

    /// Accepts ``RawFile`` objects of the same compatible.
    public func canPreserve(_ args: FileOperationArguments) -> Bool {
        (args.file as? RawFile)?.compatible == compatible
    }

    /// Carries the file's content.
    public func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        args.serialized = try content(of: args, "preserve")
    }

    /// Nothing to release.
    public func unpreserve(_ args: FileOperationArguments) {}

    /// Takes the content again, so a change before reboot is handed over.
    public func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        args.serialized = try content(of: args, "freeze")
    }

    /// Gives back a ``RawFile`` with the handed-over content.
    public func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        args.file = RawFile(compatible: compatible, content: args.serialized)
    }

    /// Nothing to release.
    public func finish(_ args: FileOperationArguments) {}

    private func content(of args: FileOperationArguments, _ operation: String) throws(LiveUpdateError) -> FileContent {
        guard let file = args.file as? RawFile else {
            throw args.failure(operation, errno: EINVAL, reason: "not a RawFile")
        }
        return file.content
    }
}
