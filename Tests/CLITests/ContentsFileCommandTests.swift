import Foundation
import HandoverModel
import KHOImage
import TestSupport
import Testing

/// Contents as files: a manifest's `contents_file` / `payload_file`
/// (relative to the manifest) and `decode --contents-dir`, the round trip
/// for handovers too large for base64.
@Suite struct ContentsFileCommandTests {
    /// 3 pages and 100 bytes of a pattern: a partial last page.
    static let memfdBytes = (0..<(3 * 4096 + 100)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    static let payloadBytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 13) }

    static func manifest(memfd: String, payload: String) -> String {
        """
        {"kernel": "7.1", "liveupdate_number": 2, "sessions": [{"name": "vm", "files": [
          {"token": 1, "compatible": "memfd-v2", "memfd": {"size": \(memfdBytes.count), "pos": 9, \(memfd)}},
          {"token": 2, "compatible": "blob-v1", \(payload)}]}]}
        """
    }

    @Test func contentsFilesEncodeTheSameBytesAsBase64() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        try directory.write("data/mem.bin", bytes: Self.memfdBytes)
        try directory.write("data/blob.bin", bytes: Self.payloadBytes)
        let inline = try directory.write("inline.json", Self.manifest(
            memfd: #""contents_base64": "\#(Data(Self.memfdBytes).base64EncodedString())""#,
            payload: #""payload_base64": "\#(Data(Self.payloadBytes).base64EncodedString())""#))
        // Relative to the manifest's directory, not to the current one.
        let files = try directory.write("files.json", Self.manifest(
            memfd: #""contents_file": "data/mem.bin""#, payload: #""payload_file": "data/blob.bin""#))
        #expect(CLI.run(["encode", inline, "-o", directory.path("inline.kho")]).status == 0)
        let result = CLI.run(["encode", files, "-o", directory.path("files.kho")])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let expected = try Data(contentsOf: URL(fileURLWithPath: directory.path("inline.kho")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("files.kho"))) == expected)
        let decoded = try KHOImageReader.readImage(path: directory.path("files.kho"))
        #expect(decoded.state.sessions[0].files[0].content
            == .memfd(MemfdContents(contents: Self.memfdBytes, position: 9)))
    }

    @Test func aMissingContentsFileIsNamedWithItsKeyPath() throws {
        let directory = try TemporaryDirectory()
        let manifest = try directory.write("m.json", Self.manifest(
            memfd: #""contents_file": "absent.bin""#, payload: #""data": 1"#))
        let result = CLI.run(["encode", manifest, "-o", directory.path("out.kho")])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(manifest): sessions[0].files[0].memfd.contents_file:"
            + " cannot read \(directory.path("absent.bin")): No such file or directory"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("out.kho")))
    }

    @Test func aContentsFileOfTheWrongSizeIsRefused() throws {
        let directory = try TemporaryDirectory()
        try directory.write("short.bin", bytes: Array(Self.memfdBytes.dropLast()))
        let manifest = try directory.write("m.json", Self.manifest(
            memfd: #""contents_file": "short.bin""#, payload: #""data": 1"#))
        let result = CLI.run(["encode", manifest, "-o", directory.path("out.kho")])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(manifest): sessions[0].files[0].memfd.contents_file:"
            + " \(directory.path("short.bin")) holds \(Self.memfdBytes.count - 1) bytes, size is \(Self.memfdBytes.count)"])
        let both = try directory.write("both.json", Self.manifest(
            memfd: #""contents_file": "short.bin", "contents_base64": """#, payload: #""data": 1"#))
        #expect(CLI.run(["encode", both, "-o", directory.path("out.kho")]).stderrLines
            == ["luo-serialize: \(both): sessions[0].files[0].memfd: has both contents_base64 and contents_file;"
                + " a memfd section holds exactly one of contents_base64, contents_file"])
    }

    @Test func decodeWithAContentsDirectoryRoundTripsByteForByte() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("h.kho")
        #expect(CLI.run(["encode", Repository.exampleManifest, "-o", image]).status == 0)
        try FileManager.default.createDirectory(atPath: directory.path("contents"), withIntermediateDirectories: true)
        let decoded = CLI.run(["decode", image, "--contents-dir", directory.path("contents/")])
        #expect(decoded.status == 0)
        #expect(!decoded.stdout.contains("_base64"))
        #expect(decoded.stdout.contains(#""contents_file": "\#(directory.path("contents"))/s0-0x1.memfd""#))
        let state = try KHOImageReader.readImage(path: image).state
        guard case let .memfd(memfd) = state.sessions[0].files[0].content else {
            Issue.record("the example's first file is a memfd")
            return
        }
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: directory.path("contents/s0-0x1.memfd")))) == memfd.contents)
        let manifest = try directory.write("m.json", decoded.stdout)
        #expect(CLI.run(["encode", manifest, "-o", directory.path("again.kho")]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("again.kho")))
            == (try Data(contentsOf: URL(fileURLWithPath: image))))
    }
}
