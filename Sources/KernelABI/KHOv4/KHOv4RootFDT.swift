import ABIGeneration
import FDT

/// The KHO root FDT of generation `kho-v4` (Linux v7.2 and v7.3:
/// kernel/liveupdate/kexec_handover.c, include/linux/kho/abi/kexec_handover.h).
///
/// Byte for byte the `kho-v3` root with `compatible = "kho-v4"`: the same
/// skeleton (`compatible`, `preserved-memory-map`), each subtree a node with
/// `blob-size` then `preserved-data` (u64 raw, host order) in the bytes,
/// the subtree added last first. The version was bumped because what LUO
/// puts under its subtree changed (a packed `luo_ser`, not an FDT), not
/// because the root's own layout did.
public enum KHOv4RootFDT {
    /// `KHO_FDT_COMPATIBLE` in v7.2 and v7.3.
    public static let compatible = KernelGeneration.linux7_3.khoRoot.compatible
    /// The root FDT lives in one page.
    public static let size = KHOv3RootFDT.size

    /// `kho_out_fdt_setup` into `page`, a zero-filled page the caller owns.
    public static func makeSkeleton(memoryMapPhys: UInt64, into page: AlignedBytes) throws(FDTError) -> FDTEditor {
        try KHOv3RootFDT.makeSkeleton(memoryMapPhys: memoryMapPhys, into: page, compatible: compatible)
    }

    /// `kho_out_fdt_setup` into a fresh zeroed page.
    public static func makeSkeleton(memoryMapPhys: UInt64) throws(FDTError) -> FDTEditor {
        try makeSkeleton(memoryMapPhys: memoryMapPhys, into: AlignedBytes(zeroedCount: size))
    }

    /// `kho_add_subtree(name, blob, size)`: the same calls as in `kho-v3`.
    public static func addSubtree(to root: FDTEditor, name: String, phys: UInt64, blobSize: UInt64) throws(FDTError) {
        try KHOv3RootFDT.addSubtree(to: root, name: name, phys: phys, blobSize: blobSize)
    }

    /// Reads a root FDT as v7.2/v7.3's `kho_populate` and
    /// `kho_retrieve_subtree` do: the `kho-v3` rules with compatible `kho-v4`.
    public static func parse(_ blob: FDTBlob) throws(ABIError) -> KHOv3RootFDT.Contents {
        try KHOv3RootFDT.parse(blob, compatible: compatible)
    }
}
