// Shared by the image fuzz targets (image, image-patch): what the reader
// made of one input, so the two copies of an input can be compared as values.
import FDT
import HandoverModel
import KHOImage

/// What the reader made of one input: compared between the two copies.
public enum Outcome: Equatable {
    /// A whole image: its state, how many preserved blocks nothing refers
    /// to, and the reader's warnings.
    case image(HandoverState, unreferenced: Int, warnings: [ReaderWarning])
    /// A bare KHO root FDT, LUO FDT or luo_ser, as the reader describes it.
    case bareFDT(String)
    /// The reader's error.
    case failure(KHOImageError)
}

/// Reads `storage` with every check of the image reader.
public func decode(_ storage: ReadOnlyBytes) -> Outcome {
    do {
        switch try KHOImageReader.decode(storage) {
        case let .image(image):
            _ = image.warnings.map(\.description)
            return .image(image.state, unreferenced: image.unreferencedBlocks.count, warnings: image.warnings)
        case let .khoRootFDT(root, _): return .bareFDT("\(root)")
        case let .luoFDT(luo, _): return .bareFDT("\(luo)")
        case let .luoSer(ser): return .bareFDT("\(ser)")
        }
    } catch {
        // Every error must describe itself (FDT errors name byte offsets,
        // the same in both copies).
        _ = error.description
        return .failure(error)
    }
}
