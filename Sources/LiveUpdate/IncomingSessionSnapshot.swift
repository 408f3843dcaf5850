import HandoverModel

/// A read-only copy of an incoming session as it is now
/// (``LiveUpdateOrchestrator/peekIncomingSession(named:)``): looking at it
/// changes nothing, in particular it does not retrieve the session.
public struct IncomingSessionSnapshot: Equatable, Sendable {
    /// One file of the session.
    public struct File: Equatable, Sendable {
        /// The user's token.
        public let token: UInt64
        /// The compatible of the handler that wrote it.
        public let compatible: String
        /// The handed-over state, as the image holds it.
        public let content: FileContent
        /// The `u64` the file array holds (0 for a state loaded without an image).
        public let dataInImage: UInt64
        /// Whether the handler's retrieve succeeded (a live object exists).
        public let isRetrieved: Bool
        /// Whether the handler's retrieve failed (the error is sticky).
        public let retrieveFailed: Bool
        /// Whether userspace retrieved it explicitly.
        public let isRetrievedByUser: Bool
    }

    /// The session's name.
    public let name: SessionName
    /// Whether userspace took it with `retrieveSession(named:)`.
    public let isRetrieved: Bool
    /// Whether it was closed with files that could not be finished: they
    /// are leaked, and the session can never be retrieved again.
    public let isLeaked: Bool
    /// The files not yet finished, in preservation order.
    public let files: [File]

    init(_ session: IncomingSession) {
        name = session.name
        isRetrieved = session.retrievedByUser
        isLeaked = session.isLeaked
        files = session.files.map { file in
            var failed = false
            if case .failed = file.status { failed = true }
            return File(token: file.token, compatible: file.compatible, content: file.serialized,
                        dataInImage: file.dataInImage, isRetrieved: file.liveFile != nil,
                        retrieveFailed: failed, isRetrievedByUser: file.retrievedByUser)
        }
    }
}

/// What closing an incoming session did (``IncomingSession/close()``).
public enum IncomingCloseOutcome: Equatable, Sendable {
    /// Every file was finished and the session is gone.
    case finished
    /// Finish could not complete; the session is closed anyway, as closing
    /// the kernel's session fd always is. `error` says why (a refusing
    /// can-finish, or an FLB whose finish could not run); `tokens` are the
    /// files left unfinished, leaked with their session.
    case leaked(LiveUpdateError, tokens: [UInt64])
}
