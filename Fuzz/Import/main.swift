// libFuzzer target: the importer on captured memory it must not trust. The
// input is physical memory from address 0: the scan for a KHO root FDT, the
// root's parse, the radix-tree walk and the region plan run on it, and when
// a plan results, the image it describes is written to a temporary file and
// decoded with every reader check. Built by tools/fuzz.sh (the package in Fuzz/); see
// docs/ROBUSTNESS.md.
import FDT
import FuzzCommon
import KHOImage

runFuzzer(fuzzImport)

/// One execution on `size` bytes at `data` (libFuzzer's `LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImport(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }  // libFuzzer always passes a buffer
    let memory = BufferMemory(phys: 0, storage: FuzzInput.heap(data, size))
    guard let plan = try? KHOImporter.plan(memory) else { return 0 }
    // Whatever the importer accepts lies inside the memory.
    for region in plan.regions { precondition(memory.contains(region.phys, length: region.size), "region outside the memory") }
    for block in plan.preservedBlocks { precondition(memory.contains(block.phys, length: block.size), "block outside the memory") }
    _ = try? KHOImageReader.read(memory: memory, khoFDTPhys: plan.khoFDTPhys, temporaryDirectory: "/dev/shm")
    return 0
}
