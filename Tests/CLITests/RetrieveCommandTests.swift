import Foundation
import TestSupport
import Testing

/// `luo-serialize retrieve`: one file restored through its handler.
@Suite struct RetrieveCommandTests {
    @Test func memfdContentsComeBackExactly() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let output = directory.path("memfd.bin")
        let result = CLI.run(["retrieve", image, "--session", "vm0", "--token", "1", "-o", output])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let expected = Array(String(repeating: "guest RAM page 0: hello from the outgoing kernel\n", count: 100).utf8)
        #expect(try readBytes(output) == expected)
    }

    @Test func payloadComesBackZeroPaddedToItsBlock() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let output = directory.path("payload.bin")
        #expect(CLI.run(["retrieve", image, "--session", "vm1-iommu", "--token", "0x7", "-o", output]).status == 0)
        let payload = Array("IOMMU page tables snapshot (example payload)\n".utf8)
        #expect(try readBytes(output) == payload + [UInt8](repeating: 0, count: 4096 - payload.count))
    }

    @Test func rawDataFileHasNothingToRetrieve() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let output = directory.path("x.bin")
        let result = CLI.run(["retrieve", image, "--session", "vm0", "--token", "2", "-o", output])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(image): session \"vm0\" token 2 (vfio-v1) holds only the raw data u64 0xdeadbeef; its handler preserved no bytes to restore"])
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func unknownSessionOrTokenIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let noSession = CLI.run(["retrieve", image, "--session", "vm9", "--token", "1", "-o", directory.path("x")])
        #expect(noSession.status == 1)
        #expect(noSession.stderrLines == ["luo-serialize: \(image): no session named \"vm9\" (sessions: \"vm0\", \"vm1-iommu\")"])
        let noToken = CLI.run(["retrieve", image, "--session", "vm0", "--token", "99", "-o", directory.path("x")])
        #expect(noToken.status == 1)
        #expect(noToken.stderrLines == ["luo-serialize: \(image): session \"vm0\" has no file with token 99 (tokens: 1, 2)"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("x")))
    }

    @Test func truncatedImageIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let truncated = try directory.write("t.kho", bytes: Array(try readBytes(image).prefix(4096)))
        let result = CLI.run(["retrieve", truncated, "--session", "vm0", "--token", "1", "-o", directory.path("x")])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(truncated): "))
    }
}

/// `--session` matches a name's bytes; `--session-hex` spells any name,
/// as a manifest's `name_hex` does.
@Suite struct SessionByBytesTests {
    static let manifest = #"""
    {"kernel": "7.1", "liveupdate_number": 1, "sessions": [
      {"name_hex": "ff766d30", "files": [{"token": 1, "compatible": "blob-v1", "payload_base64": "AQID"}]},
      {"name": "vm0", "files": [{"token": 1, "compatible": "blob-v1", "payload_base64": "BAUG"}]}
    ]}
    """#

    @Test func sessionHexSelectsTheBytes() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("h.kho")
        #expect(CLI.run(["encode", try directory.write("m.json", Self.manifest), "-o", image]).status == 0)
        let padding = [UInt8](repeating: 0, count: 4096 - 3)
        for hex in ["ff766d30", "FF766D30"] {
            let output = directory.path("out-\(hex).bin")
            let result = CLI.run(["retrieve", image, "--session-hex", hex, "--token", "1", "-o", output])
            #expect(result.status == 0)
            #expect(try readBytes(output) == [1, 2, 3] + padding)
        }
        // --session is the text's UTF-8: "vm0" is the other session, not "\xffvm0".
        let text = directory.path("text.bin")
        #expect(CLI.run(["retrieve", image, "--session", "vm0", "--token", "1", "-o", text]).status == 0)
        #expect(try readBytes(text) == [4, 5, 6] + padding)
        let missing = CLI.run(["retrieve", image, "--session-hex", "ff766d", "--token", "1", "-o", directory.path("x")])
        #expect(missing.status == 1)
        #expect(missing.stderrLines == [#"luo-serialize: \#(image): no session named "\xffvm" (sessions: "\xffvm0", "vm0")"#])
    }

    @Test func badOrMissingSessionIsAUsageError() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("h.kho")
        #expect(CLI.run(["encode", try directory.write("m.json", Self.manifest), "-o", image]).status == 0)
        for arguments in [["--session-hex", "f"], ["--session-hex", "zz"], ["--session", "vm0", "--session-hex", "00"], []] {
            let result = CLI.run(["retrieve", image, "--token", "1", "-o", directory.path("x")] + arguments)
            #expect(result.status == 2)
        }
    }

    @Test func textAndJSONShowTheBytes() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("h.kho")
        #expect(CLI.run(["encode", try directory.write("m.json", Self.manifest), "-o", image]).status == 0)
        let text = CLI.run(["decode", image, "--format", "text"])
        #expect(text.status == 0)
        #expect(text.stdout.contains(#"session[0] "\xffvm0": luo_session_ser @ "#))
        let json = CLI.run(["decode", image])
        #expect(json.stdout.contains(#""name_hex": "ff766d30""#))
        let again = directory.path("again.kho")
        #expect(CLI.run(["encode", try directory.write("again.json", json.stdout), "-o", again]).status == 0)
        #expect(try readBytes(again) == readBytes(image))
    }
}
