import Foundation
import LUOSerializeCommands
import TestSupport
import Testing

/// `CLIEntry.run`: the exit status `main()` exits with, everything printed
/// through the streams it is given, nothing shared between runs.
@Suite struct InProcessEntryTests {
    /// Help and version go to stdout with status 0, as argument-parser
    /// prints them; no arguments at all is a usage error on stderr.
    @Test func helpVersionAndNoArguments() {
        let version = CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
        #expect(version.stderr.isEmpty)

        let help = CLI.run(["help", "verify"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("OVERVIEW: Check an image the way the incoming kernel would"))
        #expect(help.stderr.isEmpty)

        let none = CLI.run([])
        #expect(none.status == 2)
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.hasPrefix("OVERVIEW: Write, read and check the state Linux hands over"))
        #expect(none.stderr.contains("USAGE: luo-serialize <subcommand>"))
    }

    /// A failure is one line, even when the untrusted name in it holds
    /// control characters.
    @Test func failuresAreOneLine() {
        let result = CLI.run(["verify", "/nonexistent/a\nb\u{1b}[2J.kho"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "luo-serialize: /nonexistent/a b [2J.kho: open failed: No such file or directory\n")
    }

    /// Runs at the same time each print only through their own streams.
    @Test func concurrentRunsKeepTheirOutputApart() async throws {
        let directory = try TemporaryDirectory()
        let image = try encodeExample(in: directory)
        let expected = CLI.run(["verify", image])
        #expect(expected.status == 0)
        let results = await withTaskGroup(of: (Int, RunResult).self) { group in
            for index in 0..<24 {
                group.addTask {
                    (index, CLI.run(index % 2 == 0 ? ["verify", image] : ["verify", "/nonexistent/\(index).kho"]))
                }
            }
            var all: [Int: RunResult] = [:]
            for await (index, result) in group { all[index] = result }
            return all
        }
        #expect(results.count == 24)
        for (index, result) in results {
            if index % 2 == 0 {
                #expect(result.status == 0)
                #expect(result.stdout == expected.stdout)
                #expect(result.stderr.isEmpty)
            } else {
                #expect(result.status == 1)
                #expect(result.stdout.isEmpty)
                #expect(result.stderr == "luo-serialize: /nonexistent/\(index).kho: open failed: No such file or directory\n")
            }
        }
    }
}
