import HandoverModel

/// A session rebuilt from the incoming image. Userspace takes it with
/// ``LiveUpdateOrchestrator/retrieveSession(named:)``, retrieves its files
/// by token in any order, and finishes it.
///
/// It is separate from the outgoing sessions: a new outgoing session may
/// have the same name.
public final class IncomingSession {
    /// The session's name as the image holds it.
    public let name: SessionName
    /// The orchestrator (the kernel) the session belongs to; `nil` once it
    /// is gone. A handler reaches it here, or as
    /// ``FileOperationArguments/orchestrator``.
    public internal(set) weak var orchestrator: LiveUpdateOrchestrator?
    /// The files in preservation order, found by token in O(1).
    private(set) var files: TokenOrdered<IncomingFile>
    var isOpen = true
    var retrievedByUser = false
    /// Closed with files that could not be finished.
    var isLeaked = false

    init(name: SessionName, files: [IncomingFile], orchestrator: LiveUpdateOrchestrator) {
        self.name = name
        self.files = TokenOrdered(files)
        self.orchestrator = orchestrator
    }

    /// Removes the last file (finish runs last-to-first).
    func removeLast() {
        files.removeLast()
    }

    /// The tokens of the files not yet finished, in preservation order.
    public var tokens: [UInt64] { files.map(\.token) }

    /// The compatible string of the file with `token`, if it is in the session.
    public func compatible(token: UInt64) -> String? {
        files[token: token]?.compatible
    }

    /// Whether userspace retrieved the session.
    public var isRetrieved: Bool { retrievedByUser }

    /// Whether the session is still open.
    public var isClosed: Bool { !isOpen }

    /// Retrieves the file with `token` through its handler (`RETRIEVE_FD`),
    /// and records that userspace retrieved it explicitly. Idempotent: a
    /// second call returns the same object without calling the handler.
    public func retrieveFile(token: UInt64) throws(LiveUpdateError) -> any LiveFile {
        try live().retrieve(token: token, in: self, byUser: true)
    }

    /// Whether the handler's retrieve has succeeded for `token`.
    public func isFileRetrieved(token: UInt64) throws(LiveUpdateError) -> Bool {
        guard let file = files[token: token] else {
            throw .unknownToken(session: name, token: token)
        }
        return file.liveFile != nil
    }

    /// Whether userspace explicitly retrieved `token` (a handler's
    /// can-finish uses this to check its dependencies).
    public func wasRetrievedByUser(token: UInt64) throws(LiveUpdateError) -> Bool {
        guard let file = files[token: token] else {
            throw .unknownToken(session: name, token: token)
        }
        return file.retrievedByUser
    }

    /// Finishes the session (`FINISH`): can-finish on every file first; if
    /// one refuses, nothing is finished and the error names it; otherwise
    /// finish on every file last-to-first. The session stays open, empty.
    public func finish() throws(LiveUpdateError) {
        try live().finish(self)
    }

    /// Closes the session (closing the session fd, `luo_session_release`):
    /// finishes it, then removes it. Closing always closes: if finishing is
    /// refused (a can-finish said no) the handle is dead anyway and the
    /// unfinished files are leaked with the session, which stays listed but
    /// can never be retrieved again; the outcome says so. Incoming files
    /// never take the unpreserve path. Throws only for a session already
    /// closed (`-EBADF`) or a call from inside a callback.
    @discardableResult
    public func close() throws(LiveUpdateError) -> IncomingCloseOutcome {
        try live().close(self)
    }

    private func live() throws(LiveUpdateError) -> LiveUpdateOrchestrator {
        guard isOpen, let orchestrator else { throw .sessionClosed(name: name) }
        return orchestrator
    }
}
