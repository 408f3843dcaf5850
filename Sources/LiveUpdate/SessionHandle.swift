/// The session a handler callback runs for (`args->session`): outgoing for
/// can-preserve, preserve, unpreserve, freeze and unfreeze; incoming for
/// retrieve, can-finish and finish.
public enum SessionHandle {
    /// A session of the running kernel, to be handed over.
    case outgoing(OutgoingSession)
    /// A session rebuilt from the incoming image.
    case incoming(IncomingSession)

    /// The session's name.
    public var name: SessionName {
        switch self {
        case let .outgoing(session): session.name
        case let .incoming(session): session.name
        }
    }

    /// The orchestrator the session belongs to (`nil` once it is gone).
    public var orchestrator: LiveUpdateOrchestrator? {
        switch self {
        case let .outgoing(session): session.orchestrator
        case let .incoming(session): session.orchestrator
        }
    }

    /// The outgoing session, or `nil` for an incoming one.
    public var outgoing: OutgoingSession? {
        if case let .outgoing(session) = self { return session }
        return nil
    }

    /// The incoming session, or `nil` for an outgoing one.
    public var incoming: IncomingSession? {
        if case let .incoming(session) = self { return session }
        return nil
    }
}
