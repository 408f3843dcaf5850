// What a user of `LiveUpdate` must name comes with it: the image library
// (`KHOImageReader`, `EncodedImage`, the memory sources) and, through it,
// the model (`HandoverState`, `FileContent`, `MemfdContents`, `FLBRecord`),
// the generations (`KernelGeneration`) and `ReadOnlyBytes`. Those modules are
// not products; without these re-exports user code compiles only because
// SwiftPM happens to leak transitive modules.
@_exported import KHOImage
