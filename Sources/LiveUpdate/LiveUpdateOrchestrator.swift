import HandoverModel
import KHOImage
import KernelABI

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
    var heldFiles: [ObjectIdentifier: (session: String, token: UInt64)] = [:]
    /// The callbacks running now, innermost last.
    var callbacks: [String] = []
    /// Set by a successful reboot.
    public internal(set) var isHandedOver = false

    /// The ABI generation this kernel writes at reboot (its release's).
    public let generation: KernelGeneration
    /// The incoming image's `kexec-metadata` count, when it had one.
    public internal(set) var incomingKexecCount: UInt32?

    /// Creates an orchestrator for a kernel with no incoming image yet,
    /// writing `generation` at reboot (the newest release's by default);
    /// `imageBase` is where the image writer starts allocating.
    public init(generation: KernelGeneration = .newest, imageBase: UInt64 = KHOImageWriter.defaultBase) {
        self.generation = generation
        self.imageBase = imageBase
    }

    /// The `liveupdate-number` the next image carries: the incoming number
    /// plus one, 1 after a cold boot.
    public var liveupdateNumber: UInt64 { (incomingLiveupdateNumber ?? 0) + 1 }

    /// The open outgoing sessions, in creation order.
    public var outgoingSessions: [OutgoingSession] { outgoing }

    /// The names of the incoming sessions not yet closed, in image order.
    public var incomingSessionNames: [String] { incoming.map(\.name) }

    /// The registered handlers' compatibles, in registration order.
    public var registeredCompatibles: [String] { handlers.map(\.compatible) }

    // MARK: Handler registration

    /// Registers `handler` under its compatible
    /// (`liveupdate_register_file_handler`): refused while any session
    /// exists (`-EBUSY`), for a bad compatible (`-EINVAL`) or a duplicate
    /// one (`-EEXIST`).
    public func register(_ handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("register")
        try Self.validateCompatible(handler.compatible)
        try requireQuiescent(handler.compatible)
        guard !handlers.contains(where: { $0.compatible == handler.compatible }) else {
            throw .handlerExists(compatible: handler.compatible)
        }
        handlers.append(handler)
        handlerFLBs[ObjectIdentifier(handler)] = []
    }

    /// Unregisters `handler` (only while no session exists), with its FLB links.
    public func unregister(_ handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("unregister")
        try requireQuiescent(handler.compatible)
        guard let index = handlers.firstIndex(where: { $0 === handler }) else {
            throw .handlerNotRegistered(compatible: handler.compatible)
        }
        for state in handlerFLBs[ObjectIdentifier(handler)] ?? [] {
            dropUser(of: state)
        }
        handlerFLBs[ObjectIdentifier(handler)] = nil
        handlers.remove(at: index)
    }

    /// Registers `flb` with `handler` (`liveupdate_register_flb`): every
    /// file `handler` preserves will depend on it. The handler must be
    /// registered; the same FLB twice for a handler, or another FLB with the
    /// same compatible, is `-EEXIST`; a 64th distinct FLB is `-ENOSPC`.
    /// Refused while any session exists (`-EBUSY`) so that reference counts
    /// stay balanced.
    public func register(_ flb: any FLB, for handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("register FLB")
        try Self.validateCompatible(flb.compatible)
        guard handlers.contains(where: { $0 === handler }) else {
            throw .handlerNotRegistered(compatible: handler.compatible)
        }
        try requireQuiescent(flb.compatible)
        let key = ObjectIdentifier(handler)
        if (handlerFLBs[key] ?? []).contains(where: { $0.flb === flb || $0.flb.compatible == flb.compatible }) {
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

    /// Removes the link between `flb` and `handler`; the FLB leaves the
    /// global list with its last handler.
    public func unregister(_ flb: any FLB, from handler: any FileHandler) throws(LiveUpdateError) {
        try requireNoCallback("unregister FLB")
        try requireQuiescent(flb.compatible)
        let key = ObjectIdentifier(handler)
        guard var links = handlerFLBs[key], let index = links.firstIndex(where: { $0.flb === flb }) else {
            throw .flbNotRegistered(flb: flb.compatible, handler: handler.compatible)
        }
        let state = links.remove(at: index)
        handlerFLBs[key] = links
        dropUser(of: state)
    }

    private func dropUser(of state: FLBState) {
        state.users -= 1
        if state.users == 0 {
            flbs.removeAll { $0 === state }
        }
    }

    private func requireQuiescent(_ compatible: String) throws(LiveUpdateError) {
        let count = outgoing.count + incoming.count
        guard count == 0 else { throw .registrationBusy(compatible: compatible, sessions: count) }
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

    static func validateCompatible(_ compatible: String) throws(LiveUpdateError) {
        if let reason = cStringProblem(compatible, maximumBytes: maximumCompatibleBytes) {
            throw .invalidCompatible(compatible: compatible, reason: reason)
        }
    }

    /// Why `value` cannot be a NUL-terminated name of at most `maximumBytes`
    /// bytes, or `nil` if it can.
    static func cStringProblem(_ value: String, maximumBytes: Int) -> String? {
        let bytes = value.utf8.count
        if bytes == 0 { return "is empty" }
        if value.utf8.contains(0) { return "holds a NUL byte" }
        if bytes > maximumBytes { return "is \(bytes) bytes, at most \(maximumBytes) fit" }
        return nil
    }
}
