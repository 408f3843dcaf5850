import Foundation
import Glibc
import SystemSupport
import Testing

/// `SystemCall.retryingInterrupts` is the one place an interrupted call is
/// repeated: EINTR runs the call again, every other failure is thrown as
/// its Errno at once.
@Suite struct InterruptRetryTests {
    @Test func anInterruptedCallRunsAgainUntilItCompletes() throws {
        var calls = 0
        let result = try SystemCall.retryingInterrupts { () -> Int in
            calls += 1
            guard calls > 3 else {
                errno = EINTR
                return -1
            }
            return 42
        }
        #expect(result == 42)
        #expect(calls == 4)
    }

    @Test func anyOtherFailureIsThrownAsItsErrnoWithoutRetrying() {
        var calls = 0
        #expect(throws: Errno.badFileDescriptor) {
            _ = try SystemCall.retryingInterrupts { () -> Int32 in
                calls += 1
                errno = EBADF
                return -1
            }
        }
        #expect(calls == 1)
    }

    @Test func onceDoesNotRetryAnInterruptedCall() {
        var calls = 0
        #expect(throws: Errno.interrupted) {
            _ = try SystemCall.once { () -> Int32 in
                calls += 1
                errno = EINTR
                return -1
            }
        }
        #expect(calls == 1)
    }
}

/// Signals the test handler caught.
nonisolated(unsafe) private var caughtSignals = 0

/// Complete transfers over a pipe, where the kernel hands out short reads
/// and writes: every byte arrives, in order.
@Suite struct PipeTransferTests {
    /// A pipe whose ends close when the test is done.
    final class Pipe: Sendable {
        let read: FileDescriptor, write: FileDescriptor
        init() throws {
            (read, write) = try FileDescriptor.pipe()
        }
        deinit {
            read.closeIgnoringErrors()
            write.closeIgnoringErrors()
        }
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) } }

    @Test func readFullyCollectsPiecesWrittenOneAtATime() throws {
        let pipe = try Pipe()
        let expected = Self.pattern(3 * 1000)
        let writer = Thread {
            for piece in 0..<3 {
                expected[(piece * 1000)..<((piece + 1) * 1000)].withUnsafeBytes { _ = try? pipe.write.writeFully($0) }
                usleep(20_000)
            }
        }
        writer.start()
        var received = [UInt8](repeating: 0, count: expected.count)
        // One read(2) returns only the first piece: readFully must go on.
        let count = try received.withUnsafeMutableBytes { try pipe.read.readFully(into: $0) }
        #expect(count == expected.count)
        let same = received == expected
        #expect(same)
    }

    @Test func readFullyStopsAtTheEndOfTheInput() throws {
        let pipe = try Pipe()
        try ([1, 2, 3] as [UInt8]).withUnsafeBytes { try pipe.write.writeFully($0) }
        try pipe.write.closeReportingErrors()
        var received = [UInt8](repeating: 0, count: 8)
        let count = try received.withUnsafeMutableBytes { try pipe.read.readFully(into: $0) }
        #expect(count == 3)
        #expect(received == [1, 2, 3, 0, 0, 0, 0, 0])
        #expect(throws: Errno.badFileDescriptor) { try pipe.write.closeReportingErrors() }
    }

    /// A writer blocked on a full pipe is hit by signals whose handler does
    /// not restart calls (no `SA_RESTART`): each write(2) comes back short or
    /// with EINTR, and writeFully still delivers every byte.
    @Test func writeFullySurvivesSignalsWhileBlocked() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in caughtSignals += 1 }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        #expect(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }

        let pipe = try Pipe()
        let expected = Self.pattern(1 << 20)  // sixteen times a pipe's capacity
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Errno?
        nonisolated(unsafe) var writerThread = pthread_t()
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let writer = Thread {
            writerThread = pthread_self()
            // Threads may start with signals blocked: let this one through.
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            sigaddset(&unblocked, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
            started.signal()
            do { try expected.withUnsafeBytes { try pipe.write.writeFully($0) } } catch { failure = error as? Errno }
            // The reader sees the end of the input after whatever was written.
            _ = dup2(pipe.read.rawValue, pipe.write.rawValue)
            done.signal()
            release.wait()  // alive while the reader may still signal it
        }
        writer.start()
        started.wait()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            // Interrupt the writer while it waits for room, then make some.
            pthread_kill(writerThread, SIGUSR2)
            usleep(200)
            let count = try buffer.withUnsafeMutableBytes { buffer in
                try pipe.read.read(into: buffer)
            }
            if count == 0 { break }
            received += buffer[..<count]
        }
        done.wait()
        release.signal()
        #expect(failure == nil)
        #expect(caughtSignals > 0)
        let same = received == expected
        #expect(same)
    }
}
