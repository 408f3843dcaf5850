import Foundation
import HandoverModel
import Yams

/// Walks a composed YAML / JSON node tree into a ``HandoverState``, keeping
/// the key path of every value for errors.
struct ManifestParser {
    let format: ManifestFormat
    /// What a manifest without a `kernel` key means.
    var defaultGeneration: KernelGeneration = .newest
    /// The directory `contents_file` and `payload_file` are relative to:
    /// the manifest's own.
    var directory: String = "."
    /// Payload files larger than this (64 MiB, above the largest block a
    /// payload can have) are refused before reading.
    static let maximumPayloadFileSize: Int64 = 64 << 20
    private let budget = WorkBudget()

    func parse(_ text: String) throws(ManifestError) -> HandoverState {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw .syntax(message: Self.oneLine(error))
        } catch {
            throw .syntax(message: "\(error)")
        }
        guard let root else { throw .emptyDocument }
        budget.start(textLength: text.utf8.count)
        return try state(root)
    }

    /// One line: where and what, then the parser's context (Yams'
    /// own description spreads this over several lines with a snippet).
    static func oneLine(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var text = "line \(mark.line), column \(mark.column): \(problem)"
            if let context { text += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return text
        case let .duplicatedKeysInMapping(duplicates, context):
            return "line \(context.mark.line), column \(context.mark.column): key given twice: "
                + duplicates.joined(separator: ", ")
        default:
            let text = "\(error)"
            return text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? text
        }
    }

    // MARK: Schema

    private func state(_ node: Node) throws(ManifestError) -> HandoverState {
        let fields = try Fields(node, budget: budget, path: "", format: format,
                                allowed: [ManifestKeys.kernel, ManifestKeys.liveupdateNumber, ManifestKeys.sessions,
                                          ManifestKeys.flb, ManifestKeys.kexecMetadata])
        var generation = defaultGeneration
        if let kernelNode = fields.optional(ManifestKeys.kernel) {
            let path = fields.path(ManifestKeys.kernel)
            let value = try scalar(kernelNode, path, expected: "a kernel release or generation name (a string)")
            let text: String
            switch value {
            case let .string(found), let .float(found), let .integer(found): text = found
            default: throw .wrongType(path: path, expected: "a kernel release or generation name (a string)", found: value.summary)
            }
            do { generation = try KernelGeneration.lookup(text) } catch {
                throw .unsupportedKernel(path: path, reason: error.description)
            }
        }
        let number = try unsigned(try fields.required(ManifestKeys.liveupdateNumber), fields.path(ManifestKeys.liveupdateNumber))
        let sessionsPath = fields.path(ManifestKeys.sessions)
        var sessions: [SessionRecord] = []
        for (index, item) in try list(try fields.required(ManifestKeys.sessions), sessionsPath).enumerated() {
            sessions.append(try session(item, "\(sessionsPath)[\(index)]", generation.memfd))
        }
        var flbs: [FLBRecord] = []
        if let flbNode = fields.optional(ManifestKeys.flb) {
            let flbPath = fields.path(ManifestKeys.flb)
            for (index, item) in try list(flbNode, flbPath).enumerated() {
                flbs.append(try flb(item, "\(flbPath)[\(index)]"))
            }
        }
        var metadata: KexecMetadata?
        if let metadataNode = fields.optional(ManifestKeys.kexecMetadata) {
            let path = fields.path(ManifestKeys.kexecMetadata)
            guard generation.kexecMetadata != nil else {
                throw .unsupportedKernel(path: path, reason: "generation \(generation.name) has no kexec-metadata subtree")
            }
            metadata = try kexecMetadata(metadataNode, path)
        }
        return HandoverState(generation: generation, liveupdateNumber: number, sessions: sessions, flbs: flbs,
                             kexecMetadata: metadata)
    }

    private func kexecMetadata(_ node: Node, _ path: String) throws(ManifestError) -> KexecMetadata {
        let fields = try Fields(node, budget: budget, path: path, format: format,
                                allowed: [ManifestKeys.previousRelease, ManifestKeys.kexecCount])
        let release = try string(try fields.required(ManifestKeys.previousRelease), fields.path(ManifestKeys.previousRelease))
        let countPath = fields.path(ManifestKeys.kexecCount)
        let count = try unsigned(try fields.required(ManifestKeys.kexecCount), countPath)
        guard count <= UInt64(UInt32.max) else {
            throw .outOfRange(path: countPath, value: String(count), reason: "kexec_count is a u32")
        }
        return KexecMetadata(previousRelease: release, kexecCount: UInt32(count))
    }

    private func session(_ node: Node, _ path: String, _ memfdFormat: MemfdFormat) throws(ManifestError) -> SessionRecord {
        let fields = try Fields(node, budget: budget, path: path, format: format,
                                allowed: [ManifestKeys.name, ManifestKeys.nameHex, ManifestKeys.files])
        let name = try sessionName(fields, path)
        let filesPath = fields.path(ManifestKeys.files)
        var files: [FileRecord] = []
        for (index, item) in try list(try fields.required(ManifestKeys.files), filesPath).enumerated() {
            files.append(try file(item, "\(filesPath)[\(index)]", memfdFormat))
        }
        return SessionRecord(name: name, files: files)
    }

    /// `name` (the UTF-8 of the text) or `name_hex` (the bytes spelled
    /// out), exactly one of them.
    private func sessionName(_ fields: Fields, _ path: String) throws(ManifestError) -> SessionName {
        switch (fields.optional(ManifestKeys.name), fields.optional(ManifestKeys.nameHex)) {
        case (.some, .some):
            throw .conflictingName(path: path)
        case let (nil, hexNode?):
            let hexPath = fields.path(ManifestKeys.nameHex)
            guard let name = SessionName(hexSpelling: try string(hexNode, hexPath)) else { throw .badHex(path: hexPath) }
            return name
        default:
            return SessionName(try string(try fields.required(ManifestKeys.name), fields.path(ManifestKeys.name)))
        }
    }

    private func file(_ node: Node, _ path: String, _ memfdFormat: MemfdFormat) throws(ManifestError) -> FileRecord {
        let fields = try Fields(node, budget: budget, path: path, format: format, allowed: [
            ManifestKeys.token, ManifestKeys.compatible, ManifestKeys.data, ManifestKeys.memfd, ManifestKeys.payloadBase64,
            ManifestKeys.payloadFile,
        ])
        let token = try unsigned(try fields.required(ManifestKeys.token), fields.path(ManifestKeys.token))
        let compatible = try string(try fields.required(ManifestKeys.compatible), fields.path(ManifestKeys.compatible))
        let present = [ManifestKeys.data, ManifestKeys.memfd, ManifestKeys.payloadBase64, ManifestKeys.payloadFile]
            .filter { fields.optional($0) != nil }
        guard present.count <= 1 else { throw .conflictingContent(path: path, keys: present) }
        // Raw data is accepted for any compatible, the memfd handler's
        // included (the schema promises it; the next kernel's LUO core takes
        // any data, only that handler's retrieve refuses it). encode warns.
        if let dataNode = fields.optional(ManifestKeys.data) {
            let value = try u64(dataNode, fields.path(ManifestKeys.data))
            return FileRecord(token: token, compatible: compatible, content: .data(value))
        }
        // Which handler may hold a memfd or a payload is the model's rule
        // (FileRecord.pairingProblem); the manifest names the section.
        func paired(_ content: FileContent, _ key: String) throws(ManifestError) -> FileRecord {
            let record = FileRecord(token: token, compatible: compatible, content: content)
            switch record.pairingProblem(memfd: memfdFormat) {
            case nil:
                return record
            case .memfdNeedsMemfdHandler?:
                throw .handlerMismatch(path: fields.path(key), compatible: compatible,
                                       reason: "is not \(memfdFormat.compatible); a memfd section needs that handler")
            case .memfdHandlerNeedsMemfd?:
                throw .handlerMismatch(path: fields.path(key), compatible: compatible,
                                       reason: "needs a memfd section, not a payload")
            }
        }
        if let memfdNode = fields.optional(ManifestKeys.memfd) {
            return try paired(.memfd(try memfd(memfdNode, fields.path(ManifestKeys.memfd), memfdFormat)), ManifestKeys.memfd)
        }
        if let payloadNode = fields.optional(ManifestKeys.payloadBase64) {
            return try paired(.payload(try base64(payloadNode, fields.path(ManifestKeys.payloadBase64))), ManifestKeys.payloadBase64)
        }
        if let payloadNode = fields.optional(ManifestKeys.payloadFile) {
            let payloadPath = fields.path(ManifestKeys.payloadFile)
            // The pairing first: a mismatched file is not read.
            _ = try paired(.payload([]), ManifestKeys.payloadFile)
            let (file, resolved) = try contentFile(payloadNode, payloadPath)
            let size = try fileSize(file, resolved, payloadPath)
            guard size <= Self.maximumPayloadFileSize else {
                throw .contentsFileSize(path: payloadPath, file: resolved, fileSize: size,
                                        expected: "more than a payload block can hold (\(Self.maximumPayloadFileSize) bytes at most)")
            }
            let bytes: [UInt8]
            do throws(ByteSourceError) { bytes = try ByteSource(file: file, count: Int(size)).bytes() } catch {
                throw .contentsFileUnreadable(path: payloadPath, file: resolved, reason: error.description)
            }
            return try paired(.payload(bytes), ManifestKeys.payloadFile)
        }
        throw .missingContent(path: path)
    }

    private func memfd(_ node: Node, _ path: String, _ memfdFormat: MemfdFormat) throws(ManifestError) -> MemfdContents {
        // `seals` is read in every generation; the writer refuses seals a
        // handler does not carry (memfd-v1: any) or support.
        let fields = try Fields(node, budget: budget, path: path, format: format,
                                allowed: [ManifestKeys.size, ManifestKeys.position, ManifestKeys.seals, ManifestKeys.contentsBase64,
                                          ManifestKeys.contentsFile])
        var seals: UInt32 = 0
        if let sealsNode = fields.optional(ManifestKeys.seals) {
            let sealsPath = fields.path(ManifestKeys.seals)
            let value = try u64(sealsNode, sealsPath)
            guard value <= UInt64(UInt32.max) else {
                throw .outOfRange(path: sealsPath, value: String(value), reason: "seals is a u32")
            }
            seals = UInt32(value)
        }
        let size = try unsigned(try fields.required(ManifestKeys.size), fields.path(ManifestKeys.size))
        let position = try unsigned(try fields.required(ManifestKeys.position), fields.path(ManifestKeys.position))
        if let fileNode = fields.optional(ManifestKeys.contentsFile) {
            let filePath = fields.path(ManifestKeys.contentsFile)
            guard fields.optional(ManifestKeys.contentsBase64) == nil else {
                throw .conflictingContent(path: path, keys: [ManifestKeys.contentsBase64, ManifestKeys.contentsFile])
            }
            // The contents stay in the file: the writer sends them from it.
            let (file, resolved) = try contentFile(fileNode, filePath)
            let fileSize = try fileSize(file, resolved, filePath)
            guard UInt64(fileSize) == size else {
                throw .contentsFileSize(path: filePath, file: resolved, fileSize: fileSize, expected: "size is \(size)")
            }
            return MemfdContents(size: size, position: position, source: ByteSource(file: file, count: Int(fileSize)), seals: seals)
        }
        let contents = try base64(try fields.required(ManifestKeys.contentsBase64), fields.path(ManifestKeys.contentsBase64))
        guard UInt64(contents.count) == size else {
            throw .memfdSizeMismatch(path: fields.path(ManifestKeys.size), size: size, contentsLength: contents.count)
        }
        return MemfdContents(size: size, position: position, contents: contents, seals: seals)
    }

    /// Opens the file a `contents_file` or `payload_file` value names,
    /// relative to the manifest's directory unless absolute; returns it
    /// with the path it resolved to, which errors name.
    private func contentFile(_ node: Node, _ path: String) throws(ManifestError) -> (ContentFile, String) {
        let name = try string(node, path)
        guard !name.isEmpty else { throw .wrongType(path: path, expected: "a file name", found: "an empty string") }
        let resolved = name.hasPrefix("/") || directory == "." ? name : directory + "/" + name
        do {
            return (try ContentFile(opening: resolved), resolved)
        } catch {
            throw .contentsFileUnreadable(path: path, file: resolved, reason: error.errno.description)
        }
    }

    /// The size of `file` (`fstat`).
    private func fileSize(_ file: ContentFile, _ resolved: String, _ path: String) throws(ManifestError) -> Int64 {
        do { return try file.size() } catch {
            throw .contentsFileUnreadable(path: path, file: resolved, reason: error.errno.description)
        }
    }

    private func flb(_ node: Node, _ path: String) throws(ManifestError) -> FLBRecord {
        let fields = try Fields(node, budget: budget, path: path, format: format,
                                allowed: [ManifestKeys.name, ManifestKeys.data, ManifestKeys.count])
        let name = try string(try fields.required(ManifestKeys.name), fields.path(ManifestKeys.name))
        let data = try u64(try fields.required(ManifestKeys.data), fields.path(ManifestKeys.data))
        let count = try unsigned(try fields.required(ManifestKeys.count), fields.path(ManifestKeys.count))
        return FLBRecord(name: name, data: data, count: count)
    }

    // MARK: Values

    private func scalar(_ node: Node, _ path: String, expected: String) throws(ManifestError) -> ScalarValue {
        switch node {
        case let .scalar(scalar):
            try budget.charge(1 + scalar.string.utf8.count, path)
            guard let value = ScalarValue(scalar, format: format) else {
                throw .syntax(message: "\(path): bare word \"\(scalar.string)\" is not JSON (quote strings)")
            }
            return value
        case .mapping: throw .wrongType(path: path, expected: expected, found: "a mapping")
        case .sequence: throw .wrongType(path: path, expected: expected, found: "a list")
        case .alias: throw .wrongType(path: path, expected: expected, found: "an alias")
        }
    }

    private func string(_ node: Node, _ path: String) throws(ManifestError) -> String {
        let value = try scalar(node, path, expected: "a string")
        guard case let .string(text) = value else { throw .wrongType(path: path, expected: "a string", found: value.summary) }
        return text
    }

    private func list(_ node: Node, _ path: String) throws(ManifestError) -> [Node] {
        switch node {
        case let .sequence(sequence):
            try budget.charge(1 + sequence.count, path)
            return Array(sequence)
        case .mapping: throw .wrongType(path: path, expected: "a list", found: "a mapping")
        case .alias: throw .wrongType(path: path, expected: "a list", found: "an alias")
        case let .scalar(scalar):
            let found = ScalarValue(scalar, format: format)?.summary ?? "\"\(scalar.string)\""
            throw .wrongType(path: path, expected: "a list", found: found)
        }
    }

    /// An unsigned integer written as a bare number.
    private func unsigned(_ node: Node, _ path: String) throws(ManifestError) -> UInt64 {
        let expected = "an unsigned integer"
        let value = try scalar(node, path, expected: expected)
        guard case let .integer(text) = value else { throw .wrongType(path: path, expected: expected, found: value.summary) }
        return try Self.integer(text, path)
    }

    /// A `u64` written as a bare number or as a `"0x…"` string.
    private func u64(_ node: Node, _ path: String) throws(ManifestError) -> UInt64 {
        let expected = "a u64 (an integer or a \"0x...\" string)"
        let value = try scalar(node, path, expected: expected)
        switch value {
        case let .integer(text):
            return try Self.integer(text, path)
        case let .string(text) where text.hasPrefix("0x") || text.hasPrefix("0X"):
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else {
                throw .wrongType(path: path, expected: expected, found: value.summary)
            }
            guard let parsed = UInt64(digits, radix: 16) else {
                throw .outOfRange(path: path, value: text, reason: "a u64 is at most 0xffffffffffffffff")
            }
            return parsed
        default:
            throw .wrongType(path: path, expected: expected, found: value.summary)
        }
    }

    /// The standard base64 alphabet (RFC 4648 section 4), without '='.
    static let base64Alphabet: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8))

    /// Parses a bare integer's text exactly.
    private static func integer(_ text: String, _ path: String) throws(ManifestError) -> UInt64 {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() } else if digits.first == "+" { digits = digits.dropFirst() }
        var radix = 10
        if digits.hasPrefix("0x") { radix = 16; digits = digits.dropFirst(2) } else if digits.hasPrefix("0o") { radix = 8; digits = digits.dropFirst(2) }
        guard let value = UInt64(digits, radix: radix) else {
            if negative, digits.allSatisfy({ $0 == "0" }) { return 0 }
            throw .outOfRange(path: path, value: text, reason: negative ? "must not be negative" : "a u64 is at most 18446744073709551615")
        }
        guard !negative || value == 0 else { throw .outOfRange(path: path, value: text, reason: "must not be negative") }
        return value
    }

    private func base64(_ node: Node, _ path: String) throws(ManifestError) -> [UInt8] {
        // Line breaks and spaces are allowed (YAML block scalars wrap long
        // base64); any other character outside the alphabet is an error.
        var text = try string(node, path)
        let whitespace: [UInt8] = [0x20, 0x09, 0x0d, 0x0a]
        let wrapped = text.withUTF8 { buffer in
            guard let start = buffer.baseAddress else { return false }
            return whitespace.contains { memchr(start, Int32($0), buffer.count) != nil }
        }
        if wrapped { text = String(decoding: text.utf8.filter { !whitespace.contains($0) }, as: UTF8.self) }
        // Foundation accepts padding anywhere ("AA=A", "===="): require
        // whole 4-character groups with at most two '=' at the very end.
        let padding = text.utf8.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard text.utf8.count % 4 == 0, padding <= 2,
              text.utf8.dropLast(padding).allSatisfy({ Self.base64Alphabet.contains($0) }),
              let data = Data(base64Encoded: text) else { throw .badBase64(path: path) }
        return [UInt8](data)
    }
}

/// One mapping of the document, checked against the keys its place in the
/// schema allows.
private struct Fields {
    let path: String
    private var values: [String: Node] = [:]

    init(_ node: Node, budget: WorkBudget, path: String, format: ManifestFormat, allowed: [String]) throws(ManifestError) {
        self.path = path
        let mapping: Node.Mapping
        switch node {
        case let .mapping(found):
            try budget.charge(1 + found.count, path.isEmpty ? "manifest" : path)
            mapping = found
        case .sequence: throw .wrongType(path: path.isEmpty ? "manifest" : path, expected: "a mapping", found: "a list")
        case .alias: throw .wrongType(path: path.isEmpty ? "manifest" : path, expected: "a mapping", found: "an alias")
        case let .scalar(scalar):
            let found = ScalarValue(scalar, format: format)?.summary ?? "\"\(scalar.string)\""
            throw .wrongType(path: path.isEmpty ? "manifest" : path, expected: "a mapping", found: found)
        }
        for (keyNode, value) in mapping {
            guard case let .scalar(keyScalar) = keyNode else {
                throw .wrongType(path: path.isEmpty ? "manifest" : path, expected: "string keys", found: "a non-scalar key")
            }
            let key = keyScalar.string
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else { throw .unknownKey(path: keyPath) }
            guard values.updateValue(value, forKey: key) == nil else { throw .duplicateKey(path: keyPath) }
        }
    }

    func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func optional(_ key: String) -> Node? {
        guard let node = values[key] else { return nil }
        return node
    }

    func required(_ key: String) throws(ManifestError) -> Node {
        guard let node = values[key] else { throw .missingKey(path: path(key)) }
        return node
    }
}

/// Bounds the work (and the memory) of one parse by the length of the text.
///
/// The YAML composer hands an alias (`*a`) back as the anchored node
/// itself, so a few bytes can make the walk repeat a large subtree (and
/// copy its strings, decode its base64) any number of times. Without
/// aliases every node the walk visits, and every byte of every scalar it
/// reads, stands for at least one byte of text; the walk may spend twice
/// the text's length plus a little, and a document that needs more is
/// refused at the first node past that.
final class WorkBudget {
    private(set) var textLength = 0
    private var remaining = 0

    func start(textLength: Int) {
        self.textLength = textLength
        remaining = 2 * textLength + 64
    }

    func charge(_ cost: Int, _ path: String) throws(ManifestError) {
        remaining -= cost
        guard remaining >= 0 else {
            throw .syntax(message: "\(path): aliases repeat more than the document's \(textLength) bytes hold")
        }
    }
}
