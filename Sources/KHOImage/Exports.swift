// The types this library's API speaks in, so that `import KHOImage` is
// enough: the model (`HandoverModel`, which re-exports `ABIGeneration`) and
// the FDT layer's byte owners (`ReadOnlyBytes`, which callers hand to
// `KHOImageReader.decode(_:)` and `BufferMemory`; `AlignedBytes`, the
// writable one). Re-exported rather than made products: none of them is useful without the image or lifecycle
// library, and one `import` keeps user code independent of the internal
// module split.
@_exported import HandoverModel
@_exported import class FDT.AlignedBytes
@_exported import class FDT.ReadOnlyBytes
