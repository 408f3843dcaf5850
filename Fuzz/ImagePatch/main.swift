// libFuzzer target: the image reader on a valid image with a few bytes
// patched. The input is a list of patches, each a little-endian u32 file
// offset (taken modulo the image size), a length byte and that many bytes;
// the rest of the image stays valid, so mutations reach the deep structures
// (sessions, FLBs, memfd folios, the radix tree) far more often than raw
// bytes do. Built by tools/fuzz.sh; see docs/ROBUSTNESS.md.
#if FUZZING
import FDT
import HandoverModel
import KHOImage

/// Sessions with raw, payload and memfd files, an empty session and FLBs.
let baseImage: [UInt8] = {
    let state = HandoverState(liveupdateNumber: 5, sessions: [
        SessionRecord(name: "alpha", files: [
            FileRecord(token: 10, compatible: "raw-v1", content: .data(0xabc)),
            FileRecord(token: 11, compatible: "blob-v1", content: .payload([1, 2, 3] + [UInt8](repeating: 0, count: 5000))),
        ]),
        SessionRecord(name: "beta"),
        SessionRecord(name: "m", files: [
            FileRecord(token: 1, compatible: "memfd-v1",
                       content: .memfd(MemfdContents(contents: Array(repeating: 0xab, count: 9000), position: 17))),
            FileRecord(token: 2, compatible: "memfd-v1", content: .memfd(MemfdContents(contents: []))),
        ]),
    ], flbs: [FLBRecord(name: "iommu-v1", data: 0x55, count: 1), FLBRecord(name: "dma-v1", data: 0x66, count: 2)])
    do { return try KHOImageWriter().encode(state).bytes } catch { fatalError("\(error)") }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImagePatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var image = baseImage
    var cursor = 0
    while cursor + 5 <= size {
        let offset = (0..<4).reduce(0) { $0 | Int(data[cursor + $1]) << ($1 * 8) } % image.count
        let length = min(Int(data[cursor + 4]), size - cursor - 5, image.count - offset)
        for index in 0..<length { image[offset + index] = data[cursor + 5 + index] }
        cursor += 5 + length
    }
    let first = decode(image.withUnsafeBufferPointer { FuzzInput.heap($0.baseAddress!, $0.count) })
    let second = decode(image.withUnsafeBufferPointer { FuzzInput.guarded($0.baseAddress!, $0.count) })
    precondition(first == second, "the outcome depends on where the bytes are")
    // Whatever the reader accepts, the writer must be able to write again,
    // and that image must read back to the same state.
    if case let .image(state, _) = first {
        let again: DecodedImage
        do {
            again = try KHOImageReader.decodeImage(AlignedBytes(copying: try KHOImageWriter().encode(state).bytes))
        } catch {
            fatalError("the reader accepted a state the writer cannot round-trip: \(error)")
        }
        precondition(again.state == state, "a decoded state re-encodes to another state")
    }
    return 0
}
#endif
