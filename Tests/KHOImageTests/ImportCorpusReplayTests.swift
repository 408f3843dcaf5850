import FDT
import Foundation
import KHOImage
import TestSupport
import Testing

/// Replays the import fuzz target's regression corpus (Tests/Corpus/import,
/// see docs/ROBUSTNESS.md) with the calls the target makes: each input is
/// physical memory from address 0; the importer plans an image from it or
/// fails with a typed error, and whatever it plans lies inside the memory.
@Suite struct ImportCorpusReplayTests {
    static let inputs = Corpus.inputs("import")

    @Test func corpusIsPresent() {
        #expect(Self.inputs.count >= 5)
    }

    @Test(arguments: inputs) func replay(_ name: String) throws {
        let bytes = try Corpus.load("import", name).bytes
        let memory = BufferMemory(phys: 0, storage: ReadOnlyBytes(copying: bytes))
        guard let plan = try? KHOImporter.plan(memory) else { return }
        for region in plan.regions { #expect(memory.contains(region.phys, length: region.size), "\(name)") }
        for block in plan.preservedBlocks { #expect(memory.contains(block.phys, length: block.size), "\(name)") }
        // Decoding what was planned either succeeds or fails with a typed error.
        _ = try? KHOImageReader.read(memory: memory, khoFDTPhys: plan.khoFDTPhys)
    }
}
