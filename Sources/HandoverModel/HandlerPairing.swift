import ABIGeneration

/// Why a file's content cannot go with its compatible: the one rule that
/// pairs the generation's memfd handler with `.memfd` content. A memfd is
/// only ever preserved by that handler, and that handler only ever
/// preserves a memfd (or, read back, its raw `data` when its state cannot
/// be retrieved); a payload is another handler's block.
public enum HandlerPairingProblem: Equatable, Sendable {
    /// `.memfd` content under a compatible that is not the memfd handler's
    /// (`expected`): another handler's `data` would point at a
    /// `memfd_luo_ser` the next kernel reads as an opaque block.
    case memfdNeedsMemfdHandler(expected: String)
    /// `.payload` content under the memfd handler's compatible: its
    /// retrieve would read the block as a `memfd_luo_ser`.
    case memfdHandlerNeedsMemfd
}

extension MemfdFormat {
    /// Whether files with `compatible` are this handler's: their `data` is
    /// a `memfd_luo_ser`.
    @inlinable public func handles(_ compatible: String) -> Bool { compatible == self.compatible }
}

extension FileRecord {
    /// What is wrong with this file's content under its compatible in a
    /// generation whose memfd handler is `format`; `nil` when they go
    /// together. Raw `.data` goes with any compatible.
    public func pairingProblem(memfd format: MemfdFormat) -> HandlerPairingProblem? {
        switch content {
        case .data: return nil
        case .memfd: return format.handles(compatible) ? nil : .memfdNeedsMemfdHandler(expected: format.compatible)
        case .payload: return format.handles(compatible) ? .memfdHandlerNeedsMemfd : nil
        }
    }
}
