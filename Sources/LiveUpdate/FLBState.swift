/// The orchestrator's bookkeeping for one registered FLB (`struct
/// luo_flb_private`): its users and its separate outgoing and incoming state.
final class FLBState {
    let flb: any FLB
    /// How many handlers it is registered with.
    var users = 0

    /// Outgoing: files currently depending on it, and what preserve gave.
    var outgoingCount: UInt64 = 0
    var outgoingData: UInt64 = 0
    var outgoingObject: Any?

    /// Incoming: the count and data from the image (once looked up), the
    /// retrieved object and whether finish ran.
    var incomingCount: UInt64?
    var incomingData: UInt64 = 0
    var incomingObject: Any?
    var incomingRetrieved = false
    /// The error of the last failed retrieve (v7.3 returns it again).
    var incomingRetrieveError: LiveUpdateError?
    var incomingFinished = false

    init(flb: any FLB) {
        self.flb = flb
    }
}
