import Foundation
import KHOImage
import TestSupport
import Testing

/// `luo-serialize decode`: JSON that re-encodes byte for byte, the text tree, bare FDTs.
@Suite struct DecodeCommandTests {
    @Test func encodeOfDecodeIsByteIdentical() throws {
        let directory = try TemporaryDirectory()
        let first = try encodeExample(in: directory)
        let decoded = CLI.run(["decode", first])
        #expect(decoded.status == 0)
        #expect(decoded.stderr.isEmpty)
        let manifest = try directory.write("decoded.json", decoded.stdout)
        let second = directory.path("second.kho")
        #expect(CLI.run(["encode", manifest, "-o", second]).status == 0)
        #expect(try readBytes(first) == readBytes(second))
        // And the JSON is canonical: decoding the re-encoded image gives the same text.
        #expect(CLI.run(["decode", second, "--format", "json"]).stdout == decoded.stdout)
    }

    @Test func encodeOfDecodeIsByteIdenticalWithABase() throws {
        let directory = try TemporaryDirectory()
        let first = directory.path("a.kho")
        #expect(CLI.run(["encode", Repository.exampleManifest, "-o", first, "--base", "0x4000000000"]).status == 0)
        let decoded = CLI.run(["decode", first])
        #expect(decoded.status == 0)
        #expect(decoded.stderrLines == ["luo-serialize: note: \(first): laid out from base 0x4000000000;"
            + " encode with --base 0x4000000000 to reproduce it byte for byte"])
        let manifest = try directory.write("a.json", decoded.stdout)
        let second = directory.path("b.kho")
        #expect(CLI.run(["encode", manifest, "-o", second, "--base", "0x4000000000"]).status == 0)
        #expect(try readBytes(first) == readBytes(second))
    }

    @Test func jsonIsTheCanonicalManifest() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let text = CLI.run(["decode", image]).stdout
        #expect(text.hasPrefix("{\n  \"kernel\": \"7.1\",\n  \"liveupdate_number\": 1,\n  \"sessions\": [\n    {\n      \"name\": \"vm0\",\n"))
        #expect(text.contains("\"data\": \"0xdeadbeef\""))
        #expect(text.contains("\"memfd\": {\n            \"size\": 4900,\n            \"pos\": 0,\n            \"seals\": \"0x0\",\n"))
        #expect(text.contains("\"flb\": [\n    {\n      \"name\": \"iommu-core-v1\",\n      \"data\": \"0x1000\",\n      \"count\": 1\n    }\n  ],\n"))
        #expect(text.hasSuffix("\"kexec_metadata\": {\n    \"previous_release\": \"7.1.8\",\n    \"kexec_count\": 1\n  }\n}\n"))
    }

    @Test func textShowsEveryStructureWithItsAddress() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let result = CLI.run(["decode", image, "--format", "text"])
        #expect(result.status == 0)
        let layout = try KHOImageReader.readImage(path: image).layout
        func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
        let expectedLines = [
            "      compatible = \"luo-serialize,kho-image-v1\";",
            "/* u64 \(hex(layout.khoRootFDTPhys)) */;",
            "image regions (\(layout.regions.count)):",
            "      preserved-memory-map = [",
            "] /* u64 LE \(hex(layout.memoryMapPhys)) */;",
            "          preserved-data = [",
            "] /* u64 LE \(hex(layout.luoFDTPhys)) */;",
            "KHO root FDT @ \(hex(layout.khoRootFDTPhys))",
            "      compatible = \"kho-v3\";",
            "generation: kho-v3+luo-v1+memfd-v2; written by Linux 7.1\n",
            "kexec-metadata: kho_kexec_metadata @ \(hex(layout.kexecMetadataPhys)) (73 bytes): version 1, previous_release \"7.1.8\", kexec_count 1\n",
            "  kexec-metadata\n",
            "preserved-memory-map @ \(hex(layout.memoryMapPhys)) (radix tree): \(layout.preservedBlocks.count) blocks, \(layout.preservedPages) pages",
            "LUO FDT @ \(hex(layout.luoFDTPhys))",
            "      compatible = \"luo-v1\";",
            "liveupdate-number: 1",
            "sessions: luo_session_header_ser @ \(hex(layout.sessionHeaderPhys)), count 2",
            "  session[0] \"vm0\": luo_session_ser @ \(hex(layout.sessions[0].entryPhys))",
            "    file_set_ser: files @ \(hex(layout.sessions[0].filesPhys)), count 2",
            "compatible \"memfd-v2\", data \(hex(layout.sessions[0].fileData[0]))",
            "memfd-v2: memfd_luo_ser @ \(hex(layout.sessions[0].fileData[0])): size 4900, pos 0, seals 0x0 (none), 2 folios",
            "        folios: kho_vmalloc { first ",
            ", total_pages 1, flags 0x1, order 0 }, nr_folios 2",
            "        kho_vmalloc_chunk @ ",
            "        folio[0] pfn ",
            " flags 0x3 (DIRTY|UPTODATE) index 0",
            "        folio[1] pfn ",
            "  memfd_luo_ser of session[0].file[0]\n",
            "  memfd folio (index 1) of session[0].file[0]\n",
            "  folio array of session[0].file[0]\n",
            "  kho_vmalloc chunk of session[0].file[0]\n",
            "  payload of session[1].file[0]\n",
            "raw data 0xdeadbeef (no pages)",
            "payload: 4096 bytes (4 KiB) in a preserved block @ \(hex(layout.sessions[1].fileData[0]))",
            "FLB: luo_flb_header_ser @ \(hex(layout.flbHeaderPhys)), count 1",
            "name \"iommu-core-v1\", data 0x1000, count 1",
        ]
        for line in expectedLines {
            #expect(result.stdout.contains(line), "missing: \(line)")
        }
        for block in layout.preservedBlocks {
            #expect(result.stdout.contains("  block \(hex(block.phys))..\(hex(block.phys + block.size)) order \(block.order)"))
        }
    }

    @Test func bareLUOFDTDecodesItsAddresses() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let luo = directory.path("luo.dtb")
        #expect(CLI.run(["extract", image, "--fdt", "luo", "-o", luo]).status == 0)
        let layout = try KHOImageReader.readImage(path: image).layout
        let json = CLI.run(["decode", luo])
        #expect(json.status == 0)
        #expect(json.stdout == """
        {
          "kind": "luo-fdt",
          "liveupdate_number": 1,
          "luo_session_header": "0x\(String(layout.sessionHeaderPhys, radix: 16))",
          "luo_flb_header": "0x\(String(layout.flbHeaderPhys, radix: 16))"
        }

        """)
        let text = CLI.run(["decode", luo, "--format", "text"])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("bare LUO FDT \(luo)"))
        #expect(text.stdout.contains("liveupdate-number: 1\n"))
    }

    @Test func bareKHORootFDTDecodesItsAddresses() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let kho = directory.path("kho.dtb")
        #expect(CLI.run(["extract", image, "--fdt", "kho", "-o", kho]).status == 0)
        let layout = try KHOImageReader.readImage(path: image).layout
        let json = CLI.run(["decode", kho])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"preserved_memory_map\": \"0x\(String(layout.memoryMapPhys, radix: 16))\""))
        #expect(json.stdout.contains("\"name\": \"LUO\",\n      \"preserved_data\": \"0x\(String(layout.luoFDTPhys, radix: 16))\""))
        let text = CLI.run(["decode", kho, "--format", "text"])
        #expect(text.stdout.contains("subtree LUO: preserved-data @ 0x\(String(layout.luoFDTPhys, radix: 16))"))
    }

    @Test func truncatedImageIsExitOneNamingTheOffset() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let bytes = try readBytes(image)
        let truncated = try directory.write("truncated.kho", bytes: Array(bytes.prefix(bytes.count - 4096)))
        let result = CLI.run(["decode", truncated])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("luo-serialize: \(truncated): image index node region@"))
        #expect(result.stderr.contains("runs past the end of the file (\(bytes.count - 4096) bytes)"))
    }

    @Test(arguments: [[UInt8](), Array("not an image at all, but long enough to look".utf8), [UInt8](repeating: 0xff, count: 8192)])
    func garbageIsExitOne(bytes: [UInt8]) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("garbage.kho", bytes: bytes)
        for format in ["json", "text"] {
            let result = CLI.run(["decode", path, "--format", format])
            #expect(result.status == 1)
            #expect(result.stderrLines.count == 1)
            #expect(result.stderr.hasPrefix("luo-serialize: \(path): "))
        }
    }
}

/// Names from an image are printed escaped: they cannot break lines or
/// reach the terminal as control sequences.
@Suite struct UntrustedNameTests {
    @Test func controlCharactersInNamesAreEscapedEverywhere() throws {
        let directory = try TemporaryDirectory()
        let manifest = try directory.write("m.json", #"""
        {"liveupdate_number": 1, "sessions": [{"name": "evil\n\u001b[31mred", "files": [{"token": 1, "compatible": "x\ty", "data": 1}]}]}
        """#)
        let image = directory.path("evil.kho")
        #expect(CLI.run(["encode", manifest, "-o", image]).status == 0)
        let text = CLI.run(["decode", image, "--format", "text"])
        #expect(text.status == 0)
        #expect(text.stdout.contains(#"session[0] "evil\n\x1b[31mred": luo_session_ser @ "#))
        #expect(text.stdout.contains(#"compatible "x\ty", data 0x1"#))
        #expect(!text.stdout.contains("\u{1b}"))
        let retrieve = CLI.run(["retrieve", image, "--session", "evil\n\u{1b}[31mred", "--token", "1", "-o", directory.path("x")])
        #expect(retrieve.status == 1)
        #expect(retrieve.stderrLines == [#"luo-serialize: \#(image): session "evil\n\x1b[31mred" token 1 (x\ty) holds only the raw data u64 0x1; its handler preserved no bytes to restore"#])
        // JSON escapes them its own way and re-encodes identically.
        let json = CLI.run(["decode", image])
        #expect(json.stdout.contains(#""name": "evil\n\u001b[31mred""#))
        let again = directory.path("again.kho")
        #expect(CLI.run(["encode", try directory.write("again.json", json.stdout), "-o", again]).status == 0)
        #expect(try readBytes(again) == readBytes(image))
    }
}
