import Foundation
import TestSupport
import Testing

/// What the incoming kernel accepts but no outgoing kernel writes: a memfd
/// file whose `data` is no `memfd_luo_ser`. `encode` writes it with a
/// warning, `decode` prints it as raw data with a warning, `verify` exits 1
/// naming it, `retrieve` of it fails with the handler's error.
@Suite struct LenientReaderCommandTests {
    static let manifest = #"""
    {"kernel": "7.1", "liveupdate_number": 1, "sessions": [{"name": "vm0", "files": [
      {"token": 1, "compatible": "memfd-v2", "data": "0xdeadbeef"},
      {"token": 2, "compatible": "vfio-v1", "data": "0x5"}]}]}
    """#

    static let readerReason = #"session "vm0" token 0x1: compatible memfd-v2 with raw data 0xdeadbeef that is no valid memfd_luo_ser: "#
        + #"memfd_luo_ser of session "vm0" token 0x1 at 0xdeadbeef (48 bytes) is not inside any region of the image; "#
        + "kept as raw data (no outgoing kernel writes this; the memfd handler's retrieve of it fails, or restores what no kernel preserved)"

    static func encoded(in directory: TemporaryDirectory) throws -> (manifest: String, image: String, result: RunResult) {
        let manifest = try directory.write("raw-memfd.json", Self.manifest)
        let image = directory.path("raw-memfd.kho")
        return (manifest, image, CLI.run(["encode", manifest, "-o", image]))
    }

    @Test func encodeAcceptsRawDataUnderTheMemfdHandlerWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let (manifest, image, result) = try Self.encoded(in: directory)
        #expect(result.status == 0)
        #expect(result.stderrLines == ["luo-serialize: warning: \(manifest): session \"vm0\" token 1: compatible memfd-v2 with raw data:"
            + " the next kernel's memfd handler will refuse to retrieve it"])
        #expect(FileManager.default.fileExists(atPath: image))
    }

    @Test func decodeGivesTheRawDataBackAndWarns() throws {
        let directory = try TemporaryDirectory()
        let (_, image, _) = try Self.encoded(in: directory)
        let result = CLI.run(["decode", image])
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""compatible": "memfd-v2",\#n          "data": "0xdeadbeef""#))
        #expect(result.stderrLines == ["luo-serialize: warning: \(image): \(Self.readerReason)"])
        // The decoded manifest encodes again, to the same image.
        let again = try directory.write("again.json", result.stdout)
        let output = directory.path("again.kho")
        #expect(CLI.run(["encode", again, "-o", output]).status == 0)
        #expect(try readBytes(output) == readBytes(image))
    }

    @Test func verifyExitsOneNamingIt() throws {
        let directory = try TemporaryDirectory()
        let (_, image, _) = try Self.encoded(in: directory)
        let result = CLI.run(["verify", image])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines == ["luo-serialize: \(image): accepted by the incoming kernel, but no outgoing kernel writes it: \(Self.readerReason)"])
    }

    @Test func retrieveFailsWithTheHandlersErrorAndTheReadersReason() throws {
        let directory = try TemporaryDirectory()
        let (_, image, _) = try Self.encoded(in: directory)
        let output = directory.path("x.bin")
        let result = CLI.run(["retrieve", image, "--session", "vm0", "--token", "1", "-o", output])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(image): session \"vm0\" token 0x1 (memfd-v2): retrieve failed:"
            + " the image holds no memfd-v2 state for this file (errno 22); the reader found: \(Self.readerReason)"])
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}

/// An FLB entry with count 0: the incoming kernel takes it, no outgoing
/// kernel writes it. `decode` prints it with a warning, `verify` exits 1.
@Suite struct EmptyFLBCommandTests {
    /// The example image with its one FLB's count (the u64 56 bytes after
    /// the start of its 48-byte name field) set to 0.
    static func image(in directory: TemporaryDirectory) throws -> String {
        let path = try encodeExample(in: directory)
        var bytes = try readBytes(path)
        let name = Array("iommu-core-v1".utf8) + [0]
        let start = (0...(bytes.count - name.count)).first { bytes[$0..<($0 + name.count)].elementsEqual(name) }!
        #expect(bytes[(start + 56)..<(start + 64)].elementsEqual([1, 0, 0, 0, 0, 0, 0, 0]))
        bytes.replaceSubrange((start + 56)..<(start + 64), with: [UInt8](repeating: 0, count: 8))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let warning = "FLB \"iommu-core-v1\" has a count of 0: the incoming kernel accepts it, but an outgoing kernel only"
        + " serializes FLBs some file depends on (encode refuses it, so this state cannot be encoded again as it is)"

    @Test func decodePrintsItWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory)
        let result = CLI.run(["decode", image])
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""name": "iommu-core-v1",\#n      "data": "0x1000",\#n      "count": 0"#))
        #expect(result.stderrLines.first == "luo-serialize: warning: \(image): \(Self.warning)")
    }

    @Test func verifyExitsOne() throws {
        let directory = try TemporaryDirectory()
        let image = try Self.image(in: directory)
        let result = CLI.run(["verify", image])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(image): accepted by the incoming kernel, but no outgoing kernel writes it: \(Self.warning)"])
    }
}
