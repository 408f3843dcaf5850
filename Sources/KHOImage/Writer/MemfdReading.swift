import HandoverModel
#if canImport(Glibc)
import Glibc
#endif

extension MemfdContents {
    /// The contents of the open file `descriptor` (a memfd, typically), read
    /// whole with `pread` from offset 0 without moving its file position,
    /// with `position` as the preserved file position.
    ///
    /// The bytes go straight into the new array (no zero-fill first), and a
    /// large array asks for transparent huge pages, as the writer's own
    /// buffers do: reading a big memfd into fresh 4 KiB pages costs a page
    /// fault and a page clear per page, which is most of moving it into an
    /// image. A file that shrinks while it is read is an error.
    public init(readingDescriptor descriptor: Int32, position: UInt64 = 0) throws(KHOImageError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .io(path: "descriptor \(descriptor)", operation: "fstat", errno: errno)
        }
        let size = Int(status.st_size)
        var failure: Int32 = 0
        let contents = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            HugePages.advise(UnsafeMutableRawPointer(base), count: size)
            var done = 0
            while done < size {
                let count = pread(descriptor, base + done, size - done, off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if count == 0 {
                    failure = EIO
                    break
                }
                done += count
            }
            initialized = done
        }
        guard failure == 0 else {
            throw .io(path: "descriptor \(descriptor)", operation: failure == EIO ? "pread (the file shrank)" : "pread",
                      errno: failure)
        }
        self.init(contents: contents, position: position)
    }
}
