import HandoverModel

/// O(1) lookups into a ``HandoverState``: a session by name, a file by its
/// session and token. Built once in O(sessions + files); each lookup is then
/// a hash probe instead of a walk over the session's files (the kernel's
/// `luo_session` keeps a list and walks it; a userspace tool retrieving
/// every file of a full image would walk 819 x 128 x 128 entries).
///
/// ```swift
/// let index = HandoverIndex(decoded.state)
/// if let (s, f) = index.file(session: "vm0", token: 7) {
///     let record = decoded.state.sessions[s].files[f]
/// }
/// ```
///
/// When a name or token occurs twice (a state the writer refuses), the
/// first occurrence wins, as a front-to-back search would find it.
public struct HandoverIndex: Sendable {
    private let sessionsByName: [SessionName: Int]
    private let filesByToken: [TokenOrdered<FileRecord>]

    /// Indexes every session and file of `state`.
    public init(_ state: HandoverState) {
        var sessions: [SessionName: Int] = [:]
        sessions.reserveCapacity(state.sessions.count)
        for (s, session) in state.sessions.enumerated() where sessions[session.name] == nil {
            sessions[session.name] = s
        }
        sessionsByName = sessions
        filesByToken = state.sessions.map { TokenOrdered($0.files) }
    }

    /// The index of the session called `name`, or `nil`.
    public func session(named name: SessionName) -> Int? {
        sessionsByName[name]
    }

    /// The index, within session `session`, of the file with `token`, or
    /// `nil` (also for a session index out of range).
    public func file(session: Int, token: UInt64) -> Int? {
        guard filesByToken.indices.contains(session) else { return nil }
        return filesByToken[session].index(of: token)
    }

    /// The session and file indices of `token` in the session called
    /// `name`, or `nil`.
    public func file(session name: SessionName, token: UInt64) -> (session: Int, file: Int)? {
        guard let s = sessionsByName[name], let f = filesByToken[s].index(of: token) else { return nil }
        return (s, f)
    }
}
