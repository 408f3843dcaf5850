import HandoverManifest
import HandoverModel
import Testing

/// Each kind of manifest error, with the exact key path it names.
@Suite struct ManifestErrorTests {
    private func error(_ text: String, format: ManifestFormat = .json) -> ManifestError? {
        do {
            _ = try HandoverManifest.parse(text, format: format, defaultGeneration: .khoV2Prerelease)
            return nil
        } catch {
            return error
        }
    }

    private func file(_ body: String) -> String {
        #"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": []}, {"name": "b", "files": [{"token": 1, "compatible": "x", "data": 1}, "#
            + body + "]}]}"
    }

    @Test func unknownKeyIsNamedWithItsPath() {
        #expect(error(file(#"{"token": 2, "compatible": "x", "data": 1, "colour": "red"}"#))
            == .unknownKey(path: "sessions[1].files[1].colour"))
        #expect(error(#"{"liveupdate_number": 1, "sessions": [], "extra": 0}"#) == .unknownKey(path: "extra"))
        #expect(error(#"{"liveupdate_number": 1, "sessions": [], "flb": [{"name": "f", "data": 1, "count": 1, "cnt": 1}]}"#)
            == .unknownKey(path: "flb[0].cnt"))
        #expect(ManifestError.unknownKey(path: "extra").description == "extra: unknown key")
    }

    @Test func missingKey() {
        #expect(error(#"{"sessions": []}"#) == .missingKey(path: "liveupdate_number"))
        #expect(error(file(#"{"compatible": "x", "data": 1}"#)) == .missingKey(path: "sessions[1].files[1].token"))
        #expect(error(file(#"{"token": 2, "compatible": "memfd-v1", "memfd": {"size": 0, "contents_base64": ""}}"#))
            == .missingKey(path: "sessions[1].files[1].memfd.pos"))
        #expect(ManifestError.missingKey(path: "liveupdate_number").description == "liveupdate_number: missing key")
    }

    @Test func wrongType() {
        #expect(error(#"{"liveupdate_number": "1", "sessions": []}"#)
            == .wrongType(path: "liveupdate_number", expected: "an unsigned integer", found: "string \"1\""))
        #expect(error(#"{"liveupdate_number": 1.5, "sessions": []}"#)
            == .wrongType(path: "liveupdate_number", expected: "an unsigned integer", found: "number 1.5"))
        #expect(error(#"{"liveupdate_number": 1, "sessions": {}}"#)
            == .wrongType(path: "sessions", expected: "a list", found: "a mapping"))
        #expect(error(file(#"{"token": 2, "compatible": 5, "data": 1}"#))
            == .wrongType(path: "sessions[1].files[1].compatible", expected: "a string", found: "integer 5"))
        #expect(error(file(#"{"token": 2, "compatible": "x", "data": "12"}"#))
            == .wrongType(path: "sessions[1].files[1].data", expected: "a u64 (an integer or a \"0x...\" string)",
                          found: "string \"12\""))
        #expect(error("[1, 2]") == .wrongType(path: "manifest", expected: "a mapping", found: "a list"))
        #expect(error(file(#"{"token": true, "compatible": "x", "data": 1}"#))
            == .wrongType(path: "sessions[1].files[1].token", expected: "an unsigned integer", found: "boolean true"))
    }

    @Test func numbersOutOfRange() {
        #expect(error(#"{"liveupdate_number": 18446744073709551616, "sessions": []}"#)
            == .outOfRange(path: "liveupdate_number", value: "18446744073709551616",
                           reason: "a u64 is at most 18446744073709551615"))
        #expect(error(file(#"{"token": -1, "compatible": "x", "data": 1}"#))
            == .outOfRange(path: "sessions[1].files[1].token", value: "-1", reason: "must not be negative"))
        #expect(error(file(#"{"token": 2, "compatible": "x", "data": "0x10000000000000000"}"#))
            == .outOfRange(path: "sessions[1].files[1].data", value: "0x10000000000000000",
                           reason: "a u64 is at most 0xffffffffffffffff"))
    }

    @Test func badBase64() {
        #expect(error(file(#"{"token": 2, "compatible": "x", "payload_base64": "not base64!"}"#))
            == .badBase64(path: "sessions[1].files[1].payload_base64"))
        #expect(error(file(#"{"token": 2, "compatible": "memfd-v1", "memfd": {"size": 1, "pos": 0, "contents_base64": "A"}}"#))
            == .badBase64(path: "sessions[1].files[1].memfd.contents_base64"))
    }

    @Test func dataAndAHandlerSectionTogether() {
        #expect(error(file(#"{"token": 2, "compatible": "x", "data": 1, "payload_base64": "AA=="}"#))
            == .conflictingContent(path: "sessions[1].files[1]", keys: ["data", "payload_base64"]))
        #expect(error(file(#"{"token": 2, "compatible": "memfd-v1", "data": 1, "memfd": {"size": 0, "pos": 0, "contents_base64": ""}}"#))
            == .conflictingContent(path: "sessions[1].files[1]", keys: ["data", "memfd"]))
        #expect(error(file(#"{"token": 2, "compatible": "x"}"#)) == .missingContent(path: "sessions[1].files[1]"))
    }

    @Test func handlerSectionMustFitTheCompatible() {
        #expect(error(file(#"{"token": 2, "compatible": "x", "memfd": {"size": 0, "pos": 0, "contents_base64": ""}}"#))
            == .handlerMismatch(path: "sessions[1].files[1].memfd", compatible: "x",
                                reason: "is not memfd-v1; a memfd section needs that handler"))
        // Raw data is accepted for any compatible, the memfd handler's too
        // (encode warns: the next kernel's memfd handler cannot retrieve it).
        #expect(error(file(#"{"token": 2, "compatible": "memfd-v1", "data": 5}"#)) == nil)
    }

    @Test func memfdSizeMustMatchTheContents() {
        #expect(error(file(#"{"token": 2, "compatible": "memfd-v1", "memfd": {"size": 6, "pos": 0, "contents_base64": "aGVsbG8="}}"#))
            == .memfdSizeMismatch(path: "sessions[1].files[1].memfd.size", size: 6, contentsLength: 5))
        #expect(ManifestError.memfdSizeMismatch(path: "p.size", size: 6, contentsLength: 5).description
            == "p.size: size is 6 but contents_base64 decodes to 5 bytes")
    }

    @Test func syntaxErrorsAndEmptyDocuments() {
        guard case let .syntax(message) = error(#"{"liveupdate_number": 1,"#) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(message.hasPrefix("line 2, column 1: did not find expected node content"))
        #expect(!message.contains("\n"))
        #expect(error("") == .emptyDocument)
        // A bare word is YAML, not JSON.
        guard case .syntax = error(#"{"liveupdate_number": 1, "sessions": [{"name": vm0, "files": []}]}"#) else {
            Issue.record("expected a syntax error for a bare word in JSON")
            return
        }
    }

    @Test func duplicateKeysAreRefused() {
        // The YAML composer finds them first, with their position.
        #expect(error(#"{"liveupdate_number": 1, "liveupdate_number": 2, "sessions": []}"#)
            == .syntax(message: "line 1, column 2: key given twice: liveupdate_number"))
        #expect(error("liveupdate_number: 1\n\"liveupdate_number\": 2\nsessions: []\n", format: .yaml)
            == .syntax(message: "line 1, column 1: key given twice: liveupdate_number"))
    }

    @Test func directoryIsUnreadable() {
        #expect(throws: ManifestError.unreadable(file: "/", reason: "Is a directory")) {
            try HandoverManifest.load(path: "/")
        }
    }

    @Test func unreadableFile() {
        #expect(throws: ManifestError.unreadable(file: "/nonexistent/m.json", reason: "No such file or directory")) {
            try HandoverManifest.load(path: "/nonexistent/m.json")
        }
    }
}
