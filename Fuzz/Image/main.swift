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
#endif
