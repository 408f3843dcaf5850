import Foundation
import TestSupport
import Testing

/// The progress bar: drawn for writes over 64 MiB when stderr is a
/// terminal, never when it is not.
@Suite(.serialized) struct ProgressBarTests {
    /// A manifest with one memfd of just over 64 MiB, and its contents.
    private func bigManifest(in directory: TemporaryDirectory) throws -> (path: String, contents: [UInt8]) {
        var contents = [UInt8](repeating: 0, count: (64 << 20) + 4096 * 3 + 5)
        for index in stride(from: 0, to: contents.count, by: 4093) { contents[index] = UInt8(truncatingIfNeeded: index / 4093) }
        let manifest = try directory.write("big.json", """
        {"liveupdate_number": 1, "sessions": [{"name": "big", "files": [{"token": 1, "compatible": "memfd-v2",
          "memfd": {"size": \(contents.count), "pos": 0, "contents_base64": "\(Data(contents).base64EncodedString())"}}]}]}
        """)
        return (manifest, contents)
    }

    /// In process and, for the terminal test itself, as a process.
    @Test func largeEncodeAndRetrieveShowABarOnlyOnATerminal() throws {
        let directory = try TemporaryDirectory()
        let (manifest, contents) = try bigManifest(in: directory)
        let image = directory.path("big.kho")

        // Encode on a terminal: a bar that reaches 100%, then a new line.
        let encode = CLI.run(["encode", manifest, "-o", image], terminal: true)
        #expect(encode.status == 0, "\(encode.stderr)")
        #expect(encode.stdout.isEmpty)
        #expect(encode.stderr.hasPrefix("\rencoding \(image) ["))
        #expect(encode.stderr.contains("] 100% "))
        #expect(encode.stderr.hasSuffix("\n"))
        #expect(encode.stderr.filter { $0 == "\n" }.count == 1)

        // Retrieve with stderr not a terminal: no bar, and the bytes are right.
        let quiet = directory.path("quiet.bin")
        let plain = CLI.run(["retrieve", image, "--session", "big", "--token", "1", "-o", quiet])
        #expect(plain.status == 0)
        #expect(plain.stderr.isEmpty)
        #expect(try readBytes(quiet) == contents)

        // The binary asks its real stderr whether it is a terminal: under
        // script(1) (a pseudo-terminal) retrieve draws the bar.
        let script = try #require(["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                  "script(1) from util-linux is required")
        let loud = directory.path("loud.bin")
        let command = [try BuiltProducts.path("luo-serialize"), "retrieve", image, "--session", "big", "--token", "1", "-o", loud]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let shown = try ProcessRunner.run(script, ["-q", "-e", "-c", command, "/dev/null"])
        #expect(shown.status == 0, "\(shown.stdout)")
        #expect(shown.stdout.contains("retrieving \(loud) ["))
        #expect(shown.stdout.contains("] 100% "))
        #expect(try readBytes(loud) == contents)
    }

    @Test func smallWritesShowNoBarEvenOnATerminal() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("small.kho")
        let result = CLI.run(["encode", Repository.exampleManifest, "-o", image], terminal: true)
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
        #expect(FileManager.default.fileExists(atPath: image))
    }
}
