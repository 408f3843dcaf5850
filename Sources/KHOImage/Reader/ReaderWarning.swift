import HandoverModel
import HexFormat

/// Something in an image that the incoming kernel of its generation accepts
/// but that no outgoing kernel writes. The reader decodes such an image and
/// reports each of these beside the state (``DecodedImage/warnings``);
/// every check that keeps the reader inside the image and inside preserved
/// memory for the structures LUO itself walks stays an error.
public enum ReaderWarning: Sendable, Equatable, CustomStringConvertible {
    /// An FLB entry with `count` 0. `luo_flb_setup_incoming` and
    /// `luo_flb_retrieve_one` take the count as it is (a refcount of 0); an
    /// outgoing kernel serializes only FLBs some preserved file depends on.
    /// The writer keeps refusing such an entry, so the decoded state cannot
    /// be encoded again as it is.
    case emptyFLB(name: String)
    /// Session `index` has an empty name. `luo_session_deserialize` copies
    /// the name without a check; only v6.19 and v7.0 as released create
    /// such a session (``SessionNameCheck/unchecked``). The writer refuses
    /// it for the other generations, so the decoded state cannot be encoded
    /// again as it is.
    case emptySessionName(index: Int)
    /// A file of the generation's memfd handler whose `data` does not lead
    /// to a valid `memfd_luo_ser` and what it points at. LUO's core stores
    /// `data` without looking at it (`luo_file_deserialize`); only the
    /// handler's `retrieve` (`memfd_luo_retrieve`) follows it, and fails.
    /// The file is kept as its raw `data`; `error` is what the reader's
    /// memfd walk found.
    case unretrievableMemfd(session: SessionName, token: UInt64, compatible: String, data: UInt64, error: KHOImageError)

    /// The problem, in one line, naming the FLB or the session and token.
    public var description: String {
        switch self {
        case let .emptyFLB(name):
            return "FLB \(DisplayEscaping.quoted(name)) has a count of 0: the incoming kernel accepts it, but an outgoing kernel"
                + " only serializes FLBs some file depends on (encode refuses it, so this state cannot be encoded again as it is)"
        case let .emptySessionName(index):
            return "session \(index) has an empty name: the incoming kernel accepts it, but only v6.19 and v7.0 as released"
                + " create one (encode refuses it for this generation, so this state cannot be encoded again as it is)"
        case let .unretrievableMemfd(session, token, compatible, data, error):
            let problem: String
            if case let .memfd(_, _, reason) = error { problem = reason } else { problem = error.description }
            return "session \"\(session)\" token \(Hex.format(token)): compatible \(DisplayEscaping.escaped(compatible))"
                + " with raw data \(Hex.format(data)) that is no valid memfd_luo_ser: \(problem);"
                + " kept as raw data (no outgoing kernel writes this; the memfd handler's retrieve of it fails, or restores what no kernel preserved)"
        }
    }

    /// The session and token of a file warning, or `nil`.
    public var file: (session: SessionName, token: UInt64)? {
        if case let .unretrievableMemfd(session, token, _, _, _) = self { return (session, token) }
        return nil
    }
}
