import HexFormat

/// A one-line progress bar on stderr for long writes: shown only when the
/// total is above ``threshold`` and stderr is a terminal.
final class ProgressBar {
    /// Writes of more than 64 MiB get a bar.
    static let threshold: UInt64 = 64 << 20

    private let label: String
    private let total: UInt64
    private let streams: OutputStreams
    private var lastPercent = -1
    private var finished = false

    private init(label: String, total: UInt64, streams: OutputStreams) {
        self.label = label
        self.total = total
        self.streams = streams
    }

    /// A bar for `total` bytes on `streams`' stderr, or `nil` when none
    /// should be drawn.
    static func make(label: String, total: UInt64, streams: OutputStreams) -> ProgressBar? {
        guard total > threshold, streams.errorIsTerminal else { return nil }
        return ProgressBar(label: label, total: total, streams: streams)
    }

    /// Redraws the bar for `done` bytes when the whole percentage changed.
    func update(_ done: UInt64) {
        let percent = Int(min(done, total) * 100 / max(total, 1))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        streams.writeError("\r\(label) [\(bar)] \(percent)% \(Hex.byteCount(min(done, total)))/\(Hex.byteCount(total))")
    }

    /// Ends the line.
    func finish() {
        guard !finished else { return }
        finished = true
        streams.writeError("\n")
    }
}
