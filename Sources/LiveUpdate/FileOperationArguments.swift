import HandoverModel
#if canImport(Glibc)
import Glibc
#endif

/// What every file-handler callback receives (`struct
/// liveupdate_file_op_args`): the handler, the session, the file, its
/// serialized state, the handler's private state and whether it was
/// retrieved.
public struct FileOperationArguments {
    /// The handler being called.
    public let handler: any FileHandler
    /// The session the file belongs to.
    public let session: SessionHandle
    /// The user's token for the file.
    public let token: UInt64
    /// The live file. For retrieve: `nil` on entry, and the callback sets it
    /// to the file it rebuilt; for every other callback, the file.
    public var file: (any LiveFile)?
    /// What the handler preserved, as it goes into the image. `.data(u64)`
    /// is the kernel's `serialized_data` verbatim; `.payload` and `.memfd`
    /// are laid out by the image writer, which assigns the physical address
    /// that becomes the `u64`. Preserve and freeze set it; retrieve,
    /// can-finish and finish get what the image holds.
    public var serialized: FileContent
    /// On the incoming side, the `data` u64 exactly as the file array holds
    /// it (for `.payload` and `.memfd` the physical address the previous
    /// kernel chose); `nil` on the outgoing side.
    public let dataInImage: UInt64?
    /// Runtime state that is not handed over, one per file: set by preserve
    /// (or retrieve) and handed back to every later callback for the file.
    public var privateState: Any?
    /// For can-finish and finish: whether the handler's retrieve succeeded
    /// for this file, so that a live object exists.
    public let retrieved: Bool
    /// For can-finish and finish: whether userspace explicitly retrieved the
    /// file (``IncomingSession/retrieveFile(token:)``), as opposed to a
    /// kernel-internal ``LiveUpdateOrchestrator/fileIncoming(_:token:)``.
    public let retrievedByUser: Bool

    /// Arguments as the orchestrator builds them; public so that a handler
    /// can be unit-tested by calling its callbacks directly. `session` comes
    /// from ``LiveUpdateOrchestrator/createSession(named:)`` or, for the
    /// incoming callbacks, ``LiveUpdateOrchestrator/retrieveSession(named:)``
    /// after ``LiveUpdateOrchestrator/loadIncoming(_:)-(HandoverState)``.
    public init(handler: any FileHandler, session: SessionHandle, token: UInt64, file: (any LiveFile)?,
         serialized: FileContent, dataInImage: UInt64? = nil, privateState: Any? = nil,
         retrieved: Bool = false, retrievedByUser: Bool = false) {
        self.handler = handler
        self.session = session
        self.token = token
        self.file = file
        self.serialized = serialized
        self.dataInImage = dataInImage
        self.privateState = privateState
        self.retrieved = retrieved
        self.retrievedByUser = retrievedByUser
    }

    /// The orchestrator running the callback (the session's), through which
    /// a handler looks up its dependencies; `nil` only if it is gone.
    public var orchestrator: LiveUpdateOrchestrator? { session.orchestrator }

    /// The token under which `dependency` is preserved in this (outgoing)
    /// session: ``LiveUpdateOrchestrator/tokenOutgoing(_:_:)`` from a
    /// freeze callback. From an incoming callback it is `-EINVAL`.
    public func tokenOutgoing(of dependency: any LiveFile) throws(LiveUpdateError) -> UInt64 {
        guard case let .outgoing(outgoing) = session else {
            throw .dependencyLookupOutsideFreeze(session: session.name, operation: "an incoming callback")
        }
        guard let orchestrator = outgoing.orchestrator else { throw .sessionClosed(name: outgoing.name) }
        return try orchestrator.tokenOutgoing(outgoing, dependency)
    }

    /// The file `token` of this (incoming) session, retrieved for in-kernel
    /// use: ``LiveUpdateOrchestrator/fileIncoming(_:token:)``. A circular
    /// dependency is ``LiveUpdateError/retrieveCycle(session:token:requestedBySession:requestedBy:)``
    /// (`-EDEADLK`). From an outgoing callback it is `-EINVAL`.
    public func fileIncoming(token: UInt64) throws(LiveUpdateError) -> any LiveFile {
        guard case let .incoming(incoming) = session else {
            throw .handlerFailed(session: session.name, token: token, compatible: handler.compatible,
                                 operation: "fileIncoming", errno: EINVAL,
                                 reason: "an outgoing session has no incoming files")
        }
        guard let orchestrator = incoming.orchestrator else { throw .sessionClosed(name: incoming.name) }
        return try orchestrator.fileIncoming(incoming, token: token)
    }

    /// The `u64` the file array carries for this file: the value of a
    /// `.data` content, else the value read from the image, else 0 (the
    /// writer assigns it at reboot).
    public var serializedData: UInt64 {
        if case let .data(value) = serialized { return value }
        return dataInImage ?? 0
    }

    /// A ``LiveUpdateError/handlerFailed(session:token:compatible:operation:errno:reason:)``
    /// naming this file, for a handler to throw.
    public func failure(_ operation: String, errno: Int32, reason: String) -> LiveUpdateError {
        .handlerFailed(session: session.name, token: token, compatible: handler.compatible,
                       operation: operation, errno: errno, reason: reason)
    }
}
