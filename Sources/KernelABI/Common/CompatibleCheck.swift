import FDT

/// Compatible strings of the handover ABI generations this project knows of.
///
/// Only one generation per component is implemented (see `docs/FORMAT.md`);
/// the others are listed so that a reader meeting them can say "this is an
/// older/newer generation" instead of "this is garbage".
public enum KnownGenerations {
    /// KHO root FDT generations: `kho-v1` (chunked bitmaps, `fdt` property),
    /// `kho-v2` (radix tree, `preserved-data`), and later ones that add a
    /// `blob-size` property and carry LUO as packed structs.
    public static let khoRoot = ["kho-v1", "kho-v2", "kho-v3", "kho-v4"]
    /// LUO root generations; from v7.2 (`luo-v5`) LUO's state is a packed
    /// `luo_ser` blob instead of an FDT.
    public static let luoRoot = ["luo-v1", "luo-v2", "luo-v3", "luo-v4", "luo-v5"]
    /// LUO session node generations; v1 lacked the per-session file set.
    public static let luoSession = ["luo-session-v1", "luo-session-v2", "luo-session-v3"]
    /// LUO FLB node generations.
    public static let luoFLB = ["luo-flb-v1", "luo-flb-v2"]
}

extension FDTNodeRef {
    /// Reads the node's `compatible` and requires it to be `expected`; a
    /// value from `known` is reported as another ABI generation.
    public func requireCompatible(_ expected: String, known: [String]) throws(ABIError) {
        let found: String
        do { found = try string("compatible") } catch { throw .fdt(error) }
        guard found == expected else {
            if known.contains(found) {
                throw .unsupportedGeneration(node: path, found: found, supported: expected)
            }
            throw .wrongCompatible(node: path, expected: expected, found: found)
        }
    }

    /// A kernel-style raw u64 property, with FDT errors wrapped.
    public func kernelU64(_ name: String) throws(ABIError) -> UInt64 {
        do { return try rawU64(name) } catch { throw .fdt(error) }
    }

    /// The subnode `name`, or ``ABIError/fdt(_:)`` with `missingNode`.
    public func requiredSubnode(_ name: String) throws(ABIError) -> FDTNodeRef {
        guard let node = subnode(name) else {
            throw .fdt(.missingNode(path: path == "/" ? "/\(name)" : "\(path)/\(name)"))
        }
        return node
    }
}
