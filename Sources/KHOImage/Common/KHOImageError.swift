import FDT
import HandoverModel
import KernelABI
import HexFormat
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Everything that can be wrong when writing or reading a KHO image, each
/// case naming the session, token, property, region or physical address
/// involved. ``errno`` gives the kernel's errno for the same situation.
public enum KHOImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call on `path` failed with `errno`.
    case io(path: String, operation: String, errno: Int32)
    /// The input is shorter than the smallest FDT header (40 bytes).
    case fileTooSmall(size: Int)
    /// The input is larger than ``KHOImageReader/maximumImageSize``.
    case fileTooLarge(size: Int, limit: Int)
    /// The input is not a valid FDT (the first thing every input must be).
    case notAnFDT(FDTError)
    /// The input is an FDT, but neither an image index, a KHO root FDT nor a LUO FDT.
    case unknownInput(compatible: String)
    /// The image index is malformed.
    case index(FDTError)
    /// An index property has a value the format forbids.
    case indexValue(property: String, reason: String)
    /// A `region@…` node of the index is wrong.
    case region(name: String, problem: String)
    /// `what` points at `length` bytes at `phys`, which no region holds
    /// (below, past or between regions).
    case outsideImage(what: String, phys: UInt64, length: UInt64)
    /// `what` starts in one region and runs past its end.
    case straddlesRegions(what: String, phys: UInt64, length: UInt64)
    /// `what` lies in the image, but the memory map does not preserve all of it.
    case notPreserved(what: String, phys: UInt64, length: UInt64)
    /// A block listed in the memory map is outside the image or overlaps another.
    case preservedBlock(phys: UInt64, order: Int, problem: String)
    /// A kernel structure (`what` names it: blob, session, token) is malformed.
    case structure(what: String, error: ABIError)
    /// The KHO root FDT has no subtree `name` (LUO's is `LUO`).
    case missingSubtree(name: String)
    /// Two incoming sessions share a name.
    case duplicateSession(name: SessionName)
    /// Two files of `session` share a token.
    case duplicateToken(session: SessionName, token: UInt64)
    /// Two FLB entries share a name.
    case duplicateFLB(name: String)
    /// A memfd file's preserved state (`memfd-v1`, `memfd-v2`) is inconsistent.
    case memfd(session: SessionName, token: UInt64, problem: String)
    /// The model given to the writer breaks one of the kernel's rules.
    case invalidModel(ModelError)
    /// The input is an FDT whose header claims `totalSize` bytes but only
    /// `available` are there. `compatible` is the root's compatible when the
    /// prefix shows it (debugfs `kho/out/fdt` is such a prefix of the KHO
    /// root: its size is fixed at boot, before LUO adds its subtree).
    case truncatedFDT(compatible: String?, totalSize: Int, available: Int)
    /// A memory source (`path`) is unusable as a whole: not the format it was
    /// taken for, segments overlapping or past its end, and so on.
    case badSource(path: String, problem: String)
    /// `what` needs `length` bytes at `phys`, which the memory source does
    /// not hold.
    case outsideSource(what: String, phys: UInt64, length: UInt64)
    /// No page of the memory source holds a KHO root FDT whose memory map
    /// walks cleanly; `rejected` says why each FDT that looked like one was
    /// not taken.
    case noKHORoot(pagesSearched: Int, rejected: [String])
    /// More than one page holds a usable KHO root FDT: `--kho-fdt` must say
    /// which one is the handover.
    case severalKHORoots(candidates: [UInt64])
    /// A `kho_block` chain (`luo-v5`) that `kho_block_set_restore` refuses.
    case blockChain(BlockChain, KHOBlock.ChainError)

    /// Which `kho_block` chain of a `luo-v5` state.
    public enum BlockChain: Equatable, Sendable, CustomStringConvertible {
        /// The session set (`luo_ser.sessions_pa`).
        case sessions
        /// The files of the session called `session`.
        case files(session: SessionName)

        /// `session chain`, `file chain of session "name"`.
        public var description: String {
            switch self {
            case .sessions: "session"
            case let .files(session): "file (session \"\(session)\")"
            }
        }
    }

    /// The kernel's errno for the same situation.
    public var errno: Int32 {
        switch self {
        case let .io(_, _, code): code
        case .missingSubtree: ENOENT
        case .duplicateSession, .duplicateToken, .duplicateFLB: EEXIST
        case let .invalidModel(problem): problem.errno
        case .fileTooLarge: EFBIG
        default: EINVAL
        }
    }

    /// One line naming what is wrong and where.
    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(path): \(operation) failed: \(Errno(rawValue: code))"
        case let .fileTooSmall(size):
            return "input is \(size) bytes, smaller than an FDT header (40 bytes)"
        case let .fileTooLarge(size, limit):
            return "input is \(size) bytes, more than the limit of \(limit)"
        case let .notAnFDT(error):
            return "input is not a valid FDT: \(error)"
        case let .unknownInput(compatible):
            return "input FDT has root compatible \(DisplayEscaping.quoted(compatible)), which is not an image index, a KHO root FDT or a LUO FDT"
        case let .index(error):
            return "image index: \(error)"
        case let .indexValue(property, reason):
            return "image index property '\(property)': \(reason)"
        case let .region(name, problem):
            return "image index node \(name): \(problem)"
        case let .outsideImage(what, phys, length):
            return "\(what) at \(Hex.format(phys)) (\(length) bytes) is not inside any region of the image"
        case let .straddlesRegions(what, phys, length):
            return "\(what) at \(Hex.format(phys)) (\(length) bytes) runs past the end of its region"
        case let .notPreserved(what, phys, length):
            return "\(what) at \(Hex.format(phys)) (\(length) bytes) is not preserved by the memory map"
        case let .preservedBlock(phys, order, problem):
            return "preserved block at \(Hex.format(phys)) of order \(order): \(problem)"
        case let .structure(what, error):
            return "\(what): \(error)"
        case let .missingSubtree(name):
            return "KHO root FDT has no subtree '\(name)'"
        case let .duplicateSession(name):
            return "two sessions are named \"\(name)\""
        case let .duplicateToken(session, token):
            return "session \"\(session)\" has two files with token \(Hex.format(token))"
        case let .duplicateFLB(name):
            return "two FLB entries are named \(DisplayEscaping.quoted(name))"
        case let .memfd(session, token, problem):
            return "session \"\(session)\" token \(Hex.format(token)) (memfd): \(problem)"
        case let .invalidModel(problem):
            return "\(problem)"
        case let .truncatedFDT(compatible?, totalSize, available) where compatible.hasPrefix("kho-v"):
            return "a \(compatible) KHO root FDT cut short: its header says \(totalSize) bytes, only \(available) are here."
                + " This is what debugfs kho/out/fdt shows on a running kernel (its size is fixed at boot, before LUO"
                + " adds its subtree); read kho/in/fdt in the next kernel, or capture the memory and run"
                + " 'luo-serialize import'"
        case let .truncatedFDT(compatible, totalSize, available):
            return "an FDT\(compatible.map { " (root compatible \(DisplayEscaping.quoted($0)))" } ?? "") cut short: its header says \(totalSize) bytes, only \(available) are here"
        case let .badSource(path, problem):
            return "\(path): \(problem)"
        case let .outsideSource(what, phys, length):
            return "\(what) at \(Hex.format(phys)) (\(length) bytes) is not in the captured memory"
        case let .noKHORoot(pagesSearched, rejected):
            return "no KHO root FDT whose memory map walks cleanly in \(pagesSearched) pages"
                + (rejected.isEmpty ? "" : " (rejected: \(rejected.prefix(4).joined(separator: "; "))\(rejected.count > 4 ? "; and \(rejected.count - 4) more" : ""))")
                + "; give its address with --kho-fdt"
        case let .blockChain(chain, error):
            var line = "\(chain) chain: \(error)"
            if case .emptyBlock = error {
                switch chain {
                case .sessions:
                    line += "; the next kernel refuses it (kho_block_set_restore: invalid entry count 0) and panics at boot,"
                        + " losing every session. Linux 7.2 and 7.3 leave such an empty block linked when creating a session"
                        + " with a name already in use fails (EEXIST) while every session block is full"
                case .files:
                    line += "; the next kernel refuses it (kho_block_set_restore: invalid entry count 0), so this session cannot be retrieved"
                }
            }
            return line
        case let .severalKHORoots(candidates):
            return "\(candidates.count) pages hold a usable KHO root FDT (\(candidates.map { Hex.format($0) }.joined(separator: ", "))); choose one with --kho-fdt"
        }
    }
}

extension KHOImageError {
    /// A system call on `path` failed with `error`.
    static func io(path: String, operation: String, error: Errno) -> KHOImageError {
        .io(path: path, operation: operation, errno: error.rawValue)
    }

    /// A failed write of an atomically written file.
    init(_ failure: AtomicFileWriter.WriteError) {
        self = .io(path: failure.path, operation: failure.operation, errno: failure.errno)
    }
}

/// A rule of the kernel's that a model given to the writer breaks.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A session name breaks the kernel's rule for `char name[64]`
    /// (``FixedCString/problem(_:fieldLength:)-(String,_)``): empty, over 63 bytes, or holding a NUL.
    case badSessionName(name: SessionName, reason: CStringProblem)
    /// Two sessions share a name (`-EEXIST`).
    case duplicateSessionName(name: SessionName)
    /// More sessions than the session block holds (the kernel's `-ENOMEM`).
    case tooManySessions(count: Int, maximum: Int)
    /// More files in a session than its file array holds (`-ENOSPC`).
    case tooManyFiles(session: SessionName, count: Int, maximum: Int)
    /// Two files in a session share a token (`-EEXIST`).
    case duplicateToken(session: SessionName, token: UInt64)
    /// A handler compatible is empty, too long (over 47 bytes) or holds a NUL.
    case badCompatible(session: SessionName, token: UInt64, compatible: String, reason: CStringProblem)
    /// A payload has no bytes (`kho_alloc_preserve(0)` is `-EINVAL`).
    case emptyPayload(session: SessionName, token: UInt64)
    /// A payload is larger than the largest folio (`-E2BIG`).
    case payloadTooLarge(session: SessionName, token: UInt64, bytes: Int, maximum: Int)
    /// A memfd's `contents` is not `size` bytes long.
    case memfdSizeMismatch(session: SessionName, token: UInt64, size: UInt64, contents: Int)
    /// An FLB name is empty, too long (over 47 bytes) or holds a NUL.
    case badFLBName(name: String, reason: CStringProblem)
    /// Two FLB entries share a name (`-EEXIST`).
    case duplicateFLBName(name: String)
    /// More FLB entries than the FLB block holds (`-ENOSPC`).
    case tooManyFLBs(count: Int, maximum: Int)
    /// An FLB entry with no dependent files is never serialized.
    case zeroFLBCount(name: String)
    /// The base physical address is unusable.
    case badBaseAddress(address: UInt64, reason: String)
    /// The state's generation is not one this project writes.
    case unsupportedGeneration(name: String)
    /// `kexecMetadata` is present where the generation has none, or the reverse.
    case kexecMetadataMismatch(generation: String, reason: String)
    /// The kexec-metadata release does not fit `char previous_release[65]`.
    case badPreviousRelease(release: String, reason: CStringProblem)
    /// A memfd's content is given for a file whose compatible is not the
    /// generation's memfd handler.
    case memfdHandlerMismatch(session: SessionName, token: UInt64, compatible: String, expected: String)
    /// A payload is given for a file with the memfd handler's compatible,
    /// whose retrieve would read the block as a `memfd_luo_ser`.
    case payloadHandlerMismatch(session: SessionName, token: UInt64, compatible: String)
    /// A memfd's seals are outside what the handler preserves (`-EOPNOTSUPP`).
    case unsupportedSeals(session: SessionName, token: UInt64, seals: UInt32, handler: String, supported: UInt32)

    /// The kernel's errno for the same refusal.
    public var errno: Int32 {
        switch self {
        case .duplicateSessionName, .duplicateToken, .duplicateFLBName: EEXIST
        case .tooManySessions: ENOMEM
        case .tooManyFiles, .tooManyFLBs: ENOSPC
        case .payloadTooLarge: E2BIG
        case .unsupportedSeals: EOPNOTSUPP
        default: EINVAL
        }
    }

    /// One line naming the session, token or entry and the rule.
    public var description: String {
        switch self {
        case let .badSessionName(name, reason):
            return "session name \"\(name)\" \(reason)"
        case let .duplicateSessionName(name):
            return "session name \"\(name)\" is used twice"
        case let .tooManySessions(count, maximum):
            return "\(count) sessions, the kernel holds at most \(maximum)"
        case let .tooManyFiles(session, count, maximum):
            return "session \"\(session)\" has \(count) files, the kernel holds at most \(maximum) per session"
        case let .duplicateToken(session, token):
            return "session \"\(session)\" uses token \(Hex.format(token)) twice"
        case let .badCompatible(session, token, compatible, reason):
            return "session \"\(session)\" token \(Hex.format(token)) compatible \(DisplayEscaping.quoted(compatible)) \(reason)"
        case let .emptyPayload(session, token):
            return "session \"\(session)\" token \(Hex.format(token)): payload is empty"
        case let .payloadTooLarge(session, token, bytes, maximum):
            return "session \"\(session)\" token \(Hex.format(token)): payload is \(bytes) bytes, at most \(maximum) fit one folio"
        case let .memfdSizeMismatch(session, token, size, contents):
            return "session \"\(session)\" token \(Hex.format(token)): memfd size is \(size) but \(contents) bytes of contents were given"
        case let .badFLBName(name, reason):
            return "FLB name \(DisplayEscaping.quoted(name)) \(reason)"
        case let .duplicateFLBName(name):
            return "FLB name \(DisplayEscaping.quoted(name)) is used twice"
        case let .tooManyFLBs(count, maximum):
            return "\(count) FLB entries, the kernel holds at most \(maximum)"
        case let .zeroFLBCount(name):
            return "FLB \(DisplayEscaping.quoted(name)) has a count of 0; the kernel only serializes FLBs some file depends on"
        case let .badBaseAddress(address, reason):
            return "base address \(Hex.format(address)): \(reason)"
        case let .unsupportedGeneration(name):
            return "generation \(name) is not one this tool writes"
        case let .kexecMetadataMismatch(generation, reason):
            return "kexec-metadata with generation \(generation): \(reason)"
        case let .badPreviousRelease(release, reason):
            return "kexec-metadata previous release \(DisplayEscaping.quoted(release)) \(reason)"
        case let .memfdHandlerMismatch(session, token, compatible, expected):
            return "session \"\(session)\" token \(Hex.format(token)): a memfd needs compatible \"\(expected)\" in this generation, not \(DisplayEscaping.quoted(compatible))"
        case let .payloadHandlerMismatch(session, token, compatible):
            return "session \"\(session)\" token \(Hex.format(token)): compatible \(DisplayEscaping.quoted(compatible)) is the memfd handler's; it preserves a memfd, not a payload"
        case let .unsupportedSeals(session, token, seals, handler, supported):
            return "session \"\(session)\" token \(Hex.format(token)): seals \(Hex.format(UInt64(seals))) are not all preserved by \(handler) (supported: \(Hex.format(UInt64(supported))))"
        }
    }
}
