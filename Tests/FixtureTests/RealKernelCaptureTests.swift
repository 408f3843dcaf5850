import FDT
import Foundation
import HandoverModel
import KHOImage
import KernelLabSupport
import TestSupport
import Testing

/// The kernel lab's captures of real kernels (`Fixtures/kernel-captures/`):
/// memory taken from a real kernel stopped at `machine_kexec`, imported into
/// `capture.kho`, must decode to the scenario the kernel ran, agree byte for
/// byte with what the kernel showed in debugfs and with an independent
/// Python walk of the same memory, and re-import to itself.
@Suite struct RealKernelCaptureTests {
    static let directory = GoldenFixtureTests.fixtures.appendingPathComponent(RealKernelCaptures.folder)

    /// One release's capture folder.
    struct Capture: CustomTestStringConvertible, Sendable {
        let release: String
        var testDescription: String { release }
        var directory: URL { RealKernelCaptureTests.directory.appendingPathComponent(release) }
        func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
        func bytes(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(file))) }
        var hasImage: Bool { FileManager.default.fileExists(atPath: path("capture.kho")) }

        /// `uname -r` of the guest.
        func kernelRelease() throws -> String {
            let text = try String(contentsOfFile: path("kernel-version.txt"), encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("uname -r (guest): ") })
            return String(line.dropFirst("uname -r (guest): ".count))
        }

        /// `memory-blobs/preserved-blocks.txt`: the blocks and radix nodes
        /// the lab's Python found walking the same memory.
        func pythonWalk() throws -> (blocks: [PreservedBlock], nodes: [UInt64]) {
            let text = try String(contentsOfFile: path("memory-blobs/preserved-blocks.txt"), encoding: .utf8)
            var blocks: [PreservedBlock] = []
            var nodes: [UInt64] = []
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# radix root"), let list = line.split(separator: ":").last {
                    nodes = list.split(separator: " ").compactMap { UInt64($0.dropFirst(2), radix: 16) }
                } else if !line.hasPrefix("#") {
                    let fields = line.split(separator: " ")
                    blocks.append(PreservedBlock(phys: UInt64(fields[0].dropFirst(2), radix: 16)!, order: Int(fields[1])!))
                }
            }
            return (blocks, nodes)
        }

        /// The state the kernel that ran `scenario.txt` hands over.
        func expectedState(generation: KernelGeneration) throws -> HandoverState {
            let scenario = try LabScenario(path: path("scenario.txt"))
            let memfdCount = scenario.sessions.reduce(0) { $0 + $1.memfds.count }
            return HandoverState(
                generation: generation, liveupdateNumber: 1,
                sessions: scenario.sessions.map { session in
                    SessionRecord(name: SessionName(session.name), files: session.memfds.map { memfd in
                        FileRecord(token: memfd.token, compatible: generation.memfd.compatible, content: .memfd(MemfdContents(
                            size: memfd.size, position: memfd.position,
                            contents: LabScenario.contents(memfd, session: session.name), seals: LabScenario.seals(memfd))))
                    })
                },
                // CONFIG_LIVEUPDATE_TEST's three FLBs, which every memfd depends on.
                flbs: (0..<3).map { FLBRecord(name: "liveupdate-test-flb-v\($0)", data: 0xfeed_f00d_cafe_bee0 + UInt64($0),
                                              count: UInt64(memfdCount)) },
                kexecMetadata: KexecMetadata(previousRelease: try kernelRelease(), kexecCount: 1))
        }
    }

    static let captures = ["7.1", "7.2", "7.3"].map { Capture(release: $0) }

    @Test(arguments: captures) func decodesToTheScenarioTheKernelRan(_ capture: Capture) throws {
        try #require(capture.hasImage, "no capture.kho for \(capture.release)")
        let generation: KernelGeneration
        do {
            generation = try KernelGeneration.forRelease(capture.release)
        } catch {
            // A generation this build cannot decode yet: the reader names
            // the generation it found rather than calling the image broken.
            guard case let .notYetSupported(_, name) = error else { throw error }
            let root = name.split(separator: "+").first.map(String.init) ?? name
            #expect(throws: KHOImageError.self) { try KHOImageReader.readImage(path: capture.path("capture.kho")) }
            do { _ = try KHOImageReader.readImage(path: capture.path("capture.kho")) } catch {
                #expect(error.description.contains("\"\(root)\", an ABI generation this tool does not implement"), "\(error)")
            }
            return
        }
        let decoded = try KHOImageReader.readImage(path: capture.path("capture.kho"))
        #expect(decoded.state.generation == generation)
        #expect(decoded.state == (try capture.expectedState(generation: generation)))
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(decoded.otherSubtrees.isEmpty)
    }

    @Test(arguments: captures) func importAgreesWithAnIndependentWalk(_ capture: Capture) throws {
        try #require(capture.hasImage)
        let memory = try KHOImageMemory(path: capture.path("capture.kho"))
        let plan = try KHOImporter.plan(memory)
        let python = try capture.pythonWalk()
        #expect(plan.preservedBlocks == python.blocks.sorted { $0.phys < $1.phys })
        #expect(plan.memoryMapNodes == python.nodes.sorted())
        #expect(plan.khoFDTPhys == UInt64(try String(contentsOfFile: capture.path("kho-fdt-phys.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(2), radix: 16))
        // The root and each subtree blob are the bytes the Python walk took
        // from the same memory.
        let root = try memory.bytes(plan.khoFDTPhys, count: try capture.bytes("memory-blobs/kho-root.fdt").count, what: "root")
        #expect(root == (try capture.bytes("memory-blobs/kho-root.fdt")))
        for subtree in plan.subtrees {
            let size = try #require(subtree.size)
            #expect(try memory.bytes(subtree.phys, count: Int(size), what: subtree.name)
                    == (try capture.bytes("memory-blobs/sub/\(subtree.name)")))
        }
    }

    @Test(arguments: captures) func aRawCopyImportsToTheSameImage(_ capture: Capture) throws {
        try #require(capture.hasImage)
        let image = capture.path("capture.kho")
        let directory = try TemporaryDirectory()
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(ofImage: image, base: 0, size: 512 << 20, to: raw)
        let output = directory.path("imported.kho")
        try KHOImporter.importImage(from: try RawMemoryFile(path: raw), to: output)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == (try Data(contentsOf: URL(fileURLWithPath: image))))
    }

    /// What debugfs showed: `kho/out/fdt` is a prefix of the root in memory
    /// (its size fixed at boot); the reader names it as such.
    @Test(arguments: captures) func debugfsOutFDTIsAPrefixTheReaderNames(_ capture: Capture) throws {
        let out = try capture.bytes("debugfs/out/fdt")
        let root = try capture.bytes("memory-blobs/kho-root.fdt")
        #expect(out.count < root.count)
        #expect(Array(root.prefix(out.count)) == out)
        let compatible = capture.release == "7.1" ? "kho-v3" : "kho-v4"
        #expect(throws: KHOImageError.truncatedFDT(compatible: compatible, totalSize: root.count, available: out.count)) {
            try KHOImageReader.read(path: capture.path("debugfs/out/fdt"))
        }
    }

    /// The writer's acceptance test against a real kernel: the scenario's
    /// state, encoded for the capture's kernel, is the capture up to where
    /// things were allocated, structure by structure and byte by byte.
    @Test(arguments: captures) func encodingTheScenarioGivesTheCaptureUpToAddresses(_ capture: Capture) throws {
        guard let generation = try? KernelGeneration.forRelease(capture.release) else { return }
        let image = capture.path("capture.kho")
        let real = try KHOImageReader.readImage(path: image)
        let directory = try TemporaryDirectory()
        let encodedPath = directory.path("encoded.kho")
        try KHOImageWriter().encode(try capture.expectedState(generation: generation)).write(to: encodedPath)
        let encoded = try KHOImageReader.readImage(path: encodedPath)
        let realStructure = try StructuralImage(image: real)
        let encodedStructure = try StructuralImage(image: encoded)
        #expect(StructuralImage.differences(encodedStructure, realStructure) == [])
        #expect(realStructure.structures.count > 20)
        #expect(realStructure.unvisitedBlocks == 0)
        // The addresses themselves differ: this is a comparison up to them.
        #expect(encoded.layout.khoRootFDTPhys != real.layout.khoRootFDTPhys)
    }

    /// The inject runs (`inject/`): a real kernel restored every file of the
    /// scenario from an image this project encoded from 0x10000000. The
    /// regions the lab wrote into the stopped guest are the regions the
    /// writer lays the scenario out in today, so the evidence is about this
    /// writer, not an older one.
    @Test(arguments: captures) func aRealKernelRestoredEverythingFromOurImage(_ capture: Capture) throws {
        let log = try String(contentsOfFile: capture.path("inject/serial-stage2.log"), encoding: .utf8)
        #expect(log.contains("LUOLAB RESULT: 10 files OK, 0 failed"))
        let gdb = try String(contentsOfFile: capture.path("inject/gdb.log"), encoding: .utf8)
        let written = gdb.split(separator: "\n").filter { $0.hasPrefix("wrote region phys ") }.map { line -> ImageRegion in
            let words = line.split(separator: " ")
            return ImageRegion(phys: UInt64(words[3].dropFirst(2), radix: 16)!, size: UInt64(words[5].dropFirst(2), radix: 16)!,
                               fileOffset: UInt64(words[8].dropFirst(2).dropLast(), radix: 16)!)
        }
        let generation = try KernelGeneration.forRelease(capture.release)
        let encoded = try KHOImageWriter(base: 0x1000_0000).encode(try capture.expectedState(generation: generation))
        #expect(written == encoded.layout.regions)
        #expect(gdb.contains("copied image root FDT page 0x\(String(encoded.layout.khoRootFDTPhys, radix: 16)) -> kernel root FDT page"))
    }
}
