import HandoverModel
import KHOImage

/// Points a writer's ``ModelError`` back at the manifest: the key path of
/// the session, file or FLB entry it names.
enum ModelErrorLocator {
    /// `sessions[i]`, `sessions[i].files[j]` or `flb[k]`, or `nil` when the
    /// error names no single entry.
    static func keyPath(of error: ModelError, in state: HandoverState) -> String? {
        func session(_ name: SessionName) -> Int? { state.sessions.firstIndex { $0.name == name } }
        func file(_ name: SessionName, _ token: UInt64) -> String? {
            guard let s = session(name) else { return nil }
            guard let f = state.sessions[s].files.lastIndex(where: { $0.token == token }) else { return "sessions[\(s)]" }
            return "sessions[\(s)].files[\(f)]"
        }
        func flb(_ name: String) -> String? {
            state.flbs.lastIndex { $0.name == name }.map { "flb[\($0)]" }
        }
        switch error {
        case let .badSessionName(name, _):
            return session(name).map { "sessions[\($0)].name" }
        case let .duplicateSessionName(name):
            return state.sessions.lastIndex { $0.name == name }.map { "sessions[\($0)].name" }
        case let .tooManyFiles(name, _, _):
            return session(name).map { "sessions[\($0)].files" }
        case let .duplicateToken(name, token):
            return file(name, token).map { $0 + ".token" }
        case let .badCompatible(name, token, _, _):
            return file(name, token).map { $0 + ".compatible" }
        case let .emptyPayload(name, token), let .payloadTooLarge(name, token, _, _):
            return file(name, token).map { $0 + ".payload_base64" }
        case let .memfdSizeMismatch(name, token, _, _):
            return file(name, token).map { $0 + ".memfd.size" }
        case let .badFLBName(name, _), let .duplicateFLBName(name):
            return flb(name).map { $0 + ".name" }
        case let .zeroFLBCount(name):
            return flb(name).map { $0 + ".count" }
        case .tooManySessions:
            return "sessions"
        case .tooManyFLBs:
            return "flb"
        case let .memfdHandlerMismatch(name, token, _, _), let .payloadHandlerMismatch(name, token, _):
            return file(name, token).map { $0 + ".compatible" }
        case let .unsupportedSeals(name, token, _, _, _):
            return file(name, token).map { $0 + ".memfd.seals" }
        case .unsupportedGeneration:
            return "kernel"
        case .kexecMetadataMismatch:
            return "kexec_metadata"
        case .badPreviousRelease:
            return "kexec_metadata.previous_release"
        case .badBaseAddress:
            return nil
        }
    }
}
