// libFuzzer target: the image reader on raw bytes (an image, or a bare KHO
// root / LUO FDT). Built by tools/fuzz.sh; see docs/ROBUSTNESS.md.
#if FUZZING
import FDT
import KHOImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // An exactly sized heap copy: ASan's redzone sits right after the last byte.
    let storage = AlignedBytes(copying: UnsafeBufferPointer(start: data, count: size))
    do {
        switch try KHOImageReader.decode(storage) {
        case let .image(image):
            // Whatever decodes must describe itself without trapping.
            _ = "\(image.state)"
            _ = image.unreferencedBlocks.count
        case let .khoRootFDT(root): _ = "\(root)"
        case let .luoFDT(luo): _ = "\(luo)"
        }
    } catch {
        _ = error.description
    }
    return 0
}
#endif
