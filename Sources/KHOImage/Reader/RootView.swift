import FDT
import HandoverModel
import KernelABI

/// The KHO root FDT of whichever supported generation an image holds, read
/// by that generation's parser: the one place the reader dispatches on the
/// root's compatible. A new generation adds a case here.
struct RootView {
    /// One usable subtree; `blobSize` is `nil` before `kho-v3`.
    struct Subtree: Equatable {
        var name: String
        var phys: UInt64
        var blobSize: UInt64?
    }

    /// The generation the root's compatible names.
    var generation: KernelGeneration
    var memoryMapPhys: UInt64
    var subtrees: [Subtree]
    var unusableSubtrees: [KHOv2RootFDT.UnusableSubtree]

    /// The root compatibles this reader implements, newest first.
    static var supportedCompatibles: String {
        Set(KernelGeneration.supported.map(\.khoRoot.compatible)).sorted(by: >).joined(separator: ", ")
    }

    /// Parses `blob` with the parser of the generation its compatible
    /// names; a known generation that is not implemented is an
    /// `unsupportedGeneration` error naming it. A `kho-v1` root gives
    /// `.linux7_0`; the decoder makes it `.linux6_19` when the LUO FDT has
    /// no `luo-flb` node.
    static func parse(_ blob: FDTBlob) throws(KHOImageError) -> RootView {
        let compatible: String
        do { compatible = try blob.root.string("compatible") } catch {
            throw .structure(what: "KHO root FDT", error: .fdt(error))
        }
        do throws(ABIError) {
            switch compatible {
            case KHOv4RootFDT.compatible:
                let contents = try KHOv4RootFDT.parse(blob)
                return RootView(generation: .linux7_3, memoryMapPhys: contents.memoryMapPhys,
                                subtrees: contents.subtrees.map { Subtree(name: $0.name, phys: $0.phys, blobSize: $0.blobSize) },
                                unusableSubtrees: contents.unusableSubtrees)
            case KHOv3RootFDT.compatible:
                let contents = try KHOv3RootFDT.parse(blob)
                return RootView(generation: .linux7_1, memoryMapPhys: contents.memoryMapPhys,
                                subtrees: contents.subtrees.map { Subtree(name: $0.name, phys: $0.phys, blobSize: $0.blobSize) },
                                unusableSubtrees: contents.unusableSubtrees)
            case KHOv1RootFDT.compatible:
                // v7.0 or v6.19: the LUO FDT tells (a luo-flb node or not).
                let contents = try KHOv1RootFDT.parse(blob)
                return RootView(generation: .linux7_0, memoryMapPhys: contents.memoryMapPhys,
                                subtrees: contents.subtrees.map { Subtree(name: $0.name, phys: $0.phys, blobSize: nil) },
                                unusableSubtrees: contents.unusableSubtrees)
            case KHOv2RootFDT.compatible:
                let contents = try KHOv2RootFDT.parse(blob)
                return RootView(generation: .khoV2Prerelease, memoryMapPhys: contents.memoryMapPhys,
                                subtrees: contents.subtrees.map { Subtree(name: $0.name, phys: $0.phys, blobSize: nil) },
                                unusableSubtrees: contents.unusableSubtrees)
            default:
                if KnownGenerations.khoRoot.contains(compatible) {
                    throw ABIError.unsupportedGeneration(node: "/", found: compatible, supported: supportedCompatibles)
                }
                throw ABIError.wrongCompatible(node: "/", expected: supportedCompatibles, found: compatible)
            }
        } catch {
            throw .structure(what: "KHO root FDT", error: error)
        }
    }

    /// The subtree called `name`, the error that makes it unusable, or `nil`.
    func lookup(_ name: String) -> Result<Subtree, ABIError>? {
        if let subtree = subtrees.first(where: { $0.name == name }) { return .success(subtree) }
        if let broken = unusableSubtrees.first(where: { $0.name == name }) { return .failure(broken.error) }
        return nil
    }

    /// The addresses, in the shape every generation's bare-FDT view shares.
    var addressesOnly: KHOv2RootFDT.Contents {
        KHOv2RootFDT.Contents(memoryMapPhys: memoryMapPhys,
                              subtrees: subtrees.map { KHOv2RootFDT.Subtree(name: $0.name, phys: $0.phys) },
                              unusableSubtrees: unusableSubtrees)
    }

    /// Under a root of an FDT generation, a `LUO` blob that is a packed
    /// `struct luo_ser` (`luo-v5`, v7.2+) instead of an FDT: name that
    /// generation instead of calling the blob a broken FDT.
    static func refuseNonFDTLUO(at phys: UInt64, _ memory: ImageMemory) throws(KHOImageError) {
        guard let head = try? memory.bytes(at: phys, length: 8, what: "LUO blob") else { return }
        guard head.loadUnaligned(as: UInt32.self) != FDTBlob.magic.bigEndian else { return }
        let text = head.prefix { $0 != 0 }
        guard text.count < 8, let name = String(validating: Array(text), as: UTF8.self),
              KnownGenerations.luoRoot.contains(name) else { return }
        throw .structure(what: "LUO blob", error: .unsupportedGeneration(node: LUOv1.subtreeName, found: name,
                                                                          supported: LUOv1.compatible))
    }
}
