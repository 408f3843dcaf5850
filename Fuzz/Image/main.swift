// libFuzzer target: the image reader on raw bytes (an image, or a bare KHO
// root / LUO FDT). Built by tools/fuzz.sh (the package in Fuzz/); see docs/ROBUSTNESS.md.
import FDT
import FuzzCommon
import HandoverModel
import KHOImage

runFuzzer(fuzzImage)

/// One execution on `size` bytes at `data` (libFuzzer's `LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }  // libFuzzer always passes a buffer
    let first = decode(FuzzInput.heap(data, size))
    let second = decode(FuzzInput.guarded(data, size))
    precondition(first == second, "the outcome depends on where the bytes are")
    return 0
}
