import HandoverModel

/// A session of the running kernel (`LIVEUPDATE_IOCTL_CREATE_SESSION`): a
/// named group of files to hand over, in preservation order.
///
/// Create one with ``LiveUpdateOrchestrator/createSession(named:)``. Closing
/// it unpreserves its files last-to-first; otherwise ``LiveUpdateOrchestrator/reboot()``
/// hands it over.
public final class OutgoingSession {
    /// The session's name (1 to 63 bytes but NUL, unique among outgoing sessions).
    public let name: SessionName
    /// The orchestrator (the kernel) the session belongs to; `nil` once it
    /// is gone. A handler reaches it here, or as
    /// ``FileOperationArguments/orchestrator``.
    public internal(set) weak var orchestrator: LiveUpdateOrchestrator?
    /// The preserved files in preservation order, found by token in O(1).
    private(set) var files = TokenOrdered<OutgoingFile>()
    var isOpen = true

    init(name: SessionName, orchestrator: LiveUpdateOrchestrator) {
        self.name = name
        self.orchestrator = orchestrator
    }

    /// The tokens of the preserved files, in preservation order.
    public var tokens: [UInt64] { files.map(\.token) }

    /// Whether the session is still open.
    public var isClosed: Bool { !isOpen }

    /// Preserves `file` under the caller's `token` (`PRESERVE_FD`): the
    /// token must be new in this session, the session must hold fewer than
    /// 128 files, a registered handler must accept the file, and the file
    /// must not be held elsewhere.
    public func preserve(_ file: any LiveFile, token: UInt64) throws(LiveUpdateError) {
        try live().preserve(file, token: token, in: self)
    }

    /// **Extension** (the kernel has no per-file unpreserve since the v4
    /// review dropped `UNPRESERVE_FD`: files leave only when the session
    /// closes, last to first): unpreserves the *last* preserved file, which
    /// must have `token`, as closing would unpreserve it first. Its
    /// handler's unpreserve runs and its FLBs drop a reference. Any other
    /// file is ``LiveUpdateError/unpreserveOutOfOrder(session:token:lastToken:)``
    /// (`-EINVAL`); a token not in the session is `-ENOENT`.
    public func unpreserve(token: UInt64) throws(LiveUpdateError) {
        try live().unpreserve(token: token, in: self)
    }

    /// Closes the session: unpreserves every file last-to-first and removes
    /// the session, whose name can then be used again.
    public func close() throws(LiveUpdateError) {
        try live().close(self)
    }

    /// The live file preserved under `token`, if any.
    public func file(token: UInt64) -> (any LiveFile)? {
        files[token: token]?.file
    }

    /// Adds a preserved file at the end; its token is new in the session.
    func append(_ file: OutgoingFile) {
        files.append(file)
    }

    /// Removes the file at `index`.
    func remove(at index: Int) {
        files.remove(at: index)
    }

    private func live() throws(LiveUpdateError) -> LiveUpdateOrchestrator {
        guard isOpen, let orchestrator else { throw .sessionClosed(name: name) }
        return orchestrator
    }
}
