import Foundation
import Testing

/// The progress bar: drawn for writes over 64 MiB when stderr is a
/// terminal, never when it is not.
@Suite(.serialized) struct ProgressBarTests {
    /// Runs the CLI under `script(1)`, which gives it a pseudo-terminal;
    /// returns the exit status and everything the terminal showed.
    private func runOnTerminal(_ arguments: [String]) throws -> CLIResult {
        let script = try #require(["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                  "script(1) from util-linux is required")
        let command = ([CLI.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        return try CLI.runProcess(script, ["-q", "-e", "-c", command, "/dev/null"])
    }

    @Test func largeEncodeAndRetrieveShowABarOnlyOnATerminal() throws {
        let directory = try TemporaryDirectory()
        var contents = [UInt8](repeating: 0, count: (64 << 20) + 4096 * 3 + 5)
        for index in stride(from: 0, to: contents.count, by: 4093) { contents[index] = UInt8(truncatingIfNeeded: index / 4093) }
        let manifest = try directory.write("big.json", """
        {"liveupdate_number": 1, "sessions": [{"name": "big", "files": [{"token": 1, "compatible": "memfd-v2",
          "memfd": {"size": \(contents.count), "pos": 0, "contents_base64": "\(Data(contents).base64EncodedString())"}}]}]}
        """)
        let image = directory.path("big.kho")

        // Encode on a terminal: a bar that reaches 100%.
        let encode = try runOnTerminal(["encode", manifest, "-o", image])
        #expect(encode.status == 0, "\(encode.stdout)")
        #expect(encode.stdout.contains("encoding \(image) ["))
        #expect(encode.stdout.contains("] 100% "))

        // Retrieve with stderr on a file: no bar, and the bytes are right.
        let quiet = directory.path("quiet.bin")
        let plain = try CLI.run(["retrieve", image, "--session", "big", "--token", "1", "-o", quiet])
        #expect(plain.status == 0)
        #expect(plain.stderr.isEmpty)
        #expect(try readBytes(quiet) == contents)

        // Retrieve on a terminal: a bar.
        let loud = directory.path("loud.bin")
        let shown = try runOnTerminal(["retrieve", image, "--session", "big", "--token", "1", "-o", loud])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("retrieving \(loud) ["))
        #expect(shown.stdout.contains("] 100% "))
        #expect(try readBytes(loud) == contents)
    }

    @Test func smallWritesShowNoBarEvenOnATerminal() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("small.kho")
        let result = try runOnTerminal(["encode", CLI.exampleManifest, "-o", image])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(FileManager.default.fileExists(atPath: image))
    }
}
