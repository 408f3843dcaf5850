import HandoverModel
import KernelABI

/// Everything the reader recovered from a KHO image.
public struct DecodedImage: Sendable {
    /// The handover as a model: what the writer would need to produce the
    /// same image again.
    public var state: HandoverState
    /// Where each part was found.
    public var layout: HandoverLayout
    /// The KHO root FDT (`totalsize` bytes), as debugfs shows it.
    public var khoRootFDT: [UInt8]
    /// The LUO FDT (`totalsize` bytes), as debugfs shows it; in `luo-v5`
    /// (v7.2+) the 32-byte `struct luo_ser` blob registered as `LUO`.
    public var luoFDT: [UInt8]
    /// Subtrees of the KHO root FDT other than `LUO`.
    public var otherSubtrees: [KHOv2RootFDT.Subtree]
    /// Preserved blocks that no LUO structure refers to.
    public var unreferencedBlocks: [PreservedBlock]
    /// What the incoming kernel accepts but no outgoing kernel writes
    /// (see ``ReaderWarning``), in the order the reader met them.
    public var warnings: [ReaderWarning] = []
}

/// What an input file turned out to be.
public enum HandoverInput: Sendable {
    /// A complete KHO image.
    case image(DecodedImage)
    /// A bare KHO root FDT (debugfs `kho/out/fdt`): addresses only.
    case khoRootFDT(KHOv2RootFDT.Contents)
    /// A bare LUO FDT (debugfs `kho/out/sub_fdts/LUO`): addresses only.
    case luoFDT(LUOv1FDT.Contents)
    /// A bare `luo-v5` `struct luo_ser` (debugfs `kho/*/sub_fdts/LUO` of
    /// v7.2+, 32 bytes): the numbers and addresses it holds.
    case luoSer(LUOSer)
}
