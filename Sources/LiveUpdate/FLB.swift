/// A File-Lifecycle-Bound global object (`struct liveupdate_flb`): state
/// shared by every file of the handlers it is registered with, preserved
/// when the first such file is preserved, unpreserved when the last one is
/// unpreserved, and on the incoming side retrieved on demand and finished
/// when the last dependent file is finished. Its `data` u64 and the number
/// of dependent files are handed over in the FLB block.
public protocol FLB: AnyObject {
    /// The FLB's compatible string (1 to 47 bytes), its name in the image.
    var compatible: String { get }
    /// Saves the global state: sets `args.data` (handed over) and
    /// `args.object` (the live object).
    func preserve(_ args: inout FLBOperationArguments) throws(LiveUpdateError)
    /// The last dependent file was unpreserved: gets the `data` and object
    /// from preserve.
    func unpreserve(_ args: FLBOperationArguments)
    /// Rebuilds the live object from `args.data` and sets `args.object`.
    func retrieve(_ args: inout FLBOperationArguments) throws(LiveUpdateError)
    /// The last dependent file was finished: gets the retrieved object.
    func finish(_ args: FLBOperationArguments)
}

/// What every FLB callback receives (`struct liveupdate_flb_op_args`).
public struct FLBOperationArguments {
    /// The FLB being called.
    public let flb: any FLB
    /// The handed-over `u64`: set by preserve, given to unpreserve and retrieve.
    public var data: UInt64
    /// The live object: set by preserve and retrieve, given to unpreserve and finish.
    public var object: Any?

    /// Arguments as the orchestrator builds them; public so that an FLB can
    /// be unit-tested by calling its callbacks directly.
    public init(flb: any FLB, data: UInt64 = 0, object: Any? = nil) {
        self.flb = flb
        self.data = data
        self.object = object
    }
}
