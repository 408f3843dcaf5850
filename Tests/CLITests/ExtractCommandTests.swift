import Foundation
import KHOImage
import TestSupport
import Testing

/// `luo-serialize extract`: the FDTs as debugfs shows them, read back by dtc.
@Suite struct ExtractCommandTests {
    private func dtc(_ path: String) throws -> RunResult {
        let candidates = ["/usr/bin/dtc", "/usr/local/bin/dtc", "/bin/dtc"]
        let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                                      "dtc is required (Debian package device-tree-compiler)")
        return try ProcessRunner.run(executable, ["-I", "dtb", "-O", "dts", path])
    }

    @Test func luoFDTIsWhatTheReaderSeesAndDtcReadsIt() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let output = directory.path("luo.dtb")
        let result = CLI.run(["extract", image, "--fdt", "luo", "-o", output])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(try readBytes(output) == KHOImageReader.readImage(path: image).luoFDT)
        let dts = try dtc(output)
        #expect(dts.status == 0, "dtc: \(dts.stderr)")
        #expect(dts.stdout.contains("compatible = \"luo-v1\";"))
        #expect(dts.stdout.contains("luo-session {"))
        #expect(dts.stdout.contains("compatible = \"luo-session-v2\";"))
        #expect(dts.stdout.contains("luo-flb {"))
    }

    @Test func khoRootFDTIsWhatTheReaderSeesAndDtcReadsIt() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let output = directory.path("kho.dtb")
        #expect(CLI.run(["extract", image, "--fdt", "kho", "-o", output]).status == 0)
        #expect(try readBytes(output) == KHOImageReader.readImage(path: image).khoRootFDT)
        let dts = try dtc(output)
        #expect(dts.status == 0, "dtc: \(dts.stderr)")
        #expect(dts.stdout.contains("compatible = \"kho-v3\";"))
        #expect(dts.stdout.contains("LUO {"))
        #expect(dts.stdout.contains("kexec-metadata {"))
        #expect(dts.stdout.contains("blob-size = "))
        #expect(dts.stdout.contains("preserved-data = "))
    }

    @Test func bareFDTInputExtractsItselfOrFails() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let kho = directory.path("kho.dtb")
        #expect(CLI.run(["extract", image, "--fdt", "kho", "-o", kho]).status == 0)
        let again = directory.path("again.dtb")
        #expect(CLI.run(["extract", kho, "--fdt", "kho", "-o", again]).status == 0)
        #expect(try readBytes(again) == readBytes(kho))
        let wrong = CLI.run(["extract", kho, "--fdt", "luo", "-o", directory.path("x.dtb")])
        #expect(wrong.status == 1)
        #expect(wrong.stderrLines == ["luo-serialize: \(kho): is a bare KHO root FDT; the LUO FDT it points to is not in the file"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("x.dtb")))
    }

    @Test func truncatedImageIsExitOneAndWritesNothing() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let truncated = try directory.write("t.kho", bytes: Array(try readBytes(image).dropLast(1)))
        let output = directory.path("luo.dtb")
        let result = CLI.run(["extract", truncated, "--fdt", "luo", "-o", output])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
