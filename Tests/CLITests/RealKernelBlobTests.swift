import Foundation
import KernelLabSupport
import TestSupport
import Testing

/// The command line on what a real v7.1.8 kernel showed and handed over
/// (`Fixtures/kernel-captures/7.1`): the three places where real data first
/// met the CLI badly.
@Suite struct RealKernelBlobTests {
    static let capture = Repository.url("Fixtures/kernel-captures/7.1")
    static func path(_ file: String) -> String { capture.appendingPathComponent(file).path }

    /// debugfs `kho/out/fdt` is a prefix of the root cut at its boot-time
    /// size: decode and verify say so and what to read instead.
    @Test func theTruncatedDebugfsRootIsNamed() throws {
        let out = Self.path("debugfs/out/fdt")
        let expected = "luo-serialize: \(out): a kho-v3 KHO root FDT cut short: its header says 285 bytes, only 233 are here."
            + " This is what debugfs kho/out/fdt shows on a running kernel (its size is fixed at boot, before LUO adds"
            + " its subtree); read kho/in/fdt in the next kernel, or capture the memory and run 'luo-serialize import'"
        for command in ["decode", "verify"] {
            let result = CLI.run([command, out])
            #expect(result.status == 1)
            #expect(result.stderrLines == [expected])
        }
    }

    /// verify reads the bare debugfs FDTs that decode reads.
    @Test func verifyAcceptsTheBareDebugfsFDTs() throws {
        let root = Self.path("debugfs/in/fdt")
        let rootResult = CLI.run(["verify", root])
        #expect(rootResult.status == 0)
        #expect(rootResult.stdout == "\(root): valid bare KHO root FDT: memory map at 0x165000, subtrees: LUO at 0x392000,"
            + " kexec-metadata at 0x1e8000; the memory it points at is not in the file, so nothing past the FDT was checked\n")
        let luo = Self.path("debugfs/in/sub_fdts/LUO")
        let luoResult = CLI.run(["verify", luo])
        #expect(luoResult.status == 0)
        #expect(luoResult.stdout == "\(luo): valid bare LUO FDT: liveupdate-number 1, session header at 0x3a0000,"
            + " FLB header at 0x398000; the memory it points at is not in the file, so nothing past the FDT was checked\n")
        #expect(CLI.run(["decode", luo]).status == 0)
    }

    /// decode of memory a real kernel laid out does not claim that encode
    /// with some --base reproduces it; it says encode lays it out anew.
    @Test func decodeOfARealLayoutMakesNoFalseBaseClaim() throws {
        let image = Self.path("capture.kho")
        let result = CLI.run(["decode", image])
        #expect(result.status == 0)
        #expect(result.stderrLines == ["luo-serialize: note: \(image): its physical layout is not the one encode writes"
            + " (a real kernel's, or an edited image): encode lays the same state out anew; compare the two with diff"])
        // And the diff it points at finds the re-encoded state equal up to addresses.
        let directory = try TemporaryDirectory()
        let manifest = try directory.write("state.json", result.stdout)
        let encoded = directory.path("encoded.kho")
        #expect(CLI.run(["encode", manifest, "-o", encoded]).status == 0)
        let diff = CLI.run(["diff", "--ignore-addresses", encoded, image])
        #expect(diff.status == 0, "\(diff.stdout)")
        // An image the writer laid out from another base still gets the hint.
        let moved = directory.path("moved.kho")
        #expect(CLI.run(["encode", manifest, "--base", "0x20000000", "-o", moved]).status == 0)
        #expect(CLI.run(["decode", moved]).stderrLines
                == ["luo-serialize: note: \(moved): laid out from base 0x20000000; encode with --base 0x20000000 to reproduce it byte for byte"])
    }

    /// Every memfd of the real capture, retrieved through the lifecycle's
    /// handlers, is the scenario's bytes.
    @Test func retrieveGivesBackEveryMemfdOfTheScenario() throws {
        let directory = try TemporaryDirectory()
        let scenario = try LabScenario(path: Self.path("scenario.txt"))
        var retrieved = 0
        for session in scenario.sessions {
            for memfd in session.memfds {
                let output = directory.path("\(memfd.token).bin")
                let result = CLI.run(["retrieve", Self.path("capture.kho"), "--session", session.name,
                                          "--token", String(memfd.token), "-o", output])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(try readBytes(output) == LabScenario.contents(memfd, session: session.name), "token \(memfd.token)")
                retrieved += 1
            }
        }
        #expect(retrieved == 10)
    }
}
