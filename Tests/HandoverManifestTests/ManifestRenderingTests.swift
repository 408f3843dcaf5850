import HandoverManifest
import HandoverModel
import Testing

/// The canonical JSON: exact text, and parse(render(x)) == x.
@Suite struct ManifestRenderingTests {
    @Test func exactCanonicalText() {
        let state = HandoverState(
            generation: .khoV2Prerelease,
            liveupdateNumber: 2,
            sessions: [
                SessionRecord(name: "vm\"0", files: [
                    FileRecord(token: 1, compatible: "memfd-v1",
                               content: .memfd(MemfdContents(size: 2, position: 1, contents: [0x68, 0x69]))),
                    FileRecord(token: UInt64.max, compatible: "vfio-v1", content: .data(0xdead_beef)),
                    FileRecord(token: 3, compatible: "blob-v1", content: .payload([0, 1, 2])),
                ]),
                SessionRecord(name: "empty"),
            ],
            flbs: [FLBRecord(name: "iommu-core-v1", data: 0, count: 18_446_744_073_709_551_615)])
        let expected = """
        {
          "kernel": "kho-v2+luo-v1+memfd-v1",
          "liveupdate_number": 2,
          "sessions": [
            {
              "name": "vm\\"0",
              "files": [
                {
                  "token": 1,
                  "compatible": "memfd-v1",
                  "memfd": {
                    "size": 2,
                    "pos": 1,
                    "contents_base64": "aGk="
                  }
                },
                {
                  "token": 18446744073709551615,
                  "compatible": "vfio-v1",
                  "data": "0xdeadbeef"
                },
                {
                  "token": 3,
                  "compatible": "blob-v1",
                  "payload_base64": "AAEC"
                }
              ]
            },
            {
              "name": "empty",
              "files": []
            }
          ],
          "flb": [
            {
              "name": "iommu-core-v1",
              "data": "0x0",
              "count": 18446744073709551615
            }
          ]
        }

        """
        #expect(HandoverManifest.render(state) == expected)
    }

    @Test func renderThenParseIsTheIdentity() throws {
        let state = ManifestParsingTests.fullState
        let text = HandoverManifest.render(state)
        #expect(try HandoverManifest.parse(text, format: .json) == state)
        #expect(HandoverManifest.render(try HandoverManifest.parse(text)) == text)
    }

    @Test func controlCharactersAreEscaped() throws {
        let state = HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1, sessions: [SessionRecord(name: "a\u{01}\tb\n")])
        let text = HandoverManifest.render(state)
        #expect(text.contains(#""a\u0001\tb\n""#))
        #expect(try HandoverManifest.parse(text) == state)
    }

    @Test func emptyState() {
        #expect(HandoverManifest.render(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1))
            == "{\n  \"kernel\": \"kho-v2+luo-v1+memfd-v1\",\n  \"liveupdate_number\": 1,\n  \"sessions\": [],\n  \"flb\": []\n}\n")
        // The newest generation names its release and writes its kexec-metadata.
        #expect(HandoverManifest.render(HandoverState(liveupdateNumber: 1))
            == "{\n  \"kernel\": \"7.3\",\n  \"liveupdate_number\": 1,\n  \"sessions\": [],\n  \"flb\": [],\n"
            + "  \"kexec_metadata\": {\n    \"previous_release\": \"7.3.4\",\n    \"kexec_count\": 1\n  }\n}\n")
    }
}
