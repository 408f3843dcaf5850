#if canImport(Glibc)
import Glibc
#endif

/// How a raw system call's result becomes a value or an ``Errno``: the one
/// place that reads the C library's `errno` and the one place that retries a
/// call a signal interrupted (`EINTR`).
public enum SystemCall {
    /// Runs `call` until a signal no longer interrupts it: a result of -1
    /// with `errno` `EINTR` runs it again, any other -1 throws that
    /// ``Errno``, anything else is returned.
    public static func retryingInterrupts<Result: BinaryInteger>(_ call: () -> Result) throws(Errno) -> Result {
        while true {
            let result = call()
            guard result == -1 else { return result }
            let error = lastError
            guard error == .interrupted else { throw error }
        }
    }

    /// Runs `call` once: for calls that must not be repeated after a signal
    /// (Linux's `close` has released the descriptor even when it reports
    /// `EINTR`). A result of -1 throws the ``Errno``.
    public static func once<Result: BinaryInteger>(_ call: () -> Result) throws(Errno) -> Result {
        let result = call()
        guard result == -1 else { return result }
        throw lastError
    }

    /// The calling thread's `errno`, as an ``Errno``.
    static var lastError: Errno { Errno(rawValue: Glibc.errno) }
}
