import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

/// The entry point of a fuzz target's executable: hands the command line
/// to libFuzzer's driver, which runs `testOneInput` on every input (the
/// same function the target exports as `LLVMFuzzerTestOneInput`), and
/// exits with its status.
///
/// SwiftPM links an executable target's own `main`, so the targets start
/// libFuzzer through `LLVMFuzzerRunDriver` instead of relying on the `main`
/// in libFuzzer's runtime.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
