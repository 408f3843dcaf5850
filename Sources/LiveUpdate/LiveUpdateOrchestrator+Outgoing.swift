import HandoverModel
import KernelABI

extension LiveUpdateOrchestrator {
    /// Creates an outgoing session (`LIVEUPDATE_IOCTL_CREATE_SESSION`): the
    /// name is bytes in no particular encoding, and must be 1 to 63 of them
    /// without NUL (`-EINVAL`, ``FixedCString``'s rule; v6.19 and v7.0 as
    /// released, ``SessionNameCheck/unchecked``, take an empty name too and
    /// keep the first 63 bytes of a longer one, as their `strscpy` does) and new among the
    /// outgoing sessions (`-EEXIST`; incoming sessions do not count), and at
    /// most 819 outgoing sessions exist (the kernel's `-ENOMEM`).
    public func createSession(named name: SessionName) throws(LiveUpdateError) -> OutgoingSession {
        try requireNoCallback("createSession")
        guard !isHandedOver else { throw .alreadyHandedOver }
        var name = name
        switch (FixedCString.problem(name.bytes, fieldLength: LUOv1.sessionNameLength), generation.sessionNameCheck) {
        case (nil, _), (.empty, .unchecked):
            break
        case (.tooLong, .unchecked):
            name = SessionName(bytes: Array(name.bytes.prefix(LUOv1.sessionNameLength - 1)))
        case let (reason?, _):
            throw .invalidSessionName(name: name, reason: reason)
        }
        guard outgoing.count < Self.maximumSessions else {
            throw .tooManySessions(name: name, maximum: Self.maximumSessions)
        }
        guard !outgoing.contains(where: { $0.name == name }) else { throw .sessionExists(name: name) }
        let session = OutgoingSession(name: name, orchestrator: self)
        outgoing.append(session)
        return session
    }

    /// ``createSession(named:)-(SessionName)`` for the name whose bytes are `name`'s UTF-8.
    public func createSession(named name: String) throws(LiveUpdateError) -> OutgoingSession {
        try createSession(named: SessionName(name))
    }

    /// The open outgoing session named `name` (byte for byte), if any.
    public func outgoingSession(named name: SessionName) -> OutgoingSession? {
        outgoing.first { $0.name == name }
    }

    /// ``outgoingSession(named:)-(SessionName)`` for the name whose bytes are `name`'s UTF-8.
    public func outgoingSession(named name: String) -> OutgoingSession? {
        outgoingSession(named: SessionName(name))
    }

    func preserve(_ file: any LiveFile, token: UInt64, in session: OutgoingSession) throws(LiveUpdateError) {
        try requireNoCallback("preserve")
        guard !isHandedOver else { throw .alreadyHandedOver }
        // The kernel's order: token, capacity, handler, already held, FLBs, preserve.
        guard session.files[token: token] == nil else {
            throw .tokenExists(session: session.name, token: token)
        }
        guard session.files.count < Self.maximumFilesPerSession else {
            throw .tooManyFiles(session: session.name, token: token, maximum: Self.maximumFilesPerSession)
        }
        var found: (any FileHandler)?
        for handler in handlers {
            let args = FileOperationArguments(handler: handler, session: .outgoing(session), token: token,
                                              file: file, serialized: .data(0))
            if inCallback("canPreserve", { handler.canPreserve(args) }) {
                found = handler
                break
            }
        }
        guard let handler = found else { throw .noHandler(session: session.name, token: token) }
        if let holder = heldFiles[ObjectIdentifier(file)] {
            throw .fileAlreadyPreserved(session: session.name, token: token,
                                        preservedIn: holder.session, preservedAs: holder.token)
        }
        let dependencies = flbStates(of: handler)
        try preserveFLBs(dependencies)
        var args = FileOperationArguments(handler: handler, session: .outgoing(session), token: token,
                                          file: file, serialized: .data(0))
        do {
            try inCallback("preserve") { () throws(LiveUpdateError) in try handler.preserve(&args) }
        } catch {
            unpreserveFLBs(dependencies)
            throw error
        }
        session.append(OutgoingFile(token: token, file: file, handler: handler,
                                          serialized: args.serialized, privateState: args.privateState))
        heldFiles[ObjectIdentifier(file)] = (session.name, token)
    }

    func unpreserve(token: UInt64, in session: OutgoingSession) throws(LiveUpdateError) {
        try requireNoCallback("unpreserve")
        guard !isHandedOver else { throw .alreadyHandedOver }
        guard let last = session.files.last, session.files[token: token] != nil else {
            throw .unknownToken(session: session.name, token: token)
        }
        guard last.token == token else {
            throw .unpreserveOutOfOrder(session: session.name, token: token, lastToken: last.token)
        }
        unpreserveFile(at: session.files.count - 1, of: session)
    }

    func close(_ session: OutgoingSession) throws(LiveUpdateError) {
        try requireNoCallback("close")
        guard !isHandedOver else { throw .alreadyHandedOver }
        while !session.files.isEmpty {
            unpreserveFile(at: session.files.count - 1, of: session)
        }
        session.isOpen = false
        outgoing.removeAll { $0 === session }
    }

    private func unpreserveFile(at index: Int, of session: OutgoingSession) {
        let entry = session.files[index]
        let args = FileOperationArguments(handler: entry.handler, session: .outgoing(session), token: entry.token,
                                          file: entry.file, serialized: entry.serialized,
                                          privateState: entry.privateState)
        inCallback("unpreserve") { entry.handler.unpreserve(args) }
        unpreserveFLBs(flbStates(of: entry.handler))
        heldFiles[ObjectIdentifier(entry.file)] = nil
        session.remove(at: index)
    }

    /// The token under which `file` is preserved in `session`
    /// (`liveupdate_get_token_outgoing`). Only from inside a freeze
    /// callback: a handler never looks its dependencies up in preserve, so
    /// userspace may preserve files in any order.
    public func tokenOutgoing(_ session: OutgoingSession, _ file: any LiveFile) throws(LiveUpdateError) -> UInt64 {
        guard let current = callbacks.last else {
            throw .dependencyLookupOutsideFreeze(session: session.name, operation: "outside any callback")
        }
        guard current == "freeze" else {
            throw .dependencyLookupOutsideFreeze(session: session.name, operation: current)
        }
        guard session.isOpen else { throw .sessionClosed(name: session.name) }
        guard let entry = session.files.first(where: { $0.file === file }) else {
            throw .fileNotInSession(session: session.name)
        }
        return entry.token
    }

    // MARK: FLB reference counting, outgoing

    /// `luo_flb_file_preserve`: one more dependent file for each FLB; the
    /// first calls the FLB's preserve. On failure the FLBs already taken
    /// are dropped again, in reverse.
    private func preserveFLBs(_ states: [FLBState]) throws(LiveUpdateError) {
        for (position, state) in states.enumerated() {
            if state.outgoingCount == 0 {
                var args = FLBOperationArguments(flb: state.flb)
                do {
                    try inCallback("FLB preserve") { () throws(LiveUpdateError) in try state.flb.preserve(&args) }
                } catch {
                    unpreserveFLBs(Array(states[..<position]))
                    throw error
                }
                state.outgoingData = args.data
                state.outgoingObject = args.object
            }
            state.outgoingCount += 1
        }
    }

    /// `luo_flb_file_unpreserve`: one dependent file fewer, in reverse
    /// registration order; the last calls the FLB's unpreserve.
    private func unpreserveFLBs(_ states: [FLBState]) {
        for state in states.reversed() {
            state.outgoingCount -= 1
            if state.outgoingCount == 0 {
                let args = FLBOperationArguments(flb: state.flb, data: state.outgoingData, object: state.outgoingObject)
                inCallback("FLB unpreserve") { state.flb.unpreserve(args) }
                state.outgoingData = 0
                state.outgoingObject = nil
            }
        }
    }

    /// The live object of `flb` on the outgoing side
    /// (`liveupdate_flb_get_outgoing`): `nil` while no dependent file is
    /// preserved, or for an FLB that is not registered.
    public func flbOutgoing(_ flb: any FLB) -> Any? {
        flbs.first { $0.flb === flb }?.outgoingObject
    }

    /// How many preserved files depend on `flb` now (0 for an FLB that is
    /// not registered).
    public func flbOutgoingCount(_ flb: any FLB) -> UInt64 {
        flbs.first { $0.flb === flb }?.outgoingCount ?? 0
    }
}
