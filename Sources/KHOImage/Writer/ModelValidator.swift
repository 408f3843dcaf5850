import HandoverModel
import KernelABI

/// Checks a ``HandoverState`` against the rules the kernel enforces while
/// the state is built (name lengths, unique names and tokens, block
/// capacities), so the writer never has to truncate or refuse half-way.
public enum ModelValidator {
    /// The largest payload: one folio of `MAX_PAGE_ORDER` (4 MiB).
    public static let maximumPayloadBytes = PageGeometry.pageSize << PageGeometry.maxPageOrder

    /// Throws the first rule `state` breaks, in model order.
    public static func validate(_ state: HandoverState) throws(ModelError) {
        let generation = state.generation
        guard KernelGeneration.supported.contains(generation) else {
            throw .unsupportedGeneration(name: generation.name)
        }
        try validateKexecMetadata(state.kexecMetadata, generation: generation)
        let limits = generation.limits
        guard state.sessions.count <= limits.maxSessions else {
            throw .tooManySessions(count: state.sessions.count, maximum: limits.maxSessions)
        }
        var sessionNames = SessionNameTable(capacity: state.sessions.count)
        // Grown to the largest session so far (a session over the limit is
        // refused before any of its tokens is inserted).
        var tokens = TokenTable(capacity: 0)
        // Files mostly share a handler: a compatible equal to the last one
        // that passed needs no second look.
        var lastValidCompatible: String?
        for session in state.sessions {
            // v6.19 and v7.0 as released create a session with an empty name.
            if let reason = FixedCString.problem(session.name.bytes, fieldLength: LUOv1.sessionNameLength),
               reason != .empty || generation.sessionNameCheck == .lengthChecked {
                throw .badSessionName(name: session.name, reason: reason)
            }
            guard sessionNames.insert(session.name) else {
                throw .duplicateSessionName(name: session.name)
            }
            try validateFiles(of: session, memfd: generation.memfd, maxFiles: limits.maxFilesPerSession, tokens: &tokens,
                              lastValidCompatible: &lastValidCompatible)
        }
        guard state.flbs.count <= limits.maxFLBs else {
            throw .tooManyFLBs(count: state.flbs.count, maximum: limits.maxFLBs)
        }
        var flbNames: Set<String> = []
        for flb in state.flbs {
            if let reason = FixedCString.problem(flb.name, fieldLength: LUOv1.flbCompatibleLength) {
                throw .badFLBName(name: flb.name, reason: reason)
            }
            guard flbNames.insert(flb.name).inserted else { throw .duplicateFLBName(name: flb.name) }
            guard flb.count > 0 else { throw .zeroFLBCount(name: flb.name) }
        }
    }

    /// `kexec-metadata` exactly when the generation has it; a release that
    /// fits `previous_release` with its NUL.
    private static func validateKexecMetadata(_ metadata: KexecMetadata?, generation: KernelGeneration) throws(ModelError) {
        switch (generation.kexecMetadata, metadata) {
        case (nil, nil):
            return
        case (nil, .some):
            throw .kexecMetadataMismatch(generation: generation.name, reason: "this generation has no kexec-metadata subtree")
        case (.some, nil):
            throw .kexecMetadataMismatch(generation: generation.name, reason: "this generation needs kexec-metadata")
        case let (format?, metadata?):
            // An empty release is written (a zeroed field) and read back.
            if let problem = FixedCString.problem(metadata.previousRelease, fieldLength: format.releaseFieldLength),
               problem != .empty {
                throw .badPreviousRelease(release: metadata.previousRelease, reason: problem)
            }
        }
    }

    private static func validateFiles(of session: SessionRecord, memfd format: MemfdFormat, maxFiles: Int, tokens: inout TokenTable,
                                      lastValidCompatible: inout String?) throws(ModelError) {
        guard session.files.count <= maxFiles else {
            throw .tooManyFiles(session: session.name, count: session.files.count,
                                maximum: maxFiles)
        }
        if tokens.capacity < session.files.count { tokens = TokenTable(capacity: session.files.count) }
        tokens.reset()
        for index in session.files.indices {
            let token = session.files[index].token
            guard tokens.insert(token) else {
                throw .duplicateToken(session: session.name, token: token)
            }
            let compatible = session.files[index].compatible
            if compatible != lastValidCompatible {
                if let reason = FixedCString.problem(compatible, fieldLength: LUOv1.handlerCompatibleLength) {
                    throw .badCompatible(session: session.name, token: token, compatible: compatible, reason: reason)
                }
                lastValidCompatible = compatible
            }
            switch session.files[index].content {
            case .data:
                break
            case let .payload(bytes):
                if session.files[index].pairingProblem(memfd: format) != nil {
                    throw .payloadHandlerMismatch(session: session.name, token: token, compatible: format.compatible)
                }
                guard !bytes.isEmpty else { throw .emptyPayload(session: session.name, token: token) }
                guard bytes.count <= maximumPayloadBytes else {
                    throw .payloadTooLarge(session: session.name, token: token,
                                           bytes: bytes.count, maximum: maximumPayloadBytes)
                }
            case .memfd:
                // Out of line, and reading the record again: using
                // `compatible` here kept a copy of it alive for every file
                // (a retain and a release per file, whatever its content).
                try validateMemfd(session.files[index], session: session.name, format: format)
            }
        }
    }

    /// A memfd file: the generation's handler compatible, seals it carries,
    /// and contents of the recorded size.
    @inline(never)
    private static func validateMemfd(_ file: FileRecord, session: SessionName, format: MemfdFormat) throws(ModelError) {
        guard case let .memfd(memfd) = file.content else { return }
        if file.pairingProblem(memfd: format) != nil {
            throw .memfdHandlerMismatch(session: session, token: file.token, compatible: file.compatible,
                                        expected: format.compatible)
        }
        // memfd_luo_preserve: seals outside MEMFD_LUO_ALL_SEALS are
        // -EOPNOTSUPP; memfd-v1 carries none at all.
        guard memfd.seals & ~format.supportedSeals == 0 else {
            throw .unsupportedSeals(session: session, token: file.token, seals: memfd.seals,
                                    handler: format.compatible, supported: format.supportedSeals)
        }
        guard UInt64(memfd.source.count) == memfd.size else {
            throw .memfdSizeMismatch(session: session, token: file.token,
                                     size: memfd.size, contents: memfd.source.count)
        }
    }
}
