import Foundation
import TestSupport
import Testing

/// The built `luo-serialize` binary as a process: what only a real process
/// shows (its exit status, its stdout piped into a file, its stderr).
/// Everything else is tested in process, through `CLIEntry.run`.
@Suite struct EndToEndTests {
    /// The exit statuses a shell sees: 0, 1 and 2 (not argument-parser's 64).
    @Test func exitStatusesOfTheProcess() throws {
        let usage = try CLI.runBinary([])
        #expect(usage.status == 2)
        #expect(usage.stdout.isEmpty)
        #expect(usage.stderr.contains("USAGE: luo-serialize <subcommand>"))

        let badOption = try CLI.runBinary(["verify", "--no-such-flag", "a.kho"])
        #expect(badOption.status == 2)
        #expect(badOption.stderr.hasPrefix("Error: Unknown option '--no-such-flag'"))

        let missing = try CLI.runBinary(["verify", "/nonexistent/image.kho"])
        #expect(missing.status == 1)
        #expect(missing.stderrLines == ["luo-serialize: /nonexistent/image.kho: open failed: No such file or directory"])

        let help = try CLI.runBinary(["decode", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: luo-serialize decode"))
        #expect(help.stderr.isEmpty)
    }

    /// encode writes a file, decode's stdout (a pipe to a file) is a
    /// manifest that encodes to the same bytes, verify prints its summary.
    @Test func encodeDecodeVerifyThroughTheBinary() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("a.kho")
        let encode = try CLI.runBinary(["encode", Repository.exampleManifest, "-o", image])
        #expect(encode.status == 0, "\(encode.stderr)")
        #expect(encode.stdout.isEmpty && encode.stderr.isEmpty)

        let decode = try CLI.runBinary(["decode", image])
        #expect(decode.status == 0)
        let manifest = try directory.write("decoded.json", bytes: decode.stdoutBytes)
        let again = directory.path("b.kho")
        #expect(try CLI.runBinary(["encode", manifest, "-o", again]).status == 0)
        #expect(try readBytes(again) == readBytes(image))

        let verify = try CLI.runBinary(["verify", image])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("\(image): valid: a Linux 7.1 kernel accepts it"))
    }

    /// The binary's output is the in-process run's, byte for byte.
    @Test func theBinaryPrintsWhatTheInProcessRunPrints() throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        for arguments in [["decode", image, "--format", "text"], ["verify", image], ["diff", image, image]] {
            let binary = try CLI.runBinary(arguments)
            let inProcess = CLI.run(arguments)
            #expect(binary.status == inProcess.status, "\(arguments)")
            #expect(binary.stdoutBytes == inProcess.stdoutBytes, "\(arguments)")
            #expect(binary.stderr == inProcess.stderr, "\(arguments)")
        }
    }
}
