import Foundation
import TestSupport
import Testing

/// Usage errors exit 2 (not argument-parser's 64); `--help` works with an example everywhere.
@Suite struct UsageAndHelpTests {
    @Test(arguments: [
        [],
        ["frobnicate"],
        ["encode"],
        ["encode", "m.json"],
        ["encode", "m.json", "-o", "x.kho", "--base", "banana"],
        ["encode", "m.json", "-o", "x.kho", "--base", "0x1234"],
        ["encode", "m.json", "-o", "x.kho", "--base", "0x10000000000000"],
        ["decode"],
        ["decode", "x.kho", "--format", "xml"],
        ["verify"],
        ["verify", "a.kho", "b.kho"],
        ["extract", "x.kho", "-o", "y"],
        ["extract", "x.kho", "--fdt", "dtb", "-o", "y"],
        ["retrieve", "x.kho", "--session", "s", "-o", "y"],
        ["retrieve", "x.kho", "--session", "s", "--token", "-1", "-o", "y"],
        ["retrieve", "x.kho", "--session", "s", "--token", "0xzz", "-o", "y"],
        ["diff", "a.kho"],
        ["verify", "--no-such-flag", "a.kho"],
    ])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let result = CLI.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }

    @Test(arguments: ["encode", "decode", "verify", "extract", "retrieve", "diff"])
    func everyCommandHasHelpWithAnExample(command: String) throws {
        let result = CLI.run([command, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: luo-serialize \(command)"))
        #expect(result.stdout.contains("Example:"))
        #expect(result.stdout.contains("  luo-serialize \(command) "))
    }

    @Test func rootHelpListsEveryCommand() throws {
        let result = CLI.run(["--help"])
        #expect(result.status == 0)
        for command in ["encode", "decode", "verify", "extract", "retrieve", "diff"] {
            #expect(result.stdout.contains("  \(command) "))
        }
        #expect(result.stdout.contains("Exit status: 0 success, 1 invalid or differing input"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsAreGenerated(shell: String) throws {
        let result = CLI.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("luo-serialize"))
        #expect(result.stdout.contains("retrieve"))
    }
}
