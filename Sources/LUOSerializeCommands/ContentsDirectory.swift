import HandoverManifest
import HandoverModel
import HexFormat
import KHOImage

/// `decode --contents-dir DIR`: each memfd's contents and each payload go to
/// a file of their own in DIR (`s<session>-<token>.memfd`, `.payload`,
/// written atomically, a memfd's bytes streamed from their source), and the
/// manifest names those files instead of carrying base64, so a handover of
/// any size round-trips through `encode`.
struct ContentsDirectory {
    /// The directory as the user gave it (no trailing slash): the manifest
    /// names files under it as given.
    let path: String

    /// The directory `path`; it must exist.
    init(path: String) {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    /// Writes every memfd's contents and payload of `state` under the
    /// directory and returns the manifest naming them.
    func render(_ state: HandoverState) throws(CLIFailure) -> String {
        var names: [[String?]] = []
        for (sessionIndex, session) in state.sessions.enumerated() {
            var row: [String?] = []
            for file in session.files {
                let source: ByteSource
                let suffix: String
                switch file.content {
                case .data: row.append(nil); continue
                case let .payload(bytes): (source, suffix) = (ByteSource(bytes), "payload")
                case let .memfd(memfd): (source, suffix) = (memfd.source, "memfd")
                }
                let name = "\(path)/s\(sessionIndex)-\(Hex.format(file.token)).\(suffix)"
                do throws(AtomicFileWriter.WriteError) {
                    try AtomicFileWriter.write(to: name, produce: { (sink) throws(AtomicFileWriter.WriteError) in
                        try sink.write(source)
                    }, systemFailure: { $0 })
                } catch {
                    throw .invalid(error.description)
                }
                row.append(name)
            }
            names.append(row)
        }
        return HandoverManifest.render(state) { names[$0][$1] }
    }
}
