/// A handler for one kind of live file (`struct liveupdate_file_handler`
/// with its `liveupdate_file_ops`), registered under its ``compatible``.
///
/// The orchestrator calls it with the session mutex notionally held: a
/// callback must not create, preserve, unpreserve, close, finish or reboot
/// (``LiveUpdateError/reentrantCall(operation:insideCallback:)``), but may
/// look up dependencies: ``LiveUpdateOrchestrator/tokenOutgoing(_:_:)`` from
/// ``freeze(_:)`` only, ``LiveUpdateOrchestrator/fileIncoming(_:token:)``
/// from any incoming callback.
///
/// Ordering between files is never enforced at preserve time: a handler
/// whose file depends on another looks the dependency's token up in freeze,
/// when every file of the session is preserved; on the incoming side it
/// checks its dependencies in ``canFinish(_:)``.
public protocol FileHandler: AnyObject {
    /// The compatible string written for each file (1 to 47 bytes): selects
    /// this handler in the next kernel.
    var compatible: String { get }
    /// Whether this handler can preserve `args.file` (lightweight; no side
    /// effects). The first registered handler that says yes preserves it.
    func canPreserve(_ args: FileOperationArguments) -> Bool
    /// Does the heavy serialization: sets `args.serialized` (and optionally
    /// `args.privateState`). Throwing refuses the preservation.
    func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError)
    /// Undoes preserve: the file is no longer handed over.
    func unpreserve(_ args: FileOperationArguments)
    /// Last step before the handover; may update `args.serialized`.
    /// Throwing aborts the reboot (the files frozen so far are unfrozen).
    func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError)
    /// Undoes freeze when the reboot is aborted.
    func unfreeze(_ args: FileOperationArguments)
    /// Rebuilds the live file from `args.serialized` and sets `args.file`.
    func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError)
    /// Whether the file may be finished now (for example: its dependencies
    /// were retrieved). One `false` aborts the whole finish.
    func canFinish(_ args: FileOperationArguments) -> Bool
    /// Releases what the handover still holds for the file; `args.retrieved`
    /// says whether a live object was ever rebuilt.
    func finish(_ args: FileOperationArguments)
}

extension FileHandler {
    /// By default a file needs nothing at freeze.
    public func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {}
    /// By default there is nothing to undo.
    public func unfreeze(_ args: FileOperationArguments) {}
    /// By default every file can finish.
    public func canFinish(_ args: FileOperationArguments) -> Bool { true }
}
