import Foundation
import TestSupport
import Testing

/// `luo-serialize diff`: differences in meaning, by session, token and field.
@Suite struct DiffCommandTests {
    @Test func sameImageIsIdentical() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let copy = try directory.write("copy.kho", bytes: try readBytes(image))
        let result = CLI.run(["diff", image, copy])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
    }

    @Test func anotherBaseIsTheSameMeaning() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let moved = directory.path("moved.kho")
        #expect(CLI.run(["encode", Repository.exampleManifest, "-o", moved, "--base", "0x80000000"]).status == 0)
        #expect(try readBytes(image) != readBytes(moved))
        let result = CLI.run(["diff", image, moved])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
    }

    @Test func differencesAreListedBySessionTokenAndField() throws {
        let directory = try TemporaryDirectory()
        let a = try directory.write("a.json", """
        {"liveupdate_number": 1, "sessions": [
          {"name": "vm0", "files": [
            {"token": 1, "compatible": "memfd-v2", "memfd": {"size": 3, "pos": 0, "contents_base64": "YWJj"}},
            {"token": 2, "compatible": "vfio-v1", "data": "0x10"},
            {"token": 3, "compatible": "raw-v1", "data": 1}]},
          {"name": "gone", "files": []}],
         "flb": [{"name": "f", "data": 1, "count": 1}]}
        """)
        let b = try directory.write("b.json", """
        {"liveupdate_number": 2, "sessions": [
          {"name": "vm0", "files": [
            {"token": 1, "compatible": "memfd-v2", "memfd": {"size": 3, "pos": 1, "contents_base64": "YWJk"}},
            {"token": 2, "compatible": "vfio-v1", "data": "0x11"},
            {"token": 4, "compatible": "raw-v1", "data": 1}]},
          {"name": "new", "files": []}],
         "flb": [{"name": "f", "data": 1, "count": 2}]}
        """)
        #expect(CLI.run(["encode", a, "-o", directory.path("a.kho")]).status == 0)
        #expect(CLI.run(["encode", b, "-o", directory.path("b.kho")]).status == 0)
        let result = CLI.run(["diff", directory.path("a.kho"), directory.path("b.kho")])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            "liveupdate_number: 1 != 2",
            "session \"vm0\" token 1 memfd.pos: 0 != 1",
            "session \"vm0\" token 1 memfd.contents: first differs at offset 2 (0x2): 0x63 != 0x64, 1 byte differs",
            "session \"vm0\" token 2 data: 0x10 != 0x11",
            "session \"vm0\" token 3: only in A",
            "session \"vm0\" token 4: only in B",
            "session \"gone\": only in A (0 files)",
            "session \"new\": only in B (0 files)",
            "flb \"f\" count: 1 != 2",
        ])
        #expect(result.stderrLines == ["luo-serialize: \(directory.path("a.kho")) and \(directory.path("b.kho")) differ: 9 differences"])
    }

    @Test func contentKindChangeIsADifference() throws {
        let directory = try TemporaryDirectory()
        let a = try directory.write("a.json", #"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": [{"token": 5, "compatible": "x", "data": 1}]}]}"#)
        let b = try directory.write("b.json", #"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": [{"token": 5, "compatible": "y", "payload_base64": "AQ=="}]}]}"#)
        #expect(CLI.run(["encode", a, "-o", directory.path("a.kho")]).status == 0)
        #expect(CLI.run(["encode", b, "-o", directory.path("b.kho")]).status == 0)
        let result = CLI.run(["diff", directory.path("a.kho"), directory.path("b.kho")])
        #expect(result.status == 1)
        #expect(result.stdout == "session \"s\" token 5 compatible: \"x\" != \"y\"\nsession \"s\" token 5 content: raw data != payload\n")
    }

    @Test func lengthChangesAreReported() throws {
        let directory = try TemporaryDirectory()
        let a = try directory.write("a.json", #"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": [{"token": 1, "compatible": "memfd-v2", "memfd": {"size": 3, "pos": 0, "contents_base64": "YWJj"}}]}], "flb": [{"name": "f", "data": 1, "count": 1}]}"#)
        let b = try directory.write("b.json", #"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": [{"token": 1, "compatible": "memfd-v2", "memfd": {"size": 4, "pos": 0, "contents_base64": "YWJjZA=="}}]}], "flb": [{"name": "f", "data": "0x2", "count": 1}]}"#)
        #expect(CLI.run(["encode", a, "-o", directory.path("a.kho")]).status == 0)
        #expect(CLI.run(["encode", b, "-o", directory.path("b.kho")]).status == 0)
        let result = CLI.run(["diff", directory.path("a.kho"), directory.path("b.kho")])
        #expect(result.status == 1)
        #expect(result.stdout == """
        session "s" token 1 memfd.size: 3 != 4
        session "s" token 1 memfd.contents: length 3 != 4 (equal up to offset 3)
        flb "f" data: 0x1 != 0x2

        """)
        #expect(result.stderrLines == ["luo-serialize: \(directory.path("a.kho")) and \(directory.path("b.kho")) differ: 3 differences"])
    }

    @Test func invalidInputIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let truncated = try directory.write("t.kho", bytes: Array(try readBytes(image).prefix(100)))
        let result = CLI.run(["diff", image, truncated])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(truncated): "))
    }
}
