import HandoverModel
import KHOImage

/// The input of the image-patch fuzz target (`Fuzz/ImagePatch`), shared
/// with the corpus replay in KHOImageTests: the valid base image and how an
/// input's patches are applied to it, defined once so the corpus replays
/// exactly what the fuzzer ran.
public enum ImagePatchInput {
    /// Sessions with raw, payload and memfd files, an empty session and FLBs.
    public static let baseImage: [UInt8] = {
        let state = HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 5, sessions: [
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

    /// The base image with `input`'s patches applied: each patch is a
    /// little-endian u32 file offset (modulo the image size), a length byte
    /// and that many bytes; a patch cut short by the input's end is clipped.
    public static func patched(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var image = baseImage
        var cursor = 0
        while cursor + 5 <= input.count {
            let offset = (0..<4).reduce(0) { $0 | Int(input[cursor + $1]) << ($1 * 8) } % image.count
            let length = min(Int(input[cursor + 4]), input.count - cursor - 5, image.count - offset)
            for index in 0..<length { image[offset + index] = input[cursor + 5 + index] }
            cursor += 5 + length
        }
        return image
    }
}
