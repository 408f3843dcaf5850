import FDT

/// The LUO FDT (kernel/liveupdate/luo_core.c `luo_fdt_setup`, with
/// `luo_session_setup_outgoing` and `luo_flb_setup_outgoing`).
///
/// ```
/// / {
///     compatible = "luo-v1";
///     liveupdate-number = <u64 raw>;
///     luo-session { compatible = "luo-session-v2"; luo-session-header = <u64 raw>; };
///     luo-flb { compatible = "luo-flb-v1"; luo-flb-header = <u64 raw>; };
/// };
/// ```
public enum LUOv1FDT {
    /// What the LUO FDT says.
    public struct Contents: Equatable, Sendable {
        /// `liveupdate-number`.
        public var liveupdateNumber: UInt64
        /// Physical address of `struct luo_session_header_ser`.
        public var sessionHeaderPhys: UInt64
        /// Physical address of `struct luo_flb_header_ser`.
        public var flbHeaderPhys: UInt64

        /// Creates the contents.
        public init(liveupdateNumber: UInt64, sessionHeaderPhys: UInt64, flbHeaderPhys: UInt64) {
            self.liveupdateNumber = liveupdateNumber
            self.sessionHeaderPhys = sessionHeaderPhys
            self.flbHeaderPhys = flbHeaderPhys
        }
    }

    /// The kernel's call sequence into a zeroed page; the writer's buffer
    /// is the whole page as the kernel leaves it.
    public static func build(_ contents: Contents) throws(FDTError) -> FDTSequentialWriter {
        try build(contents, into: AlignedBytes(zeroedCount: LUOv1.fdtSize))
    }

    /// The same calls into `page`, a zero-filled buffer of `LUO_FDT_SIZE`
    /// bytes the caller owns (the image's own page, say).
    /// Without `flb` (v6.19, which had no FLBs) the `luo-flb` node is left out.
    public static func build(_ contents: Contents, into page: AlignedBytes, flb: Bool = true) throws(FDTError) -> FDTSequentialWriter {
        precondition(page.count == LUOv1.fdtSize, "the LUO FDT lives in one page")
        let writer = try FDTSequentialWriter(writingInto: page)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.property("compatible", string: LUOv1.compatible)
        try writer.property(LUOv1.liveupdateNumberProperty, rawU64: contents.liveupdateNumber)
        try writer.beginNode(LUOv1.sessionNodeName)
        try writer.property("compatible", string: LUOv1.sessionCompatible)
        try writer.property(LUOv1.sessionHeaderProperty, rawU64: contents.sessionHeaderPhys)
        try writer.endNode()
        if flb {
            try writer.beginNode(LUOv1.flbNodeName)
            try writer.property("compatible", string: LUOv1.flbCompatible)
            try writer.property(LUOv1.flbHeaderProperty, rawU64: contents.flbHeaderPhys)
            try writer.endNode()
        }
        try writer.endNode()
        try writer.finish()
        return writer
    }

    /// Reads a LUO FDT with the incoming kernel's checks
    /// (`luo_early_startup`, `luo_session_setup_incoming`,
    /// `luo_flb_setup_incoming`): each compatible, each u64 exactly 8 bytes.
    public static func parse(_ blob: FDTBlob) throws(ABIError) -> Contents {
        try parse(blob, flb: .required)
    }

    /// Whether a reading wants the `luo-flb` node.
    public enum FLBNode: Sendable {
        /// v7.0 on: the node must be there.
        case required
        /// `kho-v1` roots: v7.0 has the node, v6.19 does not; a missing node
        /// gives `flbHeaderPhys` 0.
        case optional
    }

    /// Reads a LUO FDT; with `flb` `.optional` a missing `luo-flb` node is
    /// not an error (v6.19) and `flbHeaderPhys` is then 0.
    public static func parse(_ blob: FDTBlob, flb flbNode: FLBNode) throws(ABIError) -> Contents {
        let root = blob.root
        try root.requireCompatible(LUOv1.compatible, known: KnownGenerations.luoRoot)
        let number = try root.kernelU64(LUOv1.liveupdateNumberProperty)
        let session = try root.requiredSubnode(LUOv1.sessionNodeName)
        try session.requireCompatible(LUOv1.sessionCompatible, known: KnownGenerations.luoSession)
        let sessionHeader = try session.kernelU64(LUOv1.sessionHeaderProperty)
        if flbNode == .optional, root.subnode(LUOv1.flbNodeName) == nil {
            return Contents(liveupdateNumber: number, sessionHeaderPhys: sessionHeader, flbHeaderPhys: 0)
        }
        let flb = try root.requiredSubnode(LUOv1.flbNodeName)
        try flb.requireCompatible(LUOv1.flbCompatible, known: KnownGenerations.luoFLB)
        let flbHeader = try flb.kernelU64(LUOv1.flbHeaderProperty)
        return Contents(liveupdateNumber: number, sessionHeaderPhys: sessionHeader, flbHeaderPhys: flbHeader)
    }
}
