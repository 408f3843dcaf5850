import HandoverManifest
import HandoverModel
import Testing

/// Parsing manifests into the model: every key, both number forms, both formats.
@Suite struct ManifestParsingTests {
    static let fullJSON = """
    {
      "liveupdate_number": 7,
      "sessions": [
        {
          "name": "vm0",
          "files": [
            { "token": 1, "compatible": "memfd-v1",
              "memfd": { "size": 5, "pos": 2, "contents_base64": "aGVsbG8=" } },
            { "token": 18446744073709551615, "compatible": "vfio-v1", "data": "0xfedcba9876543210" },
            { "token": 3, "compatible": "blob-v1", "payload_base64": "AAEC" }
          ]
        },
        { "name": "empty", "files": [] }
      ],
      "flb": [ { "name": "iommu-core-v1", "data": 4660, "count": 2 } ]
    }
    """

    static let fullState = HandoverState(
        generation: .khoV2Prerelease,
        liveupdateNumber: 7,
        sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: "memfd-v1",
                           content: .memfd(MemfdContents(size: 5, position: 2, contents: Array("hello".utf8)))),
                FileRecord(token: UInt64.max, compatible: "vfio-v1", content: .data(0xfedc_ba98_7654_3210)),
                FileRecord(token: 3, compatible: "blob-v1", content: .payload([0, 1, 2])),
            ]),
            SessionRecord(name: "empty"),
        ],
        flbs: [FLBRecord(name: "iommu-core-v1", data: 0x1234, count: 2)])

    @Test func jsonParsesToTheModel() throws {
        #expect(try HandoverManifest.parse(Self.fullJSON, format: .json, defaultGeneration: .khoV2Prerelease) == Self.fullState)
    }

    @Test func yamlParsesToTheSameModel() throws {
        let yaml = """
        liveupdate_number: 7
        sessions:
          - name: vm0
            files:
              - token: 1
                compatible: memfd-v1
                memfd: {size: 5, pos: 2, contents_base64: aGVsbG8=}
              - token: 18446744073709551615
                compatible: vfio-v1
                data: "0xfedcba9876543210"
              - token: 0x3
                compatible: blob-v1
                payload_base64: AAEC
          - name: empty
            files: []
        flb:
          - {name: iommu-core-v1, data: 0x1234, count: 2}
        """
        #expect(try HandoverManifest.parse(yaml, format: .yaml, defaultGeneration: .khoV2Prerelease) == Self.fullState)
    }

    @Test func base64MayBeWrappedOverLines() throws {
        let yaml = """
        liveupdate_number: 1
        sessions:
          - name: s
            files:
              - token: 1
                compatible: blob-v1
                payload_base64: |
                  aGVs
                  bG8=
        """
        #expect(try HandoverManifest.parse(yaml, format: .yaml, defaultGeneration: .khoV2Prerelease).sessions[0].files[0].content == .payload(Array("hello".utf8)))
    }

    @Test func u64ValuesAbove2To63StayExact() throws {
        let text = """
        {"liveupdate_number": 9007199254740993, "sessions": [{"name": "s", "files": [
          {"token": 9223372036854775809, "compatible": "x", "data": 18446744073709551614}]}]}
        """
        let state = try HandoverManifest.parse(text)
        #expect(state.liveupdateNumber == 9_007_199_254_740_993)
        #expect(state.sessions[0].files[0].token == 9_223_372_036_854_775_809)
        #expect(state.sessions[0].files[0].content == .data(18_446_744_073_709_551_614))
        #expect(state.flbs.isEmpty)
    }

    @Test func formatFollowsTheFileExtension() {
        #expect(ManifestFormat(path: "a/b.yaml") == .yaml)
        #expect(ManifestFormat(path: "b.YML") == .yaml)
        #expect(ManifestFormat(path: "b.json") == .json)
        #expect(ManifestFormat(path: "b") == .json)
    }

    @Test func stringsWithEscapesAndUnicode() throws {
        let text = #"{"liveupdate_number": 1, "sessions": [{"name": "v\u00e9\"m\\0", "files": []}]}"#
        #expect(try HandoverManifest.parse(text).sessions[0].name == "vé\"m\\0")
    }
}
