import HandoverModel

/// Everything that can be wrong with a manifest, each case naming the key
/// path involved (for example `sessions[1].files[0].memfd.size`) and what is
/// wrong there.
public enum ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The manifest file could not be read; `reason` is the system's message.
    case unreadable(file: String, reason: String)
    /// The text is not valid JSON / YAML; `message` is the parser's, with its
    /// line and column.
    case syntax(message: String)
    /// The document is empty.
    case emptyDocument
    /// A mapping holds a key the schema does not know.
    case unknownKey(path: String)
    /// A mapping lacks a key the schema requires.
    case missingKey(path: String)
    /// A mapping holds the same key twice. (The YAML composer usually
    /// reports this first, as a ``syntax(message:)`` with the position.)
    case duplicateKey(path: String)
    /// A value has the wrong type: `expected` says what the schema wants,
    /// `found` what the document holds.
    case wrongType(path: String, expected: String, found: String)
    /// An integer does not fit its field.
    case outOfRange(path: String, value: String, reason: String)
    /// A base64 string does not decode.
    case badBase64(path: String)
    /// A `name_hex` is not pairs of hex digits.
    case badHex(path: String)
    /// A session has both `name` and `name_hex`.
    case conflictingName(path: String)
    /// A file holds more than one of `data`, `memfd`, `payload_base64` and
    /// `payload_file`, or a memfd section both `contents_base64` and `contents_file`.
    case conflictingContent(path: String, keys: [String])
    /// A file holds none of `data`, `memfd`, `payload_base64` and `payload_file`.
    case missingContent(path: String)
    /// A handler section does not fit the file's compatible (a `memfd`
    /// section needs `memfd-v1`, and `memfd-v1` needs a `memfd` section).
    case handlerMismatch(path: String, compatible: String, reason: String)
    /// A memfd's `size` is not the length of its decoded contents.
    case memfdSizeMismatch(path: String, size: UInt64, contentsLength: Int)
    /// `kernel` names a release or generation this tool does not write.
    case unsupportedKernel(path: String, reason: String)
    /// The file a `contents_file` or `payload_file` names (resolved against
    /// the manifest's directory) cannot be opened or read.
    case contentsFileUnreadable(path: String, file: String, reason: String)
    /// The file a `contents_file` names does not hold `size` bytes, or a
    /// `payload_file` is larger than any payload block.
    case contentsFileSize(path: String, file: String, fileSize: Int64, expected: String)

    /// One line naming the key path and what is wrong.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read \(file): \(reason)"
        case let .syntax(message):
            return "not valid JSON or YAML: \(message)"
        case .emptyDocument:
            return "the manifest is empty"
        case let .unknownKey(path):
            return "\(path): unknown key"
        case let .missingKey(path):
            return "\(path): missing key"
        case let .duplicateKey(path):
            return "\(path): key given twice"
        case let .wrongType(path, expected, found):
            return "\(path): expected \(expected), found \(found)"
        case let .outOfRange(path, value, reason):
            return "\(path): \(value) is out of range: \(reason)"
        case let .badBase64(path):
            return "\(path): not valid base64"
        case let .badHex(path):
            return "\(path): not pairs of hex digits (one pair per byte of the name)"
        case let .conflictingName(path):
            return "\(path): has both name and name_hex; a session is named by exactly one"
        case let .conflictingContent(path, keys) where keys.contains(ManifestKeys.contentsFile):
            return "\(path): has both \(keys.joined(separator: " and ")); a memfd section holds exactly one of contents_base64, contents_file"
        case let .conflictingContent(path, keys):
            return "\(path): has both \(keys.joined(separator: " and ")); a file holds exactly one of data, memfd, payload_base64, payload_file"
        case let .missingContent(path):
            return "\(path): needs one of data, memfd, payload_base64, payload_file"
        case let .handlerMismatch(path, compatible, reason):
            return "\(path): compatible \(DisplayEscaping.quoted(compatible)) \(reason)"
        case let .memfdSizeMismatch(path, size, contentsLength):
            return "\(path): size is \(size) but contents_base64 decodes to \(contentsLength) bytes"
        case let .unsupportedKernel(path, reason):
            return "\(path): \(reason)"
        case let .contentsFileUnreadable(path, file, reason):
            return "\(path): cannot read \(file): \(reason)"
        case let .contentsFileSize(path, file, fileSize, expected):
            return "\(path): \(file) holds \(fileSize) bytes, \(expected)"
        }
    }
}
