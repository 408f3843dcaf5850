import HandoverModel
import KernelABI
import KHOImage
import LiveUpdate
import HexFormat

/// Restores one file of an image through the live-update lifecycle, as the
/// next kernel would: the image is loaded into a ``LiveUpdateOrchestrator``
/// with the `memfd-v1` handler and a carry-through handler for every other
/// compatible, the session is retrieved by name and the file by token.
enum HandlerRetrieval {
    /// The bytes the file's handler gives back: a memfd's contents, or a
    /// payload's block. A file holding only a raw `u64` has none.
    static func retrieve(_ decoded: DecodedImage, session name: String, token: UInt64,
                         image: String) throws(CLIFailure) -> [UInt8] {
        func failure(_ error: LiveUpdateError) -> CLIFailure { .invalid("\(image): \(error.description)") }
        let generation = decoded.state.generation
        let orchestrator = LiveUpdateOrchestrator(generation: generation)
        do {
            try orchestrator.register(MemfdHandler(format: generation.memfd))
            var others: [String] = []
            for session in decoded.state.sessions {
                for file in session.files where !generation.memfd.handles(file.compatible) && !others.contains(file.compatible) {
                    others.append(file.compatible)
                }
            }
            for compatible in others { try orchestrator.register(RawDataHandler(compatible: compatible)) }
            try orchestrator.loadIncoming(decoded)
            let session = try orchestrator.retrieveSession(named: name)
            let file = try session.retrieveFile(token: token)
            if let memfd = file as? MemfdFile { return try memfd.contents() }
            guard let raw = file as? RawFile else {
                throw CLIFailure.invalid("\(image): session \(Hex.quoted(name)) token \(token): the handler returned an unknown file type")
            }
            switch raw.content {
            case let .payload(bytes):
                return bytes
            case let .memfd(memfd):
                return memfd.contents
            case let .data(value):
                throw CLIFailure.invalid("\(image): session \(Hex.quoted(name)) token \(token) (\(Hex.escaped(raw.compatible)))"
                    + " holds only the raw data u64 \(Hex.format(value)); its handler preserved no bytes to restore")
            }
        } catch let error as LiveUpdateError {
            // The reader's reason, when it kept this memfd file as raw data.
            if let warning = decoded.warnings.first(where: { $0.file.map { $0 == (name, token) } ?? false }) {
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
