// libFuzzer target: the image reader on raw bytes (an image, or a bare KHO
// root / LUO FDT). Built by tools/fuzz.sh; see docs/ROBUSTNESS.md.
#if FUZZING
import FDT
import HandoverModel
import KHOImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let first = decode(FuzzInput.heap(data, size))
    let second = decode(FuzzInput.guarded(data, size))
    precondition(first == second, "the outcome depends on where the bytes are")
    return 0
}

/// What the reader made of one input: compared between the two copies.
enum Outcome: Equatable {
    case image(HandoverState, unreferenced: Int)
    case bareFDT(String)
    case failure(KHOImageError)
}

func decode(_ storage: AlignedBytes) -> Outcome {
    do {
        switch try KHOImageReader.decode(storage) {
        case let .image(image):
            return .image(image.state, unreferenced: image.unreferencedBlocks.count)
        case let .khoRootFDT(root): return .bareFDT("\(root)")
        case let .luoFDT(luo): return .bareFDT("\(luo)")
        }
    } catch {
        // Every error must describe itself (FDT errors name byte offsets,
        // the same in both copies).
        _ = error.description
        return .failure(error)
    }
}
#endif
