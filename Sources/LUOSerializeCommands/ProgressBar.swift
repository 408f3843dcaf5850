import SystemSupport
import HexFormat
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr for long writes: shown only when the
/// total is above ``threshold`` and stderr is a terminal (`isatty(2)`).
final class ProgressBar {
    /// Writes of more than 64 MiB get a bar.
    static let threshold: UInt64 = 64 << 20

    private let label: String
    private let total: UInt64
    private var lastPercent = -1
    private var finished = false

    private init(label: String, total: UInt64) {
        self.label = label
        self.total = total
    }

    /// A bar for `total` bytes, or `nil` when none should be drawn.
    static func make(label: String, total: UInt64) -> ProgressBar? {
        guard total > threshold, FileDescriptor.standardError.isTerminal else { return nil }
        return ProgressBar(label: label, total: total)
    }

    /// Redraws the bar for `done` bytes when the whole percentage changed.
    func update(_ done: UInt64) {
        let percent = Int(min(done, total) * 100 / max(total, 1))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        StandardStreams.writeError("\r\(label) [\(bar)] \(percent)% \(Hex.byteCount(min(done, total)))/\(Hex.byteCount(total))")
    }

    /// Ends the line.
    func finish() {
        guard !finished else { return }
        finished = true
        StandardStreams.writeError("\n")
    }
}
