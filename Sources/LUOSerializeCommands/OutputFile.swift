import HandoverModel
import KHOImage

/// Writes command output files atomically (temporary file, `fsync`,
/// rename): a file is never left half-written. Large writes go in 4 MiB
/// pieces so a progress bar can follow them.
enum OutputFile {
    /// The largest piece handed to the writer at once.
    static let pieceSize = 4 << 20

    /// Writes `chunks` in order to `path`; `label` names the operation on a
    /// progress bar drawn on `streams`.
    static func write(_ chunks: [UnsafeRawBufferPointer], to path: String, label: String,
                      streams: OutputStreams) throws(CLIFailure) {
        var pieces: [UnsafeRawBufferPointer] = []
        var total: UInt64 = 0
        for chunk in chunks {
            total += UInt64(chunk.count)
            var start = 0
            while start < chunk.count {
                let end = min(start + pieceSize, chunk.count)
                pieces.append(UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
                start = end
            }
        }
        let bar = ProgressBar.make(label: label, total: total, streams: streams)
        defer { bar?.finish() }
        do {
            try AtomicFileWriter.write(pieces, to: path) { written in bar?.update(UInt64(written)) }
        } catch let error as AtomicFileWriter.WriteError {
            throw .invalid(error.description)
        } catch {
            throw .invalid("cannot write \(path): \(error)")
        }
    }

    /// Writes `image` to `path`, its contents streamed from their sources;
    /// the progress bar is drawn on `streams`.
    static func write(_ image: EncodedImage, to path: String, label: String, streams: OutputStreams) throws(CLIFailure) {
        let bar = ProgressBar.make(label: label, total: UInt64(image.fileSize), streams: streams)
        defer { bar?.finish() }
        do throws(AtomicFileWriter.WriteError) {
            try AtomicFileWriter.write(to: path, produce: { (sink) throws(AtomicFileWriter.WriteError) in
                try image.write(to: sink, pieceSize: pieceSize, progress: { (written) throws(AtomicFileWriter.WriteError) in bar?.update(UInt64(written)) },
                                systemFailure: { $0 })
            }, systemFailure: { $0 })
        } catch {
            throw .invalid(error.description)
        }
    }

    /// Writes `source` to `path` in pieces of ``pieceSize`` (file ranges
    /// inside the kernel); the progress bar is drawn on `streams`.
    static func write(_ source: ByteSource, to path: String, label: String, streams: OutputStreams) throws(CLIFailure) {
        let bar = ProgressBar.make(label: label, total: UInt64(source.count), streams: streams)
        defer { bar?.finish() }
        do throws(AtomicFileWriter.WriteError) {
            try AtomicFileWriter.write(to: path, produce: { (sink) throws(AtomicFileWriter.WriteError) in
                var start = 0
                while start < source.count {
                    let stop = min(start + pieceSize, source.count)
                    try sink.write(source.slice(start..<stop))
                    bar?.update(UInt64(sink.written))
                    start = stop
                }
            }, systemFailure: { $0 })
        } catch {
            throw .invalid(error.description)
        }
    }

    /// Writes one byte array to `path`.
    static func write(_ bytes: [UInt8], to path: String, label: String, streams: OutputStreams) throws(CLIFailure) {
        let outcome = bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> CLIFailure? in
            do {
                try write([raw], to: path, label: label, streams: streams)
                return nil
            } catch let failure as CLIFailure {
                return failure
            } catch {
                return .invalid("cannot write \(path): \(error)")
            }
        }
        if let outcome { throw outcome }
    }
}
