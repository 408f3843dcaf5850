import Foundation
import KHOImage
import TestSupport
import Testing

/// `diff --ignore-addresses`: images compared structure by structure, with
/// physical addresses as labels.
@Suite struct StructuralDiffTests {
    @Test func anotherBaseIsEqualAndOrderAndBytesAreNot() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let moved = directory.path("moved.kho")
        #expect(CLI.run(["encode", Repository.exampleManifest, "--base", "0x40000000", "-o", moved]).status == 0)
        let same = CLI.run(["diff", "--ignore-addresses", image, moved])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout.isEmpty)

        // One byte in the tail of the session block, past every entry: the
        // meaning is unchanged (plain diff agrees), the structure is not.
        let layout = try KHOImageReader.readImage(path: image).layout
        var bytes = try readBytes(image)
        let region = try #require(layout.regions.first { $0.phys <= layout.sessionHeaderPhys && layout.sessionHeaderPhys < $0.end })
        let tail = Int(region.fileOffset + (layout.sessionHeaderPhys - region.phys)) + 4000
        bytes[tail] = 0x5a
        let edited = try directory.write("edited.kho", bytes: bytes)
        #expect(CLI.run(["diff", image, edited]).status == 0)
        let result = CLI.run(["diff", "--ignore-addresses", image, edited])
        #expect(result.status == 1)
        #expect(result.stdout == "session block: 1 byte differs, first at offset 4000 (0xfa0): 0x0 != 0x5a\n")
        #expect(result.stderrLines == ["luo-serialize: \(image) and \(edited) differ: 1 difference"])
    }
}
