// libFuzzer target: the image reader on raw bytes (an image, or a bare KHO
// root / LUO FDT). Built by tools/fuzz.sh; see docs/ROBUSTNESS.md.
#if FUZZING
import FDT
import KHOImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let first = decode(FuzzInput.heap(data, size))
    let second = decode(FuzzInput.guarded(data, size))
    precondition(first == second, "the outcome depends on where the bytes are: \(first) / \(second)")
    return 0
}

/// The reader's outcome as text; whatever decodes must describe itself
/// without trapping.
func decode(_ storage: AlignedBytes) -> String {
    do {
        switch try KHOImageReader.decode(storage) {
        case let .image(image):
            return "image \(image.state) \(image.unreferencedBlocks.count)"
        case let .khoRootFDT(root): return "\(root)"
        case let .luoFDT(luo): return "\(luo)"
        }
    } catch {
        // FDT errors name byte offsets, the same in both copies.
        return error.description
    }
}
#endif
