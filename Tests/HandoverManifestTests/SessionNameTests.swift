import HandoverManifest
import HandoverModel
import Testing

/// Session names are bytes: their views, their display and their manifest spelling.
@Suite struct SessionNameTests {
    static let notUTF8 = SessionName(bytes: [0xff, 0x76, 0x6d, 0x30])

    @Test func literalsAreTheirUTF8() {
        #expect(SessionName("vm0").bytes == [0x76, 0x6d, 0x30])
        let name: SessionName = "é"
        #expect(name.bytes == [0xc3, 0xa9])
        let index = 4
        let interpolated: SessionName = "vm\(index)"
        #expect(interpolated.bytes == Array("vm4".utf8))
    }

    @Test func equalityIsByteEquality() {
        // Precomposed and decomposed "é" are equal Strings but two names to the kernel.
        #expect("\u{e9}" == "e\u{301}")
        #expect(SessionName("\u{e9}") != SessionName("e\u{301}"))
        #expect(Set([SessionName("\u{e9}"), SessionName("e\u{301}")]).count == 2)
    }

    @Test func stringViewIsLosslessOrNil() {
        #expect(SessionName("vm-é").string == "vm-é")
        #expect(Self.notUTF8.string == nil)
        #expect(SessionName(bytes: [0xc3]).string == nil)
    }

    @Test func descriptionEscapesWhatIsNotPrintable() {
        #expect(SessionName("vm0").description == "vm0")
        #expect(Self.notUTF8.description == #"\xffvm0"#)
        #expect(SessionName("a\"b\\c").description == #"a\"b\\c"#)
        #expect(SessionName("evil\n\u{1b}[31m\t\r").description == #"evil\n\x1b[31m\t\r"#)
        #expect(SessionName("é\u{7f}\u{85}").description == #"é\x7f\xc2\x85"#)
        // Bytes that start no valid sequence: a stray continuation byte, an
        // overlong form, a surrogate, a truncated sequence.
        #expect(SessionName(bytes: [0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82]).description
            == #"\x80\xc0\xaf\xed\xa0\x80\xe2\x82"#)
        #expect(SessionName("𝄞").description == "𝄞")
    }

    @Test func displayEscapingQuotes() {
        #expect(DisplayEscaping.quoted("x\ty") == #""x\ty""#)
        #expect(DisplayEscaping.quoted([0x00, 0x41]) == #""\x00A""#)
    }

    @Test func hexSpelling() {
        #expect(Self.notUTF8.hexSpelling == "ff766d30")
        #expect(SessionName(hexSpelling: "ff766d30") == Self.notUTF8)
        #expect(SessionName(hexSpelling: "FF766D30") == Self.notUTF8)
        #expect(SessionName(hexSpelling: "ff7") == nil)
        #expect(SessionName(hexSpelling: "0xff") == nil)
        #expect(SessionName(hexSpelling: "zz") == nil)
    }
}

/// A name that is not UTF-8 is spelled `name_hex` in a manifest and reads
/// back to the same bytes, from JSON and from YAML.
@Suite struct ManifestNameHexTests {
    static let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [
        SessionRecord(name: SessionNameTests.notUTF8, files: [FileRecord(token: 1, compatible: "raw-v1", content: .data(2))]),
        SessionRecord(name: "vm1"),
    ])

    @Test func rendersNameHexOnlyForANameThatIsNotUTF8() throws {
        let text = HandoverManifest.render(Self.state)
        #expect(text.contains(#""name_hex": "ff766d30""#))
        #expect(text.contains(#""name": "vm1""#))
        #expect(try HandoverManifest.parse(text, format: .json) == Self.state)
        #expect(try HandoverManifest.parse(text, format: .yaml) == Self.state)
    }

    @Test func yamlSpellsItTheSameWay() throws {
        let yaml = """
        kernel: "7.3"
        liveupdate_number: 1
        sessions:
          - name_hex: FF766D30
            files:
              - {token: 1, compatible: raw-v1, data: "0x2"}
          - name: vm1
            files: []
        """
        #expect(try HandoverManifest.parse(yaml, format: .yaml) == Self.state)
    }

    /// Every UTF-8 name stays `name` and reads back byte for byte, also
    /// through YAML, which refuses raw C1 controls and folds U+2028.
    @Test func utf8NamesWithAwkwardCharactersRoundTrip() throws {
        for text in ["a\u{01}\tb\n", "\u{7f}\u{80}\u{85}\u{9f}", "x\u{2028}y\u{2029}", "\u{fffe}\u{ffff}"] {
            let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [SessionRecord(name: SessionName(text))])
            let rendered = HandoverManifest.render(state)
            #expect(!rendered.contains("name_hex"))
            let json = try HandoverManifest.parse(rendered, format: .json)
            let yaml = try HandoverManifest.parse(rendered, format: .yaml)
            #expect(json == state, "\(rendered) \(json.sessions.map(\.name.bytes))")
            #expect(yaml == state, "\(rendered) \(yaml.sessions.map(\.name.bytes))")
        }
    }

    /// A byte order mark is dropped by a YAML reader: a name holding one is
    /// spelled in hex.
    @Test func aByteOrderMarkIsSpelledInHex() throws {
        for text in ["\u{feff}vm", "vm\u{feff}"] {
            let state = HandoverState(generation: .linux7_3, liveupdateNumber: 1, sessions: [SessionRecord(name: SessionName(text))])
            let rendered = HandoverManifest.render(state)
            #expect(rendered.contains(#""name_hex": ""# + SessionName(text).hexSpelling + #"""#))
            #expect(try HandoverManifest.parse(rendered, format: .yaml) == state)
        }
    }

    @Test func nameAndNameHexAreExclusiveAndHexIsChecked() {
        #expect(throws: ManifestError.conflictingName(path: "sessions[0]")) {
            try HandoverManifest.parse(#"{"liveupdate_number": 1, "sessions": [{"name": "a", "name_hex": "61", "files": []}]}"#)
        }
        #expect(throws: ManifestError.badHex(path: "sessions[0].name_hex")) {
            try HandoverManifest.parse(#"{"liveupdate_number": 1, "sessions": [{"name_hex": "6", "files": []}]}"#)
        }
        #expect(throws: ManifestError.badHex(path: "sessions[0].name_hex")) {
            try HandoverManifest.parse(#"{"liveupdate_number": 1, "sessions": [{"name_hex": "0x61", "files": []}]}"#)
        }
        #expect(throws: ManifestError.missingKey(path: "sessions[0].name")) {
            try HandoverManifest.parse(#"{"liveupdate_number": 1, "sessions": [{"files": []}]}"#)
        }
        #expect(ManifestError.conflictingName(path: "sessions[0]").description
            == "sessions[0]: has both name and name_hex; a session is named by exactly one")
        #expect(ManifestError.badHex(path: "sessions[0].name_hex").description
            == "sessions[0].name_hex: not pairs of hex digits (one pair per byte of the name)")
    }
}
