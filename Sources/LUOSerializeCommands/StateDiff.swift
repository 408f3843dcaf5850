import HandoverModel
import HexFormat

/// What differs in meaning between two handovers: sessions matched by
/// name, files by token, FLB entries by name, then field by field.
/// Physical addresses and the order of entries are layout, not meaning.
enum StateDiff {
    /// One line per difference, `path: what` (empty when identical).
    static func differences(_ a: HandoverState, _ b: HandoverState) -> [String] {
        var lines: [String] = []
        if a.generation != b.generation {
            lines.append("generation: \(a.generation) != \(b.generation)")
        }
        if a.kexecMetadata != b.kexecMetadata {
            func describe(_ metadata: KexecMetadata?) -> String {
                metadata.map { "previous_release \(DisplayEscaping.quoted($0.previousRelease)), kexec_count \($0.kexecCount)" } ?? "none"
            }
            lines.append("kexec_metadata: \(describe(a.kexecMetadata)) != \(describe(b.kexecMetadata))")
        }
        if a.liveupdateNumber != b.liveupdateNumber {
            lines.append("liveupdate_number: \(a.liveupdateNumber) != \(b.liveupdateNumber)")
        }
        for session in a.sessions {
            let path = "session \(DisplayEscaping.quoted(session.name.bytes))"
            guard let other = b.sessions.first(where: { $0.name == session.name }) else {
                lines.append("\(path): only in A (\(session.files.count) files)")
                continue
            }
            lines += files(session, other, path: path)
        }
        for session in b.sessions where !a.sessions.contains(where: { $0.name == session.name }) {
            lines.append("session \(DisplayEscaping.quoted(session.name.bytes)): only in B (\(session.files.count) files)")
        }
        for flb in a.flbs {
            let path = "flb \(DisplayEscaping.quoted(flb.name))"
            guard let other = b.flbs.first(where: { $0.name == flb.name }) else {
                lines.append("\(path): only in A")
                continue
            }
            if flb.data != other.data { lines.append("\(path) data: \(Hex.format(flb.data)) != \(Hex.format(other.data))") }
            if flb.count != other.count { lines.append("\(path) count: \(flb.count) != \(other.count)") }
        }
        for flb in b.flbs where !a.flbs.contains(where: { $0.name == flb.name }) {
            lines.append("flb \(DisplayEscaping.quoted(flb.name)): only in B")
        }
        return lines
    }

    private static func files(_ a: SessionRecord, _ b: SessionRecord, path: String) -> [String] {
        var lines: [String] = []
        for file in a.files {
            let filePath = "\(path) token \(file.token)"
            guard let other = b.files.first(where: { $0.token == file.token }) else {
                lines.append("\(filePath): only in A")
                continue
            }
            if file.compatible != other.compatible {
                lines.append("\(filePath) compatible: \(DisplayEscaping.quoted(file.compatible)) != \(DisplayEscaping.quoted(other.compatible))")
            }
            lines += content(file.content, other.content, path: filePath)
        }
        for file in b.files where !a.files.contains(where: { $0.token == file.token }) {
            lines.append("\(path) token \(file.token): only in B")
        }
        return lines
    }

    private static func content(_ a: FileContent, _ b: FileContent, path: String) -> [String] {
        switch (a, b) {
        case let (.data(x), .data(y)):
            return x == y ? [] : ["\(path) data: \(Hex.format(x)) != \(Hex.format(y))"]
        case let (.payload(x), .payload(y)):
            return bytes(x, y, path: "\(path) payload")
        case let (.memfd(x), .memfd(y)):
            var lines: [String] = []
            if x.size != y.size { lines.append("\(path) memfd.size: \(x.size) != \(y.size)") }
            if x.position != y.position { lines.append("\(path) memfd.pos: \(x.position) != \(y.position)") }
            if x.seals != y.seals { lines.append("\(path) memfd.seals: \(Hex.format(UInt64(x.seals))) != \(Hex.format(UInt64(y.seals)))") }
            lines += bytes(x.contents, y.contents, path: "\(path) memfd.contents")
            return lines
        default:
            return ["\(path) content: \(kind(a)) != \(kind(b))"]
        }
    }

    private static func bytes(_ a: [UInt8], _ b: [UInt8], path: String) -> [String] {
        guard a != b else { return [] }
        let common = min(a.count, b.count)
        if let offset = (0..<common).first(where: { a[$0] != b[$0] }) {
            let differing = (0..<common).reduce(0) { $0 + (a[$1] != b[$1] ? 1 : 0) }
            var line = "\(path): first differs at offset \(offset) (\(Hex.format(offset))):"
                + " \(Hex.format(UInt64(a[offset]))) != \(Hex.format(UInt64(b[offset]))),"
                + " \(differing) \(differing == 1 ? "byte differs" : "bytes differ")"
            if a.count != b.count { line += "; length \(a.count) != \(b.count)" }
            return [line]
        }
        return ["\(path): length \(a.count) != \(b.count) (equal up to offset \(common))"]
    }

    private static func kind(_ content: FileContent) -> String {
        switch content {
        case .data: "raw data"
        case .payload: "payload"
        case .memfd: "memfd"
        }
    }
}
