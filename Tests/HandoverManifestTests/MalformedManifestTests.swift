import Foundation
import HandoverManifest
import HandoverModel
import TestSupport
import Testing

/// The malformed-manifest corpus (issue 5): the cases ManifestErrorTests
/// does not already cover, one per way a manifest can be wrong, each with
/// the exact error and key path.
@Suite struct MalformedManifestTests {
    private static func error(_ text: String, format: ManifestFormat = .json) -> ManifestError? {
        do {
            _ = try HandoverManifest.parse(text, format: format, defaultGeneration: .khoV2Prerelease)
            return nil
        } catch {
            return error
        }
    }

    /// A manifest whose one session holds `file` as its only file.
    private static func file(_ file: String) -> String {
        #"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": ["# + file + "]}]}"
    }

    private static func memfd(_ section: String) -> String {
        file(#"{"token": 1, "compatible": "memfd-v1", "memfd": "# + section + "}")
    }

    private static func flb(_ entry: String) -> String {
        #"{"liveupdate_number": 1, "sessions": [], "flb": ["# + entry + "]}"
    }

    static let u64 = "a u64 (an integer or a \"0x...\" string)"
    static let unsigned = "an unsigned integer"

    static let wrongTypes: [(String, ManifestError)] = [
        (#"{"liveupdate_number": 1, "sessions": [5]}"#,
         .wrongType(path: "sessions[0]", expected: "a mapping", found: "integer 5")),
        (#"{"liveupdate_number": 1, "sessions": [[]]}"#,
         .wrongType(path: "sessions[0]", expected: "a mapping", found: "a list")),
        (#"{"liveupdate_number": 1, "sessions": [{"name": 7, "files": []}]}"#,
         .wrongType(path: "sessions[0].name", expected: "a string", found: "integer 7")),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": "none"}]}"#,
         .wrongType(path: "sessions[0].files", expected: "a list", found: "string \"none\"")),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "s", "files": [true]}]}"#,
         .wrongType(path: "sessions[0].files[0]", expected: "a mapping", found: "boolean true")),
        (#"{"liveupdate_number": 1, "sessions": null}"#,
         .wrongType(path: "sessions", expected: "a list", found: "null")),
        (#"{"liveupdate_number": null, "sessions": []}"#,
         .wrongType(path: "liveupdate_number", expected: unsigned, found: "null")),
        (#"{"liveupdate_number": [1], "sessions": []}"#,
         .wrongType(path: "liveupdate_number", expected: unsigned, found: "a list")),
        (#"{"liveupdate_number": 1, "sessions": [], "flb": {}}"#,
         .wrongType(path: "flb", expected: "a list", found: "a mapping")),
        (flb(#"{"name": "f", "data": 1, "count": "2"}"#),
         .wrongType(path: "flb[0].count", expected: unsigned, found: "string \"2\"")),
        (flb(#"{"name": ["f"], "data": 1, "count": 2}"#),
         .wrongType(path: "flb[0].name", expected: "a string", found: "a list")),
        (flb(#"{"name": "f", "data": 1.0, "count": 2}"#),
         .wrongType(path: "flb[0].data", expected: u64, found: "number 1.0")),
        (file(#"{"token": 1, "compatible": "x", "data": "0x"}"#),
         .wrongType(path: "sessions[0].files[0].data", expected: u64, found: "string \"0x\"")),
        (file(#"{"token": 1, "compatible": "x", "data": "0xfg"}"#),
         .wrongType(path: "sessions[0].files[0].data", expected: u64, found: "string \"0xfg\"")),
        (file(#"{"token": 1, "compatible": "x", "data": {}}"#),
         .wrongType(path: "sessions[0].files[0].data", expected: u64, found: "a mapping")),
        (file(#"{"token": 1, "compatible": "x", "payload_base64": 12}"#),
         .wrongType(path: "sessions[0].files[0].payload_base64", expected: "a string", found: "integer 12")),
        (memfd("[]"),
         .wrongType(path: "sessions[0].files[0].memfd", expected: "a mapping", found: "a list")),
        (memfd(#"{"size": 0, "pos": "0", "contents_base64": ""}"#),
         .wrongType(path: "sessions[0].files[0].memfd.pos", expected: unsigned, found: "string \"0\"")),
        (memfd(#"{"size": 0, "pos": 0, "contents_base64": null}"#),
         .wrongType(path: "sessions[0].files[0].memfd.contents_base64", expected: "a string", found: "null")),
    ]

    @Test func wrongTypes() {
        for (text, expected) in Self.wrongTypes {
            #expect(Self.error(text) == expected, "\(text)")
        }
    }

    static let missingKeys: [(String, ManifestError)] = [
        (#"{"liveupdate_number": 1}"#, .missingKey(path: "sessions")),
        (#"{"liveupdate_number": 1, "sessions": [{"files": []}]}"#, .missingKey(path: "sessions[0].name")),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "s"}]}"#, .missingKey(path: "sessions[0].files")),
        (file(#"{"token": 1, "data": 1}"#), .missingKey(path: "sessions[0].files[0].compatible")),
        (memfd(#"{"pos": 0, "contents_base64": ""}"#), .missingKey(path: "sessions[0].files[0].memfd.size")),
        (memfd(#"{"size": 0, "pos": 0}"#), .missingKey(path: "sessions[0].files[0].memfd.contents_base64")),
        (flb(#"{"data": 1, "count": 1}"#), .missingKey(path: "flb[0].name")),
        (flb(#"{"name": "f", "count": 1}"#), .missingKey(path: "flb[0].data")),
        (flb(#"{"name": "f", "data": 1}"#), .missingKey(path: "flb[0].count")),
        ("{}", .missingKey(path: "liveupdate_number")),
    ]

    @Test func missingKeys() {
        for (text, expected) in Self.missingKeys {
            #expect(Self.error(text) == expected, "\(text)")
        }
    }

    static let outOfRange: [(String, ManifestError?)] = [
        (flb(#"{"name": "f", "data": 1, "count": 18446744073709551616}"#),
         .outOfRange(path: "flb[0].count", value: "18446744073709551616", reason: "a u64 is at most 18446744073709551615")),
        (flb(#"{"name": "f", "data": -1, "count": 1}"#),
         .outOfRange(path: "flb[0].data", value: "-1", reason: "must not be negative")),
        (memfd(#"{"size": 99999999999999999999, "pos": 0, "contents_base64": ""}"#),
         .outOfRange(path: "sessions[0].files[0].memfd.size", value: "99999999999999999999",
                     reason: "a u64 is at most 18446744073709551615")),
        (memfd(#"{"size": 0, "pos": -3, "contents_base64": ""}"#),
         .outOfRange(path: "sessions[0].files[0].memfd.pos", value: "-3", reason: "must not be negative")),
        (file(#"{"token": 1, "compatible": "x", "data": "0x00000000000000000000000000000001"}"#),
         .none),
        (file(#"{"token": 1, "compatible": "x", "data": "0xfffffffffffffffff"}"#),
         .outOfRange(path: "sessions[0].files[0].data", value: "0xfffffffffffffffff", reason: "a u64 is at most 0xffffffffffffffff")),
        (#"{"liveupdate_number": -18446744073709551616, "sessions": []}"#,
         .outOfRange(path: "liveupdate_number", value: "-18446744073709551616", reason: "must not be negative")),
    ]

    @Test func numbersOutOfRange() throws {
        for (text, expected) in Self.outOfRange {
            #expect(Self.error(text) == expected, "\(text)")
        }
        // The largest values are accepted exactly.
        let state = try HandoverManifest.parse(
            Self.flb(#"{"name": "f", "data": "0xffffffffffffffff", "count": 18446744073709551615}"#))
        #expect(state.flbs == [FLBRecord(name: "f", data: .max, count: .max)])
    }

    @Test func badBase64() throws {
        let path = "sessions[0].files[0].payload_base64"
        for text in ["AAA", "A===", "====", "AA==AA==", "AA=A", "é", "AA*A", "-_-_", "AAAAA", "=AAA"] {
            let manifest = Self.file(#"{"token": 1, "compatible": "x", "payload_base64": ""# + text + #""}"#)
            #expect(Self.error(manifest) == .badBase64(path: path), "\(text)")
        }
        #expect(Self.error(Self.memfd(#"{"size": 1, "pos": 0, "contents_base64": "QQ=Q"}"#))
            == .badBase64(path: "sessions[0].files[0].memfd.contents_base64"))
        // Wrapped base64 (spaces, tabs, CR/LF) is accepted.
        let wrapped = try HandoverManifest.parse(Self.file(#"{"token": 1, "compatible": "x", "payload_base64": "AA\tE\r\nC"}"#))
        #expect(wrapped.sessions[0].files[0].content == .payload([0, 1, 2]))
    }

    @Test func yamlOnlyShapes() throws {
        // An alias that repeats a little is read like the value it names.
        let reused = try HandoverManifest.parse(
            "liveupdate_number: &n 7\nsessions: []\nflb: [{name: f, data: *n, count: *n}]\n", format: .yaml)
        #expect(reused.flbs == [FLBRecord(name: "f", data: 7, count: 7)])
        // Aliases that would make the walk repeat more than the text holds
        // ("billion laughs") are refused at the first node past the budget
        // of twice the text's length.
        let payload = String(repeating: "AAAA", count: 250)
        var text = "liveupdate_number: 1\nsessions:\n  - name: s0\n    files: &files\n"
            + "      - {token: 1, compatible: x, payload_base64: \(payload)}\n"
        for index in 1...50 { text += "  - {name: s\(index), files: *files}\n" }
        #expect(Self.error(text, format: .yaml)
            == .syntax(message: "sessions[5].files[0].payload_base64: aliases repeat more than the document's \(text.utf8.count) bytes hold"))
        // A mapping used as a key.
        #expect(Self.error("? {a: 1}\n: 2\n", format: .yaml)
            == .wrongType(path: "manifest", expected: "string keys", found: "a non-scalar key"))
        // A duplicate key deep inside is named with its position.
        #expect(Self.error(Self.file(#"{"token": 1, "token": 2, "compatible": "x", "data": 1}"#))
            == .syntax(message: "line 1, column 64: key given twice: token"))
        // A scalar document.
        #expect(Self.error("42") == .wrongType(path: "manifest", expected: "a mapping", found: "integer 42"))
    }

    @Test func unreadableManifests() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("bad.json")
        try Data([0x7b, 0xff, 0xfe, 0x7d]).write(to: URL(fileURLWithPath: path))
        #expect(throws: ManifestError.unreadable(file: path, reason: "not UTF-8 text")) { try HandoverManifest.load(path: path) }
        let empty = directory.path("empty.yaml")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: ManifestError.emptyDocument) { try HandoverManifest.load(path: empty) }
    }
}
