import HandoverModel
import KHOImage
import KernelABI
import SystemSupport
import HexFormat
#if canImport(Glibc)
import Glibc
#endif

/// Every refusal of the live-update lifecycle. Each case names the session,
/// token, compatible or FLB involved, and ``errno`` gives the errno the
/// kernel returns for the same situation.
public enum LiveUpdateError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Registration

    /// A handler with this compatible is already registered (`-EEXIST`,
    /// `liveupdate_register_file_handler`).
    case handlerExists(compatible: String)
    /// An FLB was registered for a handler that is not registered
    /// (`-EINVAL`, `liveupdate_register_flb`: the handler's FLB list is not
    /// initialized).
    case flbHandlerNotRegistered(flb: String, handler: String)
    /// This FLB object is already linked to this handler, or (on its first
    /// registration) another registered FLB has its compatible (`-EEXIST`).
    case flbExists(flb: String, handler: String)
    /// `flbIncoming` for an FLB that is registered with no handler
    /// (`-ENOENT`; an extension: the kernel keeps an FLB's state inside the
    /// FLB and does not look at registration there).
    case flbNotRegistered(flb: String, handler: String)
    /// Registering this FLB would exceed the 63 global FLBs the FLB block
    /// holds (`-ENOSPC`).
    case tooManyFLBs(flb: String, maximum: Int)

    // MARK: Outgoing sessions

    /// A session name breaks the kernel's rule for `char name[64]`: empty,
    /// longer than 63 bytes or holding a NUL (`-EINVAL`; ``FixedCString``).
    case invalidSessionName(name: SessionName, reason: CStringProblem)
    /// An outgoing session with this name exists (`-EEXIST`).
    case sessionExists(name: SessionName)
    /// The session block already holds 819 outgoing sessions (the kernel's
    /// `-ENOMEM`).
    case tooManySessions(name: SessionName, maximum: Int)
    /// The session was closed (or finished and closed); its handle is dead
    /// (`-EBADF`, as for an ioctl on a closed session fd).
    case sessionClosed(name: SessionName)
    /// The token is already used in this session (`-EEXIST`).
    case tokenExists(session: SessionName, token: UInt64)
    /// The session's file array already holds 128 files (`-ENOSPC`).
    case tooManyFiles(session: SessionName, token: UInt64, maximum: Int)
    /// No registered handler's can-preserve accepts the file (`-ENOENT`).
    case noHandler(session: SessionName, token: UInt64)
    /// The same file object is already preserved (or retrieved and not yet
    /// finished) under another session or token (`-EBUSY`).
    case fileAlreadyPreserved(session: SessionName, token: UInt64, preservedIn: SessionName, preservedAs: UInt64)
    /// No file with this token is in the session (`-ENOENT`).
    case unknownToken(session: SessionName, token: UInt64)
    /// `tokenOutgoing` looked for a file that is not preserved in the
    /// session (`-ENOENT`).
    case fileNotInSession(session: SessionName)
    /// `tokenOutgoing` was called outside a freeze callback: dependency
    /// tokens are looked up only from freeze, never from preserve, so that
    /// preservation order is never enforced (`-EINVAL`).
    case dependencyLookupOutsideFreeze(session: SessionName, operation: String)
    /// Extension: ``OutgoingSession/unpreserve(token:)`` for a file that is
    /// not the last one preserved; files leave a session last to first
    /// (`-EINVAL`).
    case unpreserveOutOfOrder(session: SessionName, token: UInt64, lastToken: UInt64)
    /// An operation that changes sessions or files was called from inside a
    /// handler callback, where the kernel holds the session mutex
    /// (`-EDEADLK`).
    case reentrantCall(operation: String, insideCallback: String)
    /// The live update was already handed over by a successful `reboot()`;
    /// the outgoing side accepts no more changes (`-EBUSY`).
    case alreadyHandedOver

    // MARK: Incoming sessions

    /// No incoming session has this name (`-ENOENT`).
    case unknownSession(name: SessionName)
    /// The incoming session was already retrieved (`-EINVAL`).
    case sessionAlreadyRetrieved(name: SessionName)
    /// An incoming image was already loaded; the kernel deserializes once
    /// (`-EBUSY`).
    case incomingAlreadyLoaded
    /// The image names a handler compatible no registered handler has
    /// (`-ENOENT` at deserialization).
    case unknownCompatible(session: SessionName, token: UInt64, compatible: String)
    /// A handler's retrieve asked (through `fileIncoming`) for a file whose
    /// own retrieve is still running: a circular dependency. The kernel holds
    /// the file's mutex across its retrieve, so it would deadlock
    /// (`-EDEADLK`). `token` is the file asked for; `requestedBy` the file
    /// whose retrieve asked.
    case retrieveCycle(session: SessionName, token: UInt64, requestedBySession: SessionName, requestedBy: UInt64)
    /// Finish refused: this file's can-finish said no, so no file was
    /// finished (`-EBUSY`).
    case cannotFinish(session: SessionName, token: UInt64, compatible: String)
    /// The incoming image carries no FLB with data for anyone: no image was
    /// loaded, or its FLB was already finished (`-ENODATA`).
    case flbNoIncomingData(flb: String)
    /// The incoming image has no entry for this FLB (`-ENOENT`).
    case flbNotInImage(flb: String)
    /// The last dependent file of the FLB was finished, but the FLB's
    /// retrieve failed with `retrieveError`, so its finish never ran and its
    /// state is leaked (the kernel `WARN`s and goes on). The files were
    /// finished. ``errno`` is the retrieve's.
    indirect case flbFinishSkipped(flb: String, retrieveError: LiveUpdateError)

    // MARK: Handlers, images and the system

    /// A handler refused or failed `operation` on a file with `errno`.
    case handlerFailed(session: SessionName, token: UInt64, compatible: String, operation: String,
                       errno: Int32, reason: String)
    /// An FLB's callback failed with `errno`.
    case flbFailed(flb: String, operation: String, errno: Int32, reason: String)
    /// A system call failed (`errno` as the call set it).
    case system(operation: String, errno: Int32)
    /// The image could not be built, written or read.
    case image(KHOImageError)

    /// The kernel's errno for the same situation.
    public var errno: Int32 {
        switch self {
        case .flbHandlerNotRegistered, .invalidSessionName, .sessionAlreadyRetrieved,
             .dependencyLookupOutsideFreeze, .unpreserveOutOfOrder:
            EINVAL
        case .handlerExists, .flbExists, .sessionExists, .tokenExists:
            EEXIST
        case .flbNotRegistered, .noHandler, .unknownToken, .fileNotInSession,
             .unknownSession, .unknownCompatible, .flbNotInImage:
            ENOENT
        case .fileAlreadyPreserved, .alreadyHandedOver, .incomingAlreadyLoaded, .cannotFinish:
            EBUSY
        case .tooManyFLBs, .tooManyFiles:
            ENOSPC
        case .tooManySessions:
            ENOMEM
        case .sessionClosed:
            EBADF
        case .reentrantCall, .retrieveCycle:
            EDEADLK
        case let .flbFinishSkipped(_, retrieveError):
            retrieveError.errno
        case .flbNoIncomingData:
            ENODATA
        case let .handlerFailed(_, _, _, _, code, _), let .flbFailed(_, _, code, _), let .system(_, code):
            code
        case let .image(error):
            error.errno
        }
    }

    /// One line naming what was refused and where.
    public var description: String {
        switch self {
        case let .handlerExists(compatible):
            return "a file handler \"\(compatible)\" is already registered"
        case let .flbHandlerNotRegistered(flb, handler):
            return "cannot register FLB \"\(flb)\": file handler \"\(handler)\" is not registered"
        case let .flbExists(flb, handler):
            return "FLB \"\(flb)\" is already registered (handler \"\(handler)\")"
        case let .flbNotRegistered(flb, handler):
            if handler.isEmpty { return "FLB \"\(flb)\" is not registered" }
            return "FLB \"\(flb)\" is not registered with handler \"\(handler)\""
        case let .tooManyFLBs(flb, maximum):
            return "cannot register FLB \"\(flb)\": at most \(maximum) FLBs exist"
        case let .invalidSessionName(name, reason):
            return "session name \"\(name)\" \(reason)"
        case let .sessionExists(name):
            return "an outgoing session \"\(name)\" already exists"
        case let .tooManySessions(name, maximum):
            return "cannot create session \"\(name)\": at most \(maximum) outgoing sessions"
        case let .sessionClosed(name):
            return "session \"\(name)\" is closed"
        case let .tokenExists(session, token):
            return "session \"\(session)\" already has a file with token \(Hex.format(token))"
        case let .tooManyFiles(session, token, maximum):
            return "session \"\(session)\" token \(Hex.format(token)): the session already holds \(maximum) files"
        case let .noHandler(session, token):
            return "session \"\(session)\" token \(Hex.format(token)): no registered handler can preserve the file"
        case let .fileAlreadyPreserved(session, token, preservedIn, preservedAs):
            return "session \"\(session)\" token \(Hex.format(token)): the file is already held by session \"\(preservedIn)\" as token \(Hex.format(preservedAs))"
        case let .unknownToken(session, token):
            return "session \"\(session)\" has no file with token \(Hex.format(token))"
        case let .fileNotInSession(session):
            return "the file is not preserved in session \"\(session)\""
        case let .dependencyLookupOutsideFreeze(session, operation):
            return "session \"\(session)\": tokenOutgoing called from \(operation); dependency tokens are looked up only from freeze"
        case let .unpreserveOutOfOrder(session, token, lastToken):
            return "session \"\(session)\" token \(Hex.format(token)): only the last preserved file (token \(Hex.format(lastToken))) can be unpreserved"
        case let .reentrantCall(operation, callback):
            return "\(operation) called from inside the \(callback) callback"
        case .alreadyHandedOver:
            return "the live update was already handed over by reboot()"
        case let .unknownSession(name):
            return "no incoming session \"\(name)\""
        case let .sessionAlreadyRetrieved(name):
            return "incoming session \"\(name)\" was already retrieved"
        case .incomingAlreadyLoaded:
            return "an incoming image was already loaded"
        case let .unknownCompatible(session, token, compatible):
            return "session \"\(session)\" token \(Hex.format(token)): no handler is registered for compatible \(DisplayEscaping.quoted(compatible))"
        case let .retrieveCycle(session, token, requestedBySession, requestedBy):
            let requester = requestedBySession == session ? "" : " of session \"\(requestedBySession)\""
            return "session \"\(session)\" token \(Hex.format(token)): circular dependency: its retrieve is still running and token \(Hex.format(requestedBy))\(requester) asked for it"
        case let .cannotFinish(session, token, compatible):
            return "session \"\(session)\" token \(Hex.format(token)) (\(DisplayEscaping.escaped(compatible))): can-finish refused; nothing was finished"
        case let .flbNoIncomingData(flb):
            return "FLB \"\(flb)\": no incoming FLB data"
        case let .flbNotInImage(flb):
            return "FLB \"\(flb)\" is not in the incoming image"
        case let .flbFinishSkipped(flb, retrieveError):
            return "FLB \"\(flb)\": retrieve failed at finish, so its finish did not run and its state is leaked: \(retrieveError)"
        case let .handlerFailed(session, token, compatible, operation, code, reason):
            return "session \"\(session)\" token \(Hex.format(token)) (\(DisplayEscaping.escaped(compatible))): \(operation) failed: \(reason) (errno \(code))"
        case let .flbFailed(flb, operation, code, reason):
            return "FLB \"\(flb)\": \(operation) failed: \(reason) (errno \(code))"
        case let .system(operation, code):
            return "\(operation) failed: \(Errno(rawValue: code))"
        case let .image(error):
            return "image: \(error)"
        }
    }
}
