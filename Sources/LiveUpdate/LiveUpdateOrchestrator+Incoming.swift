import FDT
import HandoverModel
import KHOImage
#if canImport(Glibc)
import Glibc
#endif

extension LiveUpdateOrchestrator {
    /// Rebuilds the incoming sessions from `image` (`luo_session_deserialize`
    /// and `luo_file_deserialize`): every file is bound to the registered
    /// handler with its compatible. A compatible with no handler fails the
    /// whole load with ``LiveUpdateError/unknownCompatible(session:token:compatible:)``
    /// (`-ENOENT`) and nothing is loaded. An image is loaded once (`-EBUSY`).
    public func loadIncoming(_ image: DecodedImage) throws(LiveUpdateError) {
        try loadIncoming(image.state, sessions: image.sessions.map { session in
            (session.name, session.files.map { ($0.record, $0.data) })
        })
    }

    /// Loads a handover given as a model, as if the previous kernel had
    /// handed `state` over (see ``loadIncoming(_:)-(DecodedImage)``): for
    /// loaders that build or filter the state themselves, and for unit tests
    /// of handlers and FLBs. Each file's ``FileOperationArguments/dataInImage``
    /// is its `.data` value, or 0 for `.payload` and `.memfd` (no physical
    /// address was ever chosen).
    public func loadIncoming(_ state: HandoverState) throws(LiveUpdateError) {
        try loadIncoming(state, sessions: state.sessions.map { session in
            (session.name, session.files.map { file in
                if case let .data(value) = file.content { return (file, value) }
                return (file, 0)
            })
        })
    }

    /// Reads the handover held in captured physical memory (a raw RAM file,
    /// an ELF core, a buffer: ``KHOImageReader/read(memory:khoFDTPhys:temporaryDirectory:)``)
    /// and loads it. Memory that holds no complete image is
    /// ``KHOImageError/unknownInput(compatible:)``.
    public func loadIncoming(memory: some PhysicalMemory, khoFDTPhys: UInt64? = nil) throws(LiveUpdateError) {
        let input: HandoverInput
        do { input = try KHOImageReader.read(memory: memory, khoFDTPhys: khoFDTPhys) } catch { throw .image(error) }
        guard case let .image(image) = input else {
            throw .image(.unknownInput(compatible: "memory holds a bare FDT, not a whole handover"))
        }
        try loadIncoming(image)
    }

    /// Loads `sessions`, each file with the raw `data` its handler finds in
    /// the image, and the rest of `state` (FLBs, numbers).
    private func loadIncoming(_ state: HandoverState,
                              sessions records: [(name: SessionName, files: [(record: FileRecord, data: UInt64)])]) throws(LiveUpdateError) {
        try requireNoCallback("loadIncoming")
        guard incomingFLBRecords == nil else { throw .incomingAlreadyLoaded }
        var sessions: [IncomingSession] = []
        for record in records {
            var files: [IncomingFile] = []
            for (file, data) in record.files {
                guard let handler = handlers.first(where: { $0.compatible == file.compatible }) else {
                    throw .unknownCompatible(session: record.name, token: file.token, compatible: file.compatible)
                }
                files.append(IncomingFile(token: file.token, compatible: file.compatible, handler: handler,
                                          serialized: file.content, dataInImage: data))
            }
            sessions.append(IncomingSession(name: record.name, files: files, orchestrator: self))
        }
        incoming = sessions
        incomingFLBRecords = state.flbs
        incomingLiveupdateNumber = state.liveupdateNumber
        incomingKexecCount = state.kexecMetadata?.kexecCount
    }

    /// Reads the KHO image at `path` and loads it (``loadIncoming(_:)``).
    public func loadIncoming(path: String) throws(LiveUpdateError) {
        let image: DecodedImage
        do { image = try KHOImageReader.readImage(path: path) } catch { throw .image(error) }
        try loadIncoming(image)
    }

    /// Decodes the image bytes and loads them (``loadIncoming(_:)``).
    public func loadIncoming(bytes: [UInt8]) throws(LiveUpdateError) {
        let image: DecodedImage
        do { image = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: bytes)) } catch { throw .image(error) }
        try loadIncoming(image)
    }

    /// Takes the incoming session `name` (`LIVEUPDATE_IOCTL_RETRIEVE_SESSION`),
    /// matched byte for byte: `-ENOENT` if there is none, `-EINVAL` if it
    /// was already retrieved.
    public func retrieveSession(named name: SessionName) throws(LiveUpdateError) -> IncomingSession {
        try requireNoCallback("retrieveSession")
        guard let session = incoming.first(where: { $0.name == name }) else { throw .unknownSession(name: name) }
        guard !session.retrievedByUser else { throw .sessionAlreadyRetrieved(name: name) }
        session.retrievedByUser = true
        return session
    }

    /// A read-only look at the incoming session `name`, without taking it:
    /// boot-time code can see what the image holds before userspace makes
    /// its one ``retrieveSession(named:)``. `nil` if there is no such
    /// session. An extension: the kernel has no such call (its debugfs
    /// shows the raw handover instead).
    public func peekIncomingSession(named name: SessionName) -> IncomingSessionSnapshot? {
        incoming.first { $0.name == name }.map(IncomingSessionSnapshot.init)
    }

    /// ``retrieveSession(named:)-(SessionName)`` for the name whose bytes are `name`'s UTF-8.
    public func retrieveSession(named name: String) throws(LiveUpdateError) -> IncomingSession {
        try retrieveSession(named: SessionName(name))
    }

    /// ``peekIncomingSession(named:)-(SessionName)`` for the name whose bytes are `name`'s UTF-8.
    public func peekIncomingSession(named name: String) -> IncomingSessionSnapshot? {
        peekIncomingSession(named: SessionName(name))
    }

    /// Read-only looks at every incoming session, in image order
    /// (``peekIncomingSession(named:)``).
    public var incomingSessionSnapshots: [IncomingSessionSnapshot] {
        incoming.map(IncomingSessionSnapshot.init)
    }

    /// Retrieves the file `token` of `session` for in-kernel use, typically a
    /// handler fetching a dependency (`liveupdate_get_file_incoming`). Like
    /// ``IncomingSession/retrieveFile(token:)`` but it does not count as
    /// userspace retrieving the file.
    public func fileIncoming(_ session: IncomingSession, token: UInt64) throws(LiveUpdateError) -> any LiveFile {
        guard session.isOpen else { throw .sessionClosed(name: session.name) }
        return try retrieve(token: token, in: session, byUser: false)
    }

    func retrieve(token: UInt64, in session: IncomingSession, byUser: Bool) throws(LiveUpdateError) -> any LiveFile {
        guard let entry = session.files[token: token] else {
            throw .unknownToken(session: session.name, token: token)
        }
        switch entry.status {
        case let .retrieved(file):
            if byUser { entry.retrievedByUser = true }
            return file
        case let .failed(error):
            throw error
        case .notAttempted:
            break
        }
        // The kernel holds the file's mutex across its retrieve: a handler
        // that asks for a file whose retrieve is running (a circular
        // dependency) would deadlock there. Here it is `-EDEADLK`, not a
        // recursion that overflows the stack.
        if let requester = retrieving.last,
           retrieving.contains(where: { $0.session === session && $0.token == token }) {
            throw .retrieveCycle(session: session.name, token: token,
                                 requestedBySession: requester.session.name, requestedBy: requester.token)
        }
        var args = FileOperationArguments(handler: entry.handler, session: .incoming(session), token: token,
                                          file: nil, serialized: entry.serialized, dataInImage: entry.dataInImage)
        retrieving.append((session, token))
        defer { retrieving.removeLast() }
        do {
            try inCallback("retrieve") { () throws(LiveUpdateError) in try entry.handler.retrieve(&args) }
        } catch {
            entry.status = .failed(error)
            throw error
        }
        guard let file = args.file else {
            let error = args.failure("retrieve", errno: EINVAL, reason: "the handler set no file")
            entry.status = .failed(error)
            throw error
        }
        entry.status = .retrieved(file)
        entry.privateState = args.privateState
        if byUser { entry.retrievedByUser = true }
        heldFiles[ObjectIdentifier(file)] = (session.name, token)
        return file
    }

    func finish(_ session: IncomingSession) throws(LiveUpdateError) {
        try requireNoCallback("finish")
        for entry in session.files {
            let args = arguments(for: entry, in: session)
            guard inCallback("canFinish", { entry.handler.canFinish(args) }) else {
                throw .cannotFinish(session: session.name, token: entry.token, compatible: entry.compatible)
            }
        }
        var skipped: [LiveUpdateError] = []
        while let entry = session.files.last {
            let args = arguments(for: entry, in: session)
            inCallback("finish") { entry.handler.finish(args) }
            skipped += finishFLBs(flbStates(of: entry.handler))
            if let file = entry.liveFile { heldFiles[ObjectIdentifier(file)] = nil }
            session.removeLast()
        }
        // The kernel WARNs and goes on; the files are finished either way.
        if let first = skipped.first { throw first }
    }

    /// Closing the session fd (`luo_session_release`): finish, then remove
    /// the session. The kernel ignores what release returns, so the handle
    /// is dead whatever happens: if finish is refused, the session and its
    /// unfinished files stay where they are, leaked (still listed, never
    /// retrievable again, never handed over, retrieved files still held).
    func close(_ session: IncomingSession) throws(LiveUpdateError) -> IncomingCloseOutcome {
        try requireNoCallback("close")
        do {
            try finish(session)
        } catch {
            session.isOpen = false
            if case .flbFinishSkipped = error {
                incoming.removeAll { $0 === session }
            } else {
                session.isLeaked = true
            }
            return .leaked(error, tokens: session.tokens)
        }
        session.isOpen = false
        incoming.removeAll { $0 === session }
        return .finished
    }

    private func arguments(for entry: IncomingFile, in session: IncomingSession) -> FileOperationArguments {
        FileOperationArguments(handler: entry.handler, session: .incoming(session), token: entry.token,
                               file: entry.liveFile, serialized: entry.serialized, dataInImage: entry.dataInImage,
                               privateState: entry.privateState, retrieved: entry.liveFile != nil,
                               retrievedByUser: entry.retrievedByUser)
    }

    // MARK: FLB, incoming

    /// The live object of `flb` in the new kernel (`liveupdate_flb_get_incoming`):
    /// the first call runs the FLB's retrieve on the handed-over data, later
    /// calls return the same object. `-ENODATA` when no image was loaded or
    /// the FLB was already finished, `-ENOENT` when the image has no entry
    /// for it.
    public func flbIncoming(_ flb: any FLB) throws(LiveUpdateError) -> Any? {
        guard let state = flbs.first(where: { $0.flb === flb }) else {
            throw .flbNotRegistered(flb: flb.compatible, handler: "")
        }
        try retrieveFLB(state)
        return state.incomingObject
    }

    /// `luo_flb_retrieve_one`.
    private func retrieveFLB(_ state: FLBState) throws(LiveUpdateError) {
        let name = state.flb.compatible
        guard !state.incomingFinished else { throw .flbNoIncomingData(flb: name) }
        if state.incomingRetrieved { return }
        if let error = state.incomingRetrieveError, rules.flbRetrieveFailureIsSticky { throw error }
        guard let records = incomingFLBRecords else { throw .flbNoIncomingData(flb: name) }
        guard let record = records.first(where: { $0.name == name }) else { throw .flbNotInImage(flb: name) }
        if state.incomingCount == nil { state.incomingCount = record.count }
        state.incomingData = record.data
        var args = FLBOperationArguments(flb: state.flb, data: record.data)
        do {
            try inCallback("FLB retrieve") { () throws(LiveUpdateError) in try state.flb.retrieve(&args) }
        } catch {
            state.incomingRetrieveError = error
            throw error
        }
        state.incomingObject = args.object
        state.incomingRetrieved = true
    }

    /// `luo_flb_file_finish`: one dependent file fewer, in reverse
    /// registration order; the last one retrieves the FLB if nobody did and
    /// calls its finish. FLBs the image does not carry are left alone. An
    /// FLB whose retrieve fails there is not finished (the kernel `WARN`s):
    /// it is returned, to be reported.
    private func finishFLBs(_ states: [FLBState]) -> [LiveUpdateError] {
        var skipped: [LiveUpdateError] = []
        for state in states.reversed() {
            if state.incomingCount == nil {
                guard let record = incomingFLBRecords?.first(where: { $0.name == state.flb.compatible }) else {
                    continue
                }
                state.incomingCount = record.count
            }
            guard let count = state.incomingCount, count > 0, !state.incomingFinished else { continue }
            state.incomingCount = count - 1
            guard count == 1 else { continue }
            if !state.incomingRetrieved {
                do {
                    try retrieveFLB(state)
                } catch {
                    skipped.append(.flbFinishSkipped(flb: state.flb.compatible, retrieveError: error))
                    continue
                }
            }
            let args = FLBOperationArguments(flb: state.flb, data: state.incomingData, object: state.incomingObject)
            inCallback("FLB finish") { state.flb.finish(args) }
            state.incomingData = 0
            state.incomingObject = nil
            state.incomingFinished = true
        }
        return skipped
    }
}
