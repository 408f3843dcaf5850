#if canImport(Glibc)
import Glibc
#endif
import CLinuxSupport

extension FileDescriptor {
    /// Reads from the file position until `buffer` is full or the file
    /// ends (`read(2)` as often as it takes); returns the bytes read, fewer
    /// than `buffer.count` only at the end of the file.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try transferFully(count: buffer.count) { done, left in
            Glibc.read(rawValue, buffer.baseAddress! + done, left)
        }
    }

    /// Reads from file offset `offset` until `buffer` is full or the file
    /// ends (`pread(2)`, the file position untouched); returns the bytes
    /// read, fewer than `buffer.count` only at the end of the file.
    public func readFully(fromAbsoluteOffset offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try transferFully(count: buffer.count) { done, left in
            Glibc.pread(rawValue, buffer.baseAddress! + done, left, off_t(offset) + off_t(done))
        }
    }

    /// Writes all of `bytes` at the file position (`write(2)` as often as
    /// it takes).
    public func writeFully(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        let written = try transferFully(count: bytes.count) { done, left in
            Glibc.write(rawValue, bytes.baseAddress! + done, left)
        }
        try Self.requireProgress(written, of: bytes.count)
    }

    /// Writes all of `bytes` at file offset `offset` (`pwrite(2)`, the file
    /// position untouched).
    public func writeFully(_ bytes: UnsafeRawBufferPointer, toAbsoluteOffset offset: Int64) throws(Errno) {
        let written = try transferFully(count: bytes.count) { done, left in
            Glibc.pwrite(rawValue, bytes.baseAddress! + done, left, off_t(offset) + off_t(done))
        }
        try Self.requireProgress(written, of: bytes.count)
    }

    /// Copies `count` bytes from file offset `offset` of this file to
    /// offset `targetOffset` of `target` inside the kernel
    /// (`copy_file_range(2)`: no bytes pass through this process, and file
    /// systems that can share extents do); returns the bytes copied, fewer
    /// than `count` only when this file ends first. Neither file position
    /// moves.
    public func copyFully(count: Int, fromAbsoluteOffset offset: Int64,
                          to target: FileDescriptor, toAbsoluteOffset targetOffset: Int64) throws(Errno) -> Int {
        try transferFully(count: count) { done, left in
            var from = offset + Int64(done), to = targetOffset + Int64(done)
            return luo_copy_file_range(rawValue, &from, target.rawValue, &to, left)
        }
    }

    /// Sends `count` bytes from file offset `offset` of this file to the
    /// file position of `target`, which advances, inside the kernel
    /// (`sendfile(2)`: no bytes pass through this process, and none of the
    /// source's pages are mapped into it, so large copies cost no resident
    /// memory); returns the bytes sent, fewer than `count` only when this
    /// file ends first. This file's position does not move. Works between
    /// any two regular files (a memfd included), where `copy_file_range`
    /// refuses to cross file systems.
    public func sendFully(count: Int, fromAbsoluteOffset offset: Int64, to target: FileDescriptor) throws(Errno) -> Int {
        try transferFully(count: count) { done, left in
            var from = offset + Int64(done)
            return luo_sendfile(target.rawValue, rawValue, &from, left)
        }
    }

    /// The one loop behind every complete transfer: `step(done, left)`
    /// moves up to `left` more bytes and returns how many it moved, 0 at the
    /// end of the input, or -1 with `errno`. Interrupted steps are retried,
    /// short ones continued; the loop ends when `count` bytes have moved or
    /// a step moves none. Returns the bytes moved.
    private func transferFully(count: Int, _ step: (_ done: Int, _ left: Int) -> Int) throws(Errno) -> Int {
        var done = 0
        while done < count {
            let moved = try SystemCall.retryingInterrupts { step(done, count - done) }
            if moved == 0 { break }
            done += moved
        }
        return done
    }

    /// A write whose `write(2)` took no byte of a non-empty rest (no
    /// error, no progress: the file takes no more) is `ENOSPC`, not an
    /// endless loop.
    private static func requireProgress(_ written: Int, of count: Int) throws(Errno) {
        guard written < count else { return }
        throw .noSpace
    }
}
