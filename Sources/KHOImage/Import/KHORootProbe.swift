import FDT
import KernelABI
import HexFormat

/// What the import needs of a KHO root FDT, whatever its generation: the
/// compatible, the memory map's address and each subtree's blob. Only the
/// KHO level is read here, so memory of any generation (`kho-v1`'s chunk
/// list, or the radix tree of `kho-v2`, `kho-v3`, `kho-v4`) imports even
/// where this tool cannot decode its LUO level.
struct KHORootProbe {
    /// The generations whose memory map is the radix tree this tool walks.
    static let radixTreeGenerations = ["kho-v2", "kho-v3", "kho-v4"]
    /// The generation whose memory map is a list of bitmap chunks.
    static let chunkListGeneration = "kho-v1"
    /// `blob-size`, from `kho-v3` on.
    static let blobSizeProperty = "blob-size"

    /// One subtree: its name, `preserved-data` and, from kho-v3, `blob-size`.
    struct Subtree {
        var name: String
        var phys: UInt64
        var size: UInt64?
    }

    /// The root FDT's bytes (`totalsize`).
    var bytes: [UInt8]
    /// The root's compatible.
    var compatible: String
    /// `preserved-memory-map`.
    var memoryMapPhys: UInt64
    /// Subnodes with a usable `preserved-data` (`fdt` in `kho-v1`), in FDT order.
    var subtrees: [Subtree]

    /// Reads the FDT at `phys` (at most one page, never past the memory).
    init(memory: some PhysicalMemory, phys: UInt64) throws(KHOImageError) {
        let what = "KHO root FDT at \(Hex.format(phys))"
        let length = min(UInt64(PageGeometry.pageSize), memory.contiguousBytes(from: phys))
        guard length >= UInt64(FDTBlob.headerSize) else {
            throw .outsideSource(what: "KHO root FDT", phys: phys, length: UInt64(FDTBlob.headerSize))
        }
        let storage = try ReadOnlyBytes(count: Int(length)) { (buffer) throws(KHOImageError) in
            try memory.read(phys, into: buffer, what: what)
        }
        let blob: FDTBlob
        do { blob = try FDTBlob(storage: storage, label: what) } catch { throw .structure(what: what, error: .fdt(error)) }
        let root = blob.root
        do {
            compatible = try root.string("compatible")
        } catch {
            throw .structure(what: what, error: .fdt(error))
        }
        let known = [Self.chunkListGeneration] + Self.radixTreeGenerations
        guard known.contains(compatible) else {
            throw .structure(what: what, error: .wrongCompatible(
                node: "/", expected: known.joined(separator: " or "), found: compatible))
        }
        // kho-v1 names a subtree's blob `fdt`, later generations `preserved-data`.
        let subtreeProperty = compatible == Self.chunkListGeneration ? KHOv1RootFDT.subtreeProperty
                                                                    : KHOv2RootFDT.subtreeProperty
        memoryMapPhys = try Self.u64(root, KHOv2RootFDT.memoryMapProperty, what)
        var found: [Subtree] = []
        let children: [FDTNodeRef]
        do { children = try root.subnodes() } catch { throw .structure(what: what, error: .fdt(error)) }
        for child in children {
            guard let data = try? child.rawU64(subtreeProperty) else { continue }
            found.append(Subtree(name: child.name, phys: data, size: try? child.rawU64(Self.blobSizeProperty)))
        }
        subtrees = found
        bytes = blob.bytes
    }

    private static func u64(_ node: FDTNodeRef, _ name: String, _ what: String) throws(KHOImageError) -> UInt64 {
        do { return try node.rawU64(name) } catch { throw .structure(what: what, error: .fdt(error)) }
    }

    /// What the `LUO` subtree's blob is, in a few words: the compatible of an
    /// FDT (`luo-v1`) or of a packed `luo_ser` (`luo-v5`), or why it cannot
    /// be told.
    func luoDescription(memory: some PhysicalMemory) -> String? {
        guard let luo = subtrees.first(where: { $0.name == LUOv1.subtreeName }) else { return nil }
        guard let head = try? memory.bytes(luo.phys, count: 8, what: "LUO blob") else {
            return "LUO blob at \(Hex.format(luo.phys)) is not in the memory"
        }
        if head.withUnsafeBytes({ ByteOrderCoding.readBigEndian(UInt32.self, $0, at: 0) }) == FDTBlob.magic {
            let length = min(UInt64(PageGeometry.pageSize), memory.contiguousBytes(from: luo.phys))
            guard let bytes = try? memory.bytes(luo.phys, count: Int(length), what: "LUO FDT"),
                  let blob = try? FDTBlob(storage: ReadOnlyBytes(copying: bytes), label: "LUO FDT"),
                  let compatible = try? blob.root.string("compatible") else { return "an unreadable LUO FDT" }
            return "\(compatible) FDT"
        }
        // A packed luo_ser starts with its compatible, char[8].
        let text = head.prefix { $0 != 0 }
        if !text.isEmpty, text.count < 8, let name = String(validating: text, as: UTF8.self),
           name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            return "\(name) packed luo_ser"
        }
        return "an unrecognised LUO blob"
    }
}
