// libFuzzer target: the FDT layer, and the two kernel FDT parsers on top of
// it, on raw bytes. Built by tools/fuzz.sh (the package in Fuzz/); see docs/ROBUSTNESS.md.
import FDT
import FuzzCommon
import KernelABI

runFuzzer(fuzzFDT)

/// One execution on `size` bytes at `data` (libFuzzer's `LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFDT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }  // libFuzzer always passes a buffer
    walk(FuzzInput.heap(data, size), size)
    walk(FuzzInput.guarded(data, size), size)
    return 0
}

func walk(_ storage: ReadOnlyBytes, _ size: Int) {
    let blob: FDTBlob
    do { blob = try FDTBlob(storage: storage, label: "fuzz") } catch { return }
    precondition(blob.totalSize <= size, "totalsize past the buffer was accepted")
    _ = try? blob.memoryReservations()
    if let tree = try? blob.tree() { _ = "\(tree)" }
    _ = try? blob.root.string("compatible")
    for path in ["/LUO", "/luo-session", "/luo-flb"] {
        if let node = blob.node(atPath: path) {
            _ = try? node.properties()
            _ = try? node.rawU64("preserved-data")
        }
    }
    if let root = try? KHOv2RootFDT.parse(blob) {
        _ = root.lookup("LUO")
    }
    _ = try? LUOv1FDT.parse(blob)
}
