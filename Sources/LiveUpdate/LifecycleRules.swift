import ABIGeneration

/// The lifecycle rules that depend on which kernel release the orchestrator
/// stands for, read from that release's `kernel/liveupdate/` sources.
///
/// v7.1 and v7.3 agree on registration (any time, also with sessions open;
/// no compatible check; duplicates `-EEXIST`; an FLB for an unregistered
/// handler `-EINVAL`; unregistering returns nothing). They differ in what an
/// FLB's failed retrieve leaves behind. v7.0 and v6.19 refuse every
/// (un)registration while any session exists, incoming or outgoing
/// (`luo_session_quiesce()`, removed in v7.1), with `-EBUSY`; v6.19 has no
/// FLBs at all.
public struct LifecycleRules: Hashable, Sendable {
    /// Whether an FLB whose retrieve failed returns the same error on every
    /// later attempt without calling retrieve again. v7.3 (`luo_flb.c`:
    /// `incoming.retrieve_status < 0` returns it) does; v7.1 (a
    /// `retrieved` flag only) calls retrieve again. The same holds at finish,
    /// where the last dependent file retrieves an FLB nobody retrieved.
    public var flbRetrieveFailureIsSticky: Bool

    /// Whether registering or unregistering a file handler or an FLB needs
    /// the system quiescent, no session in either list, and is `-EBUSY`
    /// otherwise: v6.19 and v7.0 (`luo_session_quiesce()`, checked after the
    /// callback and handler checks and before the duplicate checks).
    public var registrationNeedsNoSessions: Bool
    /// Whether the kernel has FLBs at all (not v6.19).
    public var hasFLBs: Bool

    /// The rules of `generation`'s kernel: v7.2/v7.3 (`.linux7_3`), v7.1
    /// (`.linux7_1`, and the pre-release `kho-v2`, modelled on v7.1), v7.0
    /// (`.linux7_0`) or v6.19 (`.linux6_19`).
    public init(_ generation: KernelGeneration) {
        flbRetrieveFailureIsSticky = generation == .linux7_3
        registrationNeedsNoSessions = generation == .linux7_0 || generation == .linux6_19
        hasFLBs = generation.limits.maxFLBs > 0
    }

    /// Rules given field by field.
    public init(flbRetrieveFailureIsSticky: Bool, registrationNeedsNoSessions: Bool = false, hasFLBs: Bool = true) {
        self.flbRetrieveFailureIsSticky = flbRetrieveFailureIsSticky
        self.registrationNeedsNoSessions = registrationNeedsNoSessions
        self.hasFLBs = hasFLBs
    }
}
