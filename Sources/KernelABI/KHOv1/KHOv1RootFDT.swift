import ABIGeneration
import FDT

/// The KHO root FDT of generation `kho-v1` (Linux v6.19 and v7.0:
/// kernel/liveupdate/kexec_handover.c `kho_out_fdt_setup`, `kho_add_subtree`,
/// `kho_update_memory_map`; include/linux/kho/abi/kexec_handover.h of v7.0).
///
/// ```
/// / {
///     compatible = "kho-v1";
///     preserved-memory-map = <u64 raw: 0 until kho_finalize, then the first chunk>;
///     LUO { fdt = <u64 raw: LUO FDT>; };
/// };
/// ```
///
/// The calls are `kho-v2`'s with the subtree property called `fdt`; the
/// memory map starts as 0 and `kho_finalize` overwrites the 8 bytes in place
/// (`fdt_getprop_w`, no resize), so finalizing moves no other byte.
public enum KHOv1RootFDT {
    /// `KHO_FDT_COMPATIBLE` in v6.19/v7.0.
    public static let compatible = KHORootFormat.khoV1.compatible
    /// `KHO_FDT_MEMORY_MAP_PROP_NAME`.
    public static let memoryMapProperty = KHOv2RootFDT.memoryMapProperty
    /// `KHO_FDT_SUB_TREE_PROP_NAME` (`PROP_SUB_FDT` in v6.19).
    public static let subtreeProperty = KHORootFormat.khoV1.subtreeProperty
    /// The root FDT lives in one page (`kho_alloc_preserve(PAGE_SIZE)`).
    public static let size = PageGeometry.pageSize

    /// `kho_out_fdt_setup` into `page`: the memory map is 0 at boot.
    public static func makeSkeleton(into page: AlignedBytes) throws(FDTError) -> FDTEditor {
        try KHOv2RootFDT.makeSkeleton(memoryMapPhys: 0, into: page, compatible: compatible)
    }

    /// `kho_add_subtree(name, fdt)`: as `kho-v2`'s, with property `fdt`.
    public static func addSubtree(to root: FDTEditor, name: String, phys: UInt64) throws(FDTError) {
        try KHOv2RootFDT.addSubtree(to: root, name: name, phys: phys, property: subtreeProperty)
    }

    /// `kho_update_memory_map`: the first chunk's address written over the
    /// property's 8 bytes, in place.
    public static func setMemoryMap(in root: FDTEditor, firstChunk: UInt64) throws(FDTError) {
        try root.setPropertyInPlace(nodeOffset: 0, name: memoryMapProperty,
                                    bytes: withUnsafeBytes(of: firstChunk.littleEndian, Array.init))
    }

    /// Reads a `kho-v1` root as `kho_populate` and `kho_retrieve_subtree`
    /// do: compatible, an 8-byte memory map; each subnode with an 8-byte
    /// `fdt` is a subtree, the others are unusable.
    public static func parse(_ blob: FDTBlob) throws(ABIError) -> KHOv2RootFDT.Contents {
        try KHOv2RootFDT.parse(blob, compatible: compatible, subtreeProperty: subtreeProperty)
    }
}
