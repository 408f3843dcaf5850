import HandoverModel
import KHOImage
import KernelABI
#if canImport(Glibc)
import Glibc
#endif

/// The Live Update Orchestrator: file handlers and FLBs, the outgoing
/// sessions of the running kernel and their handover at ``reboot()``, and
/// the incoming sessions rebuilt from the previous kernel's image.
///
/// One orchestrator stands for one kernel. It is not `Sendable`: use it from
/// one thread or isolation domain at a time (the kernel's session mutex
/// becomes the caller's). Handler callbacks run synchronously inside the
/// call that triggers them.
///
/// See `docs/LIFECYCLE.md` for the states and transitions.
public final class LiveUpdateOrchestrator {
    /// `LUO_SESSION_MAX`: outgoing sessions the session block holds (819).
    public static let maximumSessions = LUOv1.maxSessions
    /// `LUO_FILE_MAX`: files per session (128).
    public static let maximumFilesPerSession = LUOv1.maxFilesPerSession
    /// `LUO_FLB_MAX`: global FLBs (63).
    public static let maximumFLBs = LUOv1.maxFLBs
    /// Longest session name in bytes (63).
    public static let maximumSessionNameBytes = LUOv1.sessionNameLength - 1
    /// Longest handler or FLB compatible in bytes (47).
    public static let maximumCompatibleBytes = LUOv1.handlerCompatibleLength - 1

    /// The base physical address the image writer allocates from.
    public let imageBase: UInt64

    var handlers: [any FileHandler] = []
    var handlerFLBs: [ObjectIdentifier: [FLBState]] = [:]
    var flbs: [FLBState] = []
    var outgoing: [OutgoingSession] = []
    var incoming: [IncomingSession] = []
    /// The FLB entries of the loaded image; `nil` before an image is loaded.
    var incomingFLBRecords: [FLBRecord]?
    /// The loaded image's `liveupdate-number`.
    public internal(set) var incomingLiveupdateNumber: UInt64?
    /// Files held by LUO (preserved, or retrieved and not yet finished), by
    /// identity: session name and token holding them.
    var heldFiles: [ObjectIdentifier: (session: SessionName, token: UInt64)] = [:]
    /// The callbacks running now, innermost last.
    var callbacks: [String] = []
    /// The incoming files whose handler's retrieve is running, innermost last.
    var retrieving: [(session: IncomingSession, token: UInt64)] = []
    /// Set by a successful reboot.
    public internal(set) var isHandedOver = false

    /// The ABI generation this kernel writes at reboot (its release's).
    public let generation: KernelGeneration
    /// The lifecycle rules of ``generation``'s kernel.
    public let rules: LifecycleRules
    /// The incoming image's `kexec-metadata` count, when it had one.
    public internal(set) var incomingKexecCount: UInt32?

    /// Creates an orchestrator for a kernel with no incoming image yet,
    /// writing `generation` at reboot (the newest release's by default);
    /// `imageBase` is where the image writer starts allocating.
    public init(generation: KernelGeneration = .newest, imageBase: UInt64 = KHOImageWriter.defaultBase) {
        self.generation = generation
        self.rules = LifecycleRules(generation)
        self.imageBase = imageBase
    }

    /// The `liveupdate-number` the next image carries: the incoming number
    /// plus one, 1 after a cold boot.
    public var liveupdateNumber: UInt64 { (incomingLiveupdateNumber ?? 0) + 1 }

    /// The open outgoing sessions, in creation order.
    public var outgoingSessions: [OutgoingSession] { outgoing }

    /// The names of the incoming sessions not yet closed, in image order.
    public var incomingSessionNames: [SessionName] { incoming.map(\.name) }

    /// The registered handlers' compatibles, in registration order.
    public var registeredCompatibles: [String] { handlers.map(\.compatible) }

    // MARK: Handler registration
    //
    // As `liveupdate_register_file_handler`, `liveupdate_unregister_file_handler`,
    // `liveupdate_register_flb` and `liveupdate_unregister_flb` do in v7.1 and
    // v7.3 (luo_file.c, luo_flb.c): registration is allowed at any time, also
    // while sessions exist; compatibles are not checked here (the kernel
    // copies them with `strscpy` when it serializes; the image writer refuses
    // one that does not fit, at reboot); the two unregister calls return
    // nothing and ignore what is not registered.

    /// Registers `handler` under its compatible
    /// (`liveupdate_register_file_handler`): a handler with the same
    /// compatible already registered is `-EEXIST`. Allowed while sessions
    /// exist; files loaded or preserved earlier keep the handler they got.
    public func register(_ handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("register")
        try requireQuiescent("register file handler \(handler.compatible)")
        guard !handlers.contains(where: { $0.compatible == handler.compatible }) else {
            throw .handlerExists(compatible: handler.compatible)
        }
        handlers.append(handler)
        handlerFLBs[ObjectIdentifier(handler)] = []
    }

    /// Unregisters `handler` and unlinks every FLB from it
    /// (`liveupdate_unregister_file_handler`, which returns nothing): a
    /// handler that is not registered is ignored. Files that already use the
    /// handler keep it; from now on they no longer count towards its FLBs,
    /// as in the kernel, whose per-file FLB walk goes through the handler's
    /// (now empty) FLB list.
    public func unregister(_ handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("unregister")
        guard let index = handlers.firstIndex(where: { $0 === handler }) else { return }
        try requireQuiescent("unregister file handler \(handler.compatible)")
        for state in handlerFLBs[ObjectIdentifier(handler)] ?? [] {
            dropUser(of: state)
        }
        handlerFLBs[ObjectIdentifier(handler)] = nil
        handlers.remove(at: index)
    }

    /// Registers `flb` with `handler` (`liveupdate_register_flb`): every
    /// file `handler` preserves will depend on it. The kernel's checks, in
    /// its order: the handler is registered, else `-EINVAL`
    /// (``LiveUpdateError/flbHandlerNotRegistered(flb:handler:)``); this FLB
    /// object is not already linked to the handler, else `-EEXIST`; then, on
    /// the FLB's first registration only, fewer than 63 FLBs exist, else
    /// `-ENOSPC`, and no registered FLB has its compatible, else `-EEXIST`.
    public func register(_ flb: any FLB, for handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("register FLB")
        guard rules.hasFLBs else { throw .system(operation: "register FLB \(flb.compatible): this kernel has no FLBs", errno: EOPNOTSUPP) }
        guard handlers.contains(where: { $0 === handler }) else {
            throw .flbHandlerNotRegistered(flb: flb.compatible, handler: handler.compatible)
        }
        try requireQuiescent("register FLB \(flb.compatible)")
        let key = ObjectIdentifier(handler)
        if (handlerFLBs[key] ?? []).contains(where: { $0.flb === flb }) {
            throw .flbExists(flb: flb.compatible, handler: handler.compatible)
        }
        let state: FLBState
        if let existing = flbs.first(where: { $0.flb === flb }) {
            state = existing
        } else {
            guard flbs.count < Self.maximumFLBs else {
                throw .tooManyFLBs(flb: flb.compatible, maximum: Self.maximumFLBs)
            }
            guard !flbs.contains(where: { $0.flb.compatible == flb.compatible }) else {
                throw .flbExists(flb: flb.compatible, handler: handler.compatible)
            }
            state = FLBState(flb: flb)
            flbs.append(state)
        }
        state.users += 1
        handlerFLBs[key, default: []].append(state)
    }

    /// Removes the link between `flb` and `handler`
    /// (`liveupdate_unregister_flb`, which returns nothing: a missing link
    /// is only warned about in the kernel, and ignored here); the FLB leaves
    /// the global list with its last handler.
    public func unregister(_ flb: any FLB, from handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("unregister FLB")
        let key = ObjectIdentifier(handler)
        guard var links = handlerFLBs[key], let index = links.firstIndex(where: { $0.flb === flb }) else { return }
        try requireQuiescent("unregister FLB \(flb.compatible)")
        let state = links.remove(at: index)
        handlerFLBs[key] = links
        dropUser(of: state)
    }

    /// `luo_session_quiesce()` (v6.19, v7.0): no session, incoming or
    /// outgoing, may exist while handlers or FLBs are (un)registered.
    private func requireQuiescent(_ operation: String) throws(LiveUpdateError) {
        guard rules.registrationNeedsNoSessions, !(outgoing.isEmpty && incoming.isEmpty) else { return }
        throw .system(operation: "\(operation) while sessions exist (\(generation.releases.joined(separator: ", ")) needs none)", errno: EBUSY)
    }

    private func dropUser(of state: FLBState) {
        state.users -= 1
        if state.users == 0 {
            flbs.removeAll { $0 === state }
        }
    }

    // MARK: Helpers shared by the lifecycle

    /// Throws unless no callback is running: `operation` changes sessions
    /// or files, which a callback must not do.
    func requireNoCallback(_ operation: String) throws(LiveUpdateError) {
        if let current = callbacks.last {
            throw .reentrantCall(operation: operation, insideCallback: current)
        }
    }

    /// Runs `body` as the callback `name`.
    func inCallback<R>(_ name: String, _ body: () throws(LiveUpdateError) -> R) throws(LiveUpdateError) -> R {
        callbacks.append(name)
        defer { callbacks.removeLast() }
        return try body()
    }

    /// Runs the non-throwing callback `name`.
    func inCallback<R>(_ name: String, _ body: () -> R) -> R {
        callbacks.append(name)
        defer { callbacks.removeLast() }
        return body()
    }

    /// The FLBs `handler` depends on, in registration order.
    func flbStates(of handler: any FileHandler) -> [FLBState] {
        handlerFLBs[ObjectIdentifier(handler)] ?? []
    }
}
