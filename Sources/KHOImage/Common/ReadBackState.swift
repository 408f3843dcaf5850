import HandoverModel
import KernelABI

extension HandoverState {
    /// The state a reader gives back after this state went through an image:
    /// each payload fills its whole `kho_alloc_preserve` block of
    /// `4096 << get_order(count)` bytes, zero-padded (docs/FORMAT.md 2.8).
    /// Everything else reads back unchanged.
    public var readBackFromImage: HandoverState {
        var state = self
        for s in state.sessions.indices {
            for f in state.sessions[s].files.indices {
                if case let .payload(bytes) = state.sessions[s].files[f].content, !bytes.isEmpty {
                    let block = PageGeometry.pageSize << PageGeometry.order(forBytes: bytes.count)
                    state.sessions[s].files[f].content = .payload(bytes + [UInt8](repeating: 0, count: block - bytes.count))
                }
            }
        }
        return state
    }
}
