// Shared by the image fuzz targets (image, image-patch): what the reader
// made of one input, so the two copies of an input can be compared as values.
#if FUZZING
import FDT
import HandoverModel
import KHOImage

/// What the reader made of one input: compared between the two copies.
enum Outcome: Equatable {
    case image(HandoverState, unreferenced: Int, warnings: [ReaderWarning])
    case bareFDT(String)
    case failure(KHOImageError)
}

func decode(_ storage: ReadOnlyBytes) -> Outcome {
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
#endif
