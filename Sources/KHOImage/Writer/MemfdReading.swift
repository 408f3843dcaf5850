import HandoverModel
import SystemSupport

extension MemfdContents {
    /// The contents of the open file `descriptor` (a memfd, typically), read
    /// whole with `pread` from offset 0 without moving its file position,
    /// with `position` as the preserved file position.
    ///
    /// The bytes go straight into the new array (no zero-fill first), and a
    /// large array asks for transparent huge pages, as the writer's own
    /// buffers do: reading a big memfd into fresh 4 KiB pages costs a page
    /// fault and a page clear per page, which is most of moving it into an
    /// image. A file that shrinks while it is read is an `EIO` error.
    public init(readingDescriptor descriptor: Int32, position: UInt64 = 0) throws(KHOImageError) {
        let file = FileDescriptor(rawValue: descriptor)
        let name = "descriptor \(descriptor)"
        let size: Int
        do { size = Int(try file.stat().size) } catch { throw .io(path: name, operation: "fstat", error: error) }
        var failure: Errno?
        let contents = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            HugePages.advise(UnsafeMutableRawPointer(base), count: size)
            do throws(Errno) {
                initialized = try file.readFully(fromAbsoluteOffset: 0, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
        }
        if let failure { throw .io(path: name, operation: "pread", error: failure) }
        guard contents.count == size else { throw .io(path: name, operation: "pread (the file shrank)", error: .ioError) }
        self.init(contents: contents, position: position)
    }
}
