import ABIGeneration

/// The lifecycle rules that depend on which kernel release the orchestrator
/// stands for, read from that release's `kernel/liveupdate/` sources.
///
/// v7.1 and v7.3 agree on registration (any time, also with sessions open;
/// no compatible check; duplicates `-EEXIST`; an FLB for an unregistered
/// handler `-EINVAL`; unregistering returns nothing). They differ in what an
/// FLB's failed retrieve leaves behind. v7.0 and v6.19 are not supported
/// generations; docs/LIFECYCLE.md lists what they did differently.
public struct LifecycleRules: Hashable, Sendable {
    /// Whether an FLB whose retrieve failed returns the same error on every
    /// later attempt without calling retrieve again. v7.3 (`luo_flb.c`:
    /// `incoming.retrieve_status < 0` returns it) does; v7.1 (a
    /// `retrieved` flag only) calls retrieve again. The same holds at finish,
    /// where the last dependent file retrieves an FLB nobody retrieved.
    public var flbRetrieveFailureIsSticky: Bool

    /// The rules of `generation`'s kernel: v7.2/v7.3 (`.linux7_3`) or v7.1
    /// (`.linux7_1`, and the pre-release `kho-v2`, modelled on v7.1).
    public init(_ generation: KernelGeneration) {
        flbRetrieveFailureIsSticky = generation == .linux7_3
    }

    /// Rules given field by field.
    public init(flbRetrieveFailureIsSticky: Bool) {
        self.flbRetrieveFailureIsSticky = flbRetrieveFailureIsSticky
    }
}
