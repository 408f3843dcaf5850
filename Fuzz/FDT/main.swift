// libFuzzer target: the FDT layer, and the two kernel FDT parsers on top of
// it, on raw bytes. Built by tools/fuzz.sh; see docs/ROBUSTNESS.md.
#if FUZZING
import FDT
import KernelABI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFDT(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // An exactly sized heap copy: ASan's redzone sits right after the last byte.
    let storage = AlignedBytes(copying: UnsafeBufferPointer(start: data, count: size))
    let blob: FDTBlob
    do { blob = try FDTBlob(storage: storage, label: "fuzz") } catch { return 0 }
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
    return 0
}
#endif
