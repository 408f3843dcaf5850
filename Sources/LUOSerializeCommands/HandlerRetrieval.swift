import HandoverModel
import KernelABI
import KHOImage
import LiveUpdate
import HexFormat
import SystemSupport

/// Restores one file of an image through the live-update lifecycle, as the
/// next kernel would: the image is loaded into a ``LiveUpdateOrchestrator``
/// with the generation's memfd handler and a carry-through handler for every
/// other compatible, the session is retrieved by name and the file by token
/// (a name or token the image lacks is the lifecycle's `-ENOENT`, told with
/// what the image has).
enum HandlerRetrieval {
    /// The bytes the file's handler gives back: a memfd's contents (a range
    /// of the restored memfd, streamed from the image into it and from it
    /// to the output without passing through memory), or a payload's
    /// block. A file holding only a raw `u64` has none.
    static func retrieve(_ decoded: DecodedImage, session name: SessionName, token: UInt64,
                         image: String) throws(CLIFailure) -> ByteSource {
        func failure(_ error: LiveUpdateError) -> CLIFailure { .invalid("\(image): \(error.description)") }
        let generation = decoded.state.generation
        let orchestrator = LiveUpdateOrchestrator(generation: generation)
        do {
            try orchestrator.register(MemfdHandler(format: generation.memfd))
            var others: [String] = []
            for session in decoded.sessions {
                for file in session.files where !generation.memfd.handles(file.record.compatible)
                    && !others.contains(file.record.compatible) {
                    others.append(file.record.compatible)
                }
            }
            for compatible in others { try orchestrator.register(RawDataHandler(compatible: compatible)) }
            try orchestrator.loadIncoming(decoded)
            let session = try orchestrator.retrieveSession(named: name)
            let file = try session.retrieveFile(token: token)
            if let memfd = file as? MemfdFile {
                let size = try memfd.size()
                do {
                    let restored = try ContentFile(duplicating: FileDescriptor(rawValue: memfd.fd), name: "the restored memfd")
                    return ByteSource(file: restored, count: Int(size))
                } catch {
                    throw CLIFailure.invalid("\(image): \(error.description)")
                }
            }
            guard let raw = file as? RawFile else {
                throw CLIFailure.invalid("\(image): session \(DisplayEscaping.quoted(name.bytes)) token \(token): the handler returned an unknown file type")
            }
            switch raw.content {
            case let .payload(bytes):
                return ByteSource(bytes)
            case let .memfd(memfd):
                return memfd.source
            case let .data(value):
                throw CLIFailure.invalid("\(image): session \(DisplayEscaping.quoted(name.bytes)) token \(token) (\(DisplayEscaping.escaped(raw.compatible)))"
                    + " holds only the raw data u64 \(Hex.format(value)); its handler preserved no bytes to restore")
            }
        } catch let LiveUpdateError.unknownSession(name) {
            let names = decoded.sessions.map { DisplayEscaping.quoted($0.name.bytes) }.joined(separator: ", ")
            throw .invalid("\(image): no session named \(DisplayEscaping.quoted(name.bytes)) (sessions: \(names.isEmpty ? "none" : names))")
        } catch let LiveUpdateError.unknownToken(session, token) {
            let tokens = decoded.sessions.first { $0.name == session }?.files.map { String($0.record.token) } ?? []
            throw .invalid("\(image): session \(DisplayEscaping.quoted(session.bytes)) has no file with token \(token)"
                + " (tokens: \(tokens.isEmpty ? "none" : tokens.joined(separator: ", ")))")
        } catch let error as LiveUpdateError {
            // The reader's reason, when it kept this memfd file as raw data.
            if let warning = decoded.warnings.first(where: { $0.file.map { $0.session == name && $0.token == token } ?? false }) {
                throw CLIFailure.invalid("\(image): \(error.description); the reader found: \(warning.description)")
            }
            throw failure(error)
        } catch let error as CLIFailure {
            throw error
        } catch {
            throw .invalid("\(image): \(error)")
        }
    }
}
