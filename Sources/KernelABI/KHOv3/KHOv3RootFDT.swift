import ABIGeneration
import FDT

/// The KHO root FDT of generation `kho-v3` (Linux v7.1:
/// kernel/liveupdate/kexec_handover.c, include/linux/kho/abi/kexec_handover.h).
///
/// ```
/// / {
///     compatible = "kho-v3";
///     preserved-memory-map = <u64 raw: radix tree root>;
///     LUO { blob-size = <u64 raw>; preserved-data = <u64 raw>; };
///     kexec-metadata { blob-size = <u64 raw: 73>; preserved-data = <u64 raw>; };
/// };
/// ```
///
/// The skeleton is `kho-v2`'s with another compatible. Each subtree gets a
/// second u64, `blob-size`, set after `preserved-data`; because
/// `fdt_setprop` inserts a new property at the start of its node, the bytes
/// hold `blob-size` first. `fdt_add_subnode` inserts a node right after the
/// root's properties, so the subtree added last comes first.
public enum KHOv3RootFDT {
    /// `KHO_FDT_COMPATIBLE` in v7.1.
    public static let compatible = KernelGeneration.linux7_1.khoRoot.compatible
    /// `KHO_FDT_MEMORY_MAP_PROP_NAME`.
    public static let memoryMapProperty = "preserved-memory-map"
    /// `KHO_SUB_TREE_PROP_NAME`.
    public static let subtreeProperty = "preserved-data"
    /// `KHO_SUB_TREE_SIZE_PROP_NAME`.
    public static let blobSizeProperty = "blob-size"
    /// The root FDT lives in one page (`kho_alloc_preserve(PAGE_SIZE)`).
    public static let size = PageGeometry.pageSize

    /// `kho_out_fdt_setup` into `page`, a zero-filled page the caller owns.
    public static func makeSkeleton(memoryMapPhys: UInt64, into page: AlignedBytes) throws(FDTError) -> FDTEditor {
        try makeSkeleton(memoryMapPhys: memoryMapPhys, into: page, compatible: compatible)
    }

    /// The same skeleton with another root `compatible` (`kho-v4` shares
    /// every other byte). `kho_out_fdt_setup` has not changed since
    /// `kho-v2`, so its one implementation builds it.
    static func makeSkeleton(memoryMapPhys: UInt64, into page: AlignedBytes, compatible: String) throws(FDTError) -> FDTEditor {
        try KHOv2RootFDT.makeSkeleton(memoryMapPhys: memoryMapPhys, into: page, compatible: compatible)
    }

    /// `kho_out_fdt_setup` into a fresh zeroed page.
    public static func makeSkeleton(memoryMapPhys: UInt64) throws(FDTError) -> FDTEditor {
        try makeSkeleton(memoryMapPhys: memoryMapPhys, into: AlignedBytes(zeroedCount: size))
    }

    /// `kho_add_subtree(name, blob, size)` of v7.1: reopen in place to a
    /// page, add the node, set `preserved-data` then `blob-size`, pack. If
    /// either property fails the node is deleted again (`out_del_node`);
    /// whatever happens the tree is packed before the error is thrown.
    public static func addSubtree(to root: FDTEditor, name: String, phys: UInt64, blobSize: UInt64) throws(FDTError) {
        try KHOv2RootFDT.addSubtree(to: root, name: name, properties: [(subtreeProperty, phys), (blobSizeProperty, blobSize)],
                                    onPropertyFailure: .deleteNode)
    }

    /// One subnode of the root: a handed-over blob and its size.
    public struct Subtree: Equatable, Sendable {
        /// The node name.
        public var name: String
        /// The blob's physical address (`preserved-data`).
        public var phys: UInt64
        /// The blob's size in bytes (`blob-size`).
        public var blobSize: UInt64

        /// Creates an entry.
        public init(name: String, phys: UInt64, blobSize: UInt64) {
            self.name = name
            self.phys = phys
            self.blobSize = blobSize
        }
    }

    /// What a `kho-v3` root FDT says.
    public struct Contents: Equatable, Sendable {
        /// The radix tree's root node.
        public var memoryMapPhys: UInt64
        /// Every usable subtree, in the order of the bytes.
        public var subtrees: [Subtree]
        /// Subnodes `kho_retrieve_subtree` refuses (`-EINVAL`): no 8-byte
        /// `preserved-data`, or no 8-byte `blob-size`.
        public var unusableSubtrees: [KHOv2RootFDT.UnusableSubtree]

        /// Creates the contents.
        public init(memoryMapPhys: UInt64, subtrees: [Subtree], unusableSubtrees: [KHOv2RootFDT.UnusableSubtree] = []) {
            self.memoryMapPhys = memoryMapPhys
            self.subtrees = subtrees
            self.unusableSubtrees = unusableSubtrees
        }

        /// The subtree called `name`, the error that makes it unusable, or
        /// `nil` when there is no such node.
        public func lookup(_ name: String) -> Result<Subtree, ABIError>? {
            if let subtree = subtrees.first(where: { $0.name == name }) { return .success(subtree) }
            if let broken = unusableSubtrees.first(where: { $0.name == name }) { return .failure(broken.error) }
            return nil
        }

        /// The same tree without the blob sizes, in the shape the bare-FDT
        /// views of every generation share.
        public var addressesOnly: KHOv2RootFDT.Contents {
            KHOv2RootFDT.Contents(memoryMapPhys: memoryMapPhys,
                                  subtrees: subtrees.map { KHOv2RootFDT.Subtree(name: $0.name, phys: $0.phys) },
                                  unusableSubtrees: unusableSubtrees)
        }
    }

    /// Reads a root FDT as `kho_populate`, `kho_mem_retrieve` and
    /// `kho_retrieve_subtree` of v7.1 do: compatible, an 8-byte memory map
    /// address; each subnode needs an 8-byte `preserved-data` and an 8-byte
    /// `blob-size` to be usable.
    public static func parse(_ blob: FDTBlob) throws(ABIError) -> Contents {
        try parse(blob, compatible: compatible)
    }

    /// The same reading for a root whose `compatible` must be `compatible`.
    static func parse(_ blob: FDTBlob, compatible: String) throws(ABIError) -> Contents {
        let root = blob.root
        try root.requireCompatible(compatible, known: KnownGenerations.khoRoot)
        let memoryMap = try root.kernelU64(memoryMapProperty)
        var subtrees: [Subtree] = []
        var unusable: [KHOv2RootFDT.UnusableSubtree] = []
        let children: [FDTNodeRef]
        do { children = try root.subnodes() } catch { throw .fdt(error) }
        for child in children {
            do {
                let phys = try child.kernelU64(subtreeProperty)
                let size = try child.kernelU64(blobSizeProperty)
                subtrees.append(Subtree(name: child.name, phys: phys, blobSize: size))
            } catch {
                unusable.append(KHOv2RootFDT.UnusableSubtree(name: child.name, error: error))
            }
        }
        return Contents(memoryMapPhys: memoryMap, subtrees: subtrees, unusableSubtrees: unusable)
    }
}
