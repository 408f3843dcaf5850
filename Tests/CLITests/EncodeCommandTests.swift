import Foundation
import HandoverModel
import KHOImage
import TestSupport
import Testing

/// `luo-serialize encode`: manifests to images, and every way a manifest can be wrong.
@Suite struct EncodeCommandTests {
    @Test func encodesTheExampleQuietlyIntoAValidImage() throws {
        let directory = try TemporaryDirectory()
        let output = directory.path("h.kho")
        let result = CLI.run(["encode", Repository.exampleManifest, "-o", output])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.isEmpty)
        let decoded = try KHOImageReader.readImage(path: output)
        #expect(decoded.state.sessions.map(\.name) == ["vm0", "vm1-iommu"])
        #expect(decoded.state.sessions[0].files[1].content == .data(0xdead_beef))
        #expect(decoded.state.flbs == [FLBRecord(name: "iommu-core-v1", data: 0x1000, count: 1)])
        #expect(decoded.layout.regions.first?.phys == KHOImageWriter.defaultBase)
        // Only the image: no temporary file left beside it.
        #expect(directory.entries == ["h.kho"])
    }

    @Test func yamlAndJSONManifestsGiveIdenticalBytes() throws {
        let directory = try TemporaryDirectory()
        let json = try directory.write("m.json", """
        {"liveupdate_number": 4, "sessions": [{"name": "s", "files": [
          {"token": 18446744073709551615, "compatible": "memfd-v2", "memfd": {"size": 3, "pos": 1, "contents_base64": "YWJj"}},
          {"token": 2, "compatible": "raw-v1", "data": "0xffffffffffffffff"}]}],
         "flb": [{"name": "f", "data": 9007199254740993, "count": 1}]}
        """)
        let yaml = try directory.write("m.yml", """
        liveupdate_number: 4
        sessions:
          - name: s
            files:
              - {token: 18446744073709551615, compatible: memfd-v2, memfd: {size: 3, pos: 1, contents_base64: YWJj}}
              - {token: 2, compatible: raw-v1, data: "0xffffffffffffffff"}
        flb:
          - {name: f, data: 9007199254740993, count: 1}
        """)
        #expect(CLI.run(["encode", json, "-o", directory.path("a.kho")]).status == 0)
        #expect(CLI.run(["encode", yaml, "-o", directory.path("b.kho")]).status == 0)
        #expect(try readBytes(directory.path("a.kho")) == readBytes(directory.path("b.kho")))
        let state = try KHOImageReader.readImage(path: directory.path("a.kho")).state
        #expect(state.sessions[0].files[0].token == UInt64.max)
        #expect(state.sessions[0].files[1].content == .data(UInt64.max))
        #expect(state.flbs[0].data == 9_007_199_254_740_993)
    }

    @Test func bundledYAMLExampleIsTheSameHandoverAsTheJSONOne() throws {
        let directory = try TemporaryDirectory()
        let yaml = Repository.path("Examples/handover.yaml")
        #expect(CLI.run(["encode", yaml, "-o", directory.path("y.kho")]).status == 0)
        #expect(try readBytes(directory.path("y.kho")) == readBytes(try encodeExample(in: directory)))
    }

    @Test func baseMovesTheImage() throws {
        let directory = try TemporaryDirectory()
        let output = directory.path("h.kho")
        #expect(CLI.run(["encode", Repository.exampleManifest, "-o", output, "--base", "0x200000000"]).status == 0)
        #expect(try KHOImageReader.readImage(path: output).layout.regions.first?.phys == 0x2_0000_0000)
    }

    /// Each bad manifest: exit 1, exactly one stderr line naming the file,
    /// the key path and the problem, and no output file.
    @Test(arguments: [
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": [{"token": 1, "compatible": "x", "data": 1, "colour": 2}]}]}"#,
         "sessions[0].files[0].colour: unknown key"),
        (#"{"sessions": []}"#, "liveupdate_number: missing key"),
        (#"{"liveupdate_number": "one", "sessions": []}"#,
         #"liveupdate_number: expected an unsigned integer, found string "one""#),
        (#"{"liveupdate_number": 18446744073709551616, "sessions": []}"#,
         "liveupdate_number: 18446744073709551616 is out of range: a u64 is at most 18446744073709551615"),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": [{"token": 1, "compatible": "x", "payload_base64": "@@"}]}]}"#,
         "sessions[0].files[0].payload_base64: not valid base64"),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": [{"token": 1, "compatible": "x", "data": 1, "payload_base64": "AA=="}]}]}"#,
         "sessions[0].files[0]: has both data and payload_base64; a file holds exactly one of data, memfd, payload_base64, payload_file"),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": [{"token": 1, "compatible": "memfd-v2", "memfd": {"size": 4, "pos": 0, "contents_base64": "YWJj"}}]}]}"#,
         "sessions[0].files[0].memfd.size: size is 4 but contents_base64 decodes to 3 bytes"),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": []}, {"name": "a", "files": []}]}"#,
         #"sessions[1].name: session name "a" is used twice"#),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": [{"token": 1, "compatible": "x", "data": 1}, {"token": 2, "compatible": "0123456789012345678901234567890123456789012345678", "data": 1}]}]}"#,
         #"sessions[0].files[1].compatible: session "a" token 0x2 compatible "0123456789012345678901234567890123456789012345678" is 49 bytes, at most 47 fit before the NUL"#),
        (#"{"liveupdate_number": 1, "sessions": [{"name": "a", "files": [{"token": 1, "compatible": "", "data": 1}]}]}"#,
         #"sessions[0].files[0].compatible: session "a" token 0x1 compatible "" is empty"#),
        (#"{"liveupdate_number": 1, "sessions": [], "flb": [{"name": "f", "data": 1, "count": 0}]}"#,
         #"flb[0].count: FLB "f" has a count of 0; the kernel only serializes FLBs some file depends on"#),
    ])
    func badManifestIsExitOneWithOneLine(manifest: String, problem: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("bad.json", manifest)
        let output = directory.path("out.kho")
        let result = CLI.run(["encode", path, "-o", output])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(path): \(problem)"])
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(directory.entries == ["bad.json"])
    }

    @Test func yamlManifestErrorsNameTheKeyPath() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("bad.yaml", """
        liveupdate_number: 1
        sessions:
          - name: vm0
            files:
              - token: 1
                compatible: memfd-v2
                memfd: {size: 3, pos: 0, contents_base64: YWJj, flags: 5}
        """)
        let result = CLI.run(["encode", path, "-o", directory.path("out.kho")])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: \(path): sessions[0].files[0].memfd.flags: unknown key"])
    }

    @Test func syntaxErrorNamesTheFileOnOneLine() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("broken.json", #"{"liveupdate_number": 1, "sessions": ["#)
        let result = CLI.run(["encode", path, "-o", directory.path("out.kho")])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(path): not valid JSON or YAML: "))
    }

    @Test func missingManifestIsExitOne() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("nope.json")
        let result = CLI.run(["encode", missing, "-o", directory.path("out.kho")])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: cannot read \(missing): No such file or directory"])
    }

    @Test func unreadableManifestsAreExitOne() throws {
        let directory = try TemporaryDirectory()
        let notText = try directory.write("latin1.json", bytes: [0x7b, 0xff, 0xfe, 0x7d])
        let result = CLI.run(["encode", notText, "-o", directory.path("out.kho")])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: cannot read \(notText): not UTF-8 text"])
        let isDirectory = CLI.run(["encode", directory.url.path, "-o", directory.path("out.kho")])
        #expect(isDirectory.status == 1)
        #expect(isDirectory.stderrLines == ["luo-serialize: cannot read \(directory.url.path): Is a directory"])
    }

    @Test func failedEncodeLeavesAnExistingOutputUntouched() throws {
        let directory = try TemporaryDirectory()
        let output = try directory.write("out.kho", "previous contents")
        let bad = try directory.write("bad.json", #"{"liveupdate_number": 1, "sessions": [], "oops": 1}"#)
        #expect(CLI.run(["encode", bad, "-o", output]).status == 1)
        #expect(try readBytes(output) == Array("previous contents".utf8))
    }

    @Test func unwritableOutputIsExitOneNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        let output = directory.path("no-such-dir/out.kho")
        let result = CLI.run(["encode", Repository.exampleManifest, "-o", output])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["luo-serialize: cannot write \(output): mkstemp failed: No such file or directory"])
    }

    @Test func kernelOptionPicksTheGeneration() throws {
        let directory = try TemporaryDirectory()
        let manifest = try directory.write("m.json", #"{"liveupdate_number": 1, "sessions": []}"#)
        for release in ["9.9"] {
            let result = CLI.run(["encode", manifest, "-o", directory.path("x.kho"), "--kernel", release])
            #expect(result.status == 2, "--kernel \(release)")
            #expect(result.stderr.contains("--kernel \(release): "), "\(result.stderr)")
        }
        for (release, generation) in [("7.0", KernelGeneration.linux7_0), ("6.19", .linux6_19)] {
            #expect(CLI.run(["encode", manifest, "-o", directory.path("k.kho"), "--kernel", release]).status == 0)
            #expect(try KHOImageReader.readImage(path: directory.path("k.kho")).state.generation == generation)
        }
        #expect(CLI.run(["encode", manifest, "-o", directory.path("v71.kho"), "--kernel", "7.1"]).status == 0)
        #expect(try KHOImageReader.readImage(path: directory.path("v71.kho")).state.generation == .linux7_1)
        #expect(CLI.run(["encode", manifest, "-o", directory.path("old.kho"), "--kernel", "kho-v2+luo-v1+memfd-v1"]).status == 0)
        #expect(try KHOImageReader.readImage(path: directory.path("old.kho")).state.generation == .khoV2Prerelease)
        let named = try directory.write("n.json", #"{"kernel": "7.1", "liveupdate_number": 1, "sessions": []}"#)
        let conflict = CLI.run(["encode", named, "-o", directory.path("y.kho"), "--kernel", "kho-v2+luo-v1+memfd-v1"])
        #expect(conflict.status == 1)
        let text = CLI.run(["decode", directory.path("v71.kho"), "--format", "text"]).stdout
        #expect(text.contains("generation: kho-v3+luo-v1+memfd-v2; written by Linux 7.1\n"))
        for release in ["7.2", "7.3"] {
            let path = directory.path("v\(release).kho")
            #expect(CLI.run(["encode", manifest, "-o", path, "--kernel", release]).status == 0)
            #expect(try KHOImageReader.readImage(path: path).state.generation == .linux7_3)
            let tree = CLI.run(["decode", path, "--format", "text"]).stdout
            #expect(tree.contains("generation: kho-v4+luo-v5+memfd-v2; written by Linux 7.2, 7.3\n"))
            #expect(tree.contains("LUO luo_ser @ "))
        }
        // No --kernel and no kernel key: the newest, v7.3.
        #expect(CLI.run(["encode", manifest, "-o", directory.path("default.kho")]).status == 0)
        #expect(try KHOImageReader.readImage(path: directory.path("default.kho")).state.generation == .linux7_3)
    }
}
