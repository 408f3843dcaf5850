import FDT

/// The KHO root FDT of generation `kho-v2` (kernel/liveupdate/kexec_handover.c,
/// include/linux/kho/abi/kexec_handover.h).
///
/// ```
/// / {
///     compatible = "kho-v2";
///     preserved-memory-map = <u64 raw: radix tree root>;
///     LUO { preserved-data = <u64 raw: LUO FDT>; };
/// };
/// ```
public enum KHOv2RootFDT {
    /// `KHO_FDT_COMPATIBLE`.
    public static let compatible = "kho-v2"
    /// `KHO_FDT_MEMORY_MAP_PROP_NAME`.
    public static let memoryMapProperty = "preserved-memory-map"
    /// `KHO_FDT_SUB_TREE_PROP_NAME`.
    public static let subtreeProperty = "preserved-data"
    /// The root FDT lives in one page (`kho_alloc_preserve(PAGE_SIZE)`).
    public static let size = PageGeometry.pageSize

    /// `kho_out_fdt_setup`: the skeleton built at boot, in a zeroed page.
    /// The returned editor's buffer is the whole page.
    public static func makeSkeleton(memoryMapPhys: UInt64) throws(FDTError) -> FDTEditor {
        try makeSkeleton(memoryMapPhys: memoryMapPhys, into: AlignedBytes(zeroedCount: size))
    }

    /// `kho_out_fdt_setup` into `page`, a zero-filled buffer of ``size``
    /// bytes the caller owns (the image's own page, say).
    public static func makeSkeleton(memoryMapPhys: UInt64, into page: AlignedBytes) throws(FDTError) -> FDTEditor {
        try makeSkeleton(memoryMapPhys: memoryMapPhys, into: page, compatible: compatible)
    }

    /// The same skeleton with another root `compatible` (`kho-v1` shares
    /// every other byte).
    static func makeSkeleton(memoryMapPhys: UInt64, into page: AlignedBytes, compatible: String) throws(FDTError) -> FDTEditor {
        precondition(page.count == size, "the KHO root FDT lives in one page")
        let writer = try FDTSequentialWriter(writingInto: page)
        try writer.finishReservemap()
        try writer.beginNode("")
        try writer.property("compatible", string: compatible)
        try writer.property(memoryMapProperty, rawU64: memoryMapPhys)
        try writer.endNode()
        try writer.finish()
        return FDTEditor(editing: writer.buffer)
    }

    /// `kho_add_subtree(name, blob)`: reopen in place to a page, add the
    /// subnode, set `preserved-data`, pack. An existing name is
    /// `FDT_ERR_EXISTS` (the kernel returns `-EEXIST`). Whatever fails, the
    /// tree is packed before the error is thrown (`goto out_pack`).
    public static func addSubtree(to root: FDTEditor, name: String, phys: UInt64) throws(FDTError) {
        try addSubtree(to: root, name: name, phys: phys, property: subtreeProperty)
    }

    /// The same calls with the subtree's u64 called `property` (`fdt` in `kho-v1`).
    static func addSubtree(to root: FDTEditor, name: String, phys: UInt64, property: String) throws(FDTError) {
        try addSubtree(to: root, name: name, properties: [(property, phys)], onPropertyFailure: .keepNode)
    }

    /// What `kho_add_subtree` leaves when setting a property of the new node fails.
    enum PropertyFailure {
        /// The node stays without it (v6.19 to v7.0 and `kho-v2`).
        case keepNode
        /// The node is deleted again (`out_del_node`, v7.1 on).
        case deleteNode
    }

    /// Every generation's `kho_add_subtree`: reopen in place to a page, add
    /// the subnode, set `properties` in order, pack; whatever fails, the
    /// tree is packed before the error is thrown.
    static func addSubtree(to root: FDTEditor, name: String, properties: [(name: String, value: UInt64)],
                           onPropertyFailure: PropertyFailure) throws(FDTError) {
        try root.openInPlace(capacity: size)
        let node: Int32
        do {
            node = try root.addSubnode(parentOffset: 0, name: name)
        } catch {
            try root.pack()
            throw error
        }
        do {
            for property in properties { try root.setProperty(nodeOffset: node, name: property.name, rawU64: property.value) }
        } catch {
            if onPropertyFailure == .deleteNode { try root.deleteNode(offset: node) }
            try root.pack()
            throw error
        }
        try root.pack()
    }

    /// What a `kho-v2` root FDT says.
    public struct Contents: Equatable, Sendable {
        /// The physical address of the radix tree's root node.
        public var memoryMapPhys: UInt64
        /// Every usable subtree in order: its node name and its `preserved-data`.
        public var subtrees: [Subtree]
        /// Subnodes whose `preserved-data` is missing or not 8 bytes: the
        /// kernel's `kho_retrieve_subtree` refuses only these (`-EINVAL`),
        /// and a failed `kho_add_subtree` can leave such a node behind.
        public var unusableSubtrees: [UnusableSubtree]

        /// Creates the contents.
        public init(memoryMapPhys: UInt64, subtrees: [Subtree], unusableSubtrees: [UnusableSubtree] = []) {
            self.memoryMapPhys = memoryMapPhys
            self.subtrees = subtrees
            self.unusableSubtrees = unusableSubtrees
        }

        /// The subtree called `name`: its address, or the error that makes it
        /// unusable, or `nil` when there is no such node.
        public func lookup(_ name: String) -> Result<UInt64, ABIError>? {
            if let subtree = subtrees.first(where: { $0.name == name }) { return .success(subtree.phys) }
            if let broken = unusableSubtrees.first(where: { $0.name == name }) { return .failure(broken.error) }
            return nil
        }
    }

    /// A subnode of the root without a usable `preserved-data`.
    public struct UnusableSubtree: Equatable, Sendable {
        /// The node name.
        public var name: String
        /// Why its `preserved-data` cannot be used.
        public var error: ABIError

        /// Creates an entry.
        public init(name: String, error: ABIError) {
            self.name = name
            self.error = error
        }
    }

    /// One subnode of the root: a subsystem's handed-over blob.
    public struct Subtree: Equatable, Sendable {
        /// The node name (`LUO` for the Live Update Orchestrator).
        public var name: String
        /// The blob's physical address.
        public var phys: UInt64

        /// Creates a subtree entry.
        public init(name: String, phys: UInt64) {
            self.name = name
            self.phys = phys
        }
    }

    /// Reads a root FDT the way `kho_populate` and `kho_retrieve_subtree`
    /// do: compatible first, then an 8-byte memory-map address; each subnode
    /// with an 8-byte `preserved-data` is a subtree, the others are listed as
    /// unusable (the kernel only refuses them when asked for them).
    public static func parse(_ blob: FDTBlob) throws(ABIError) -> Contents {
        try parse(blob, compatible: compatible, subtreeProperty: subtreeProperty)
    }

    /// The same reading with another root compatible and subtree property.
    static func parse(_ blob: FDTBlob, compatible: String, subtreeProperty: String) throws(ABIError) -> Contents {
        let root = blob.root
        try root.requireCompatible(compatible, known: KnownGenerations.khoRoot)
        let memoryMap = try root.kernelU64(memoryMapProperty)
        var subtrees: [Subtree] = []
        var unusable: [UnusableSubtree] = []
        let children: [FDTNodeRef]
        do { children = try root.subnodes() } catch { throw .fdt(error) }
        for child in children {
            do {
                subtrees.append(Subtree(name: child.name, phys: try child.kernelU64(subtreeProperty)))
            } catch {
                unusable.append(UnusableSubtree(name: child.name, error: error))
            }
        }
        return Contents(memoryMapPhys: memoryMap, subtrees: subtrees, unusableSubtrees: unusable)
    }
}
