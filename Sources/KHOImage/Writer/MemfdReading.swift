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

    /// The open file `descriptor` (a memfd, typically) as it is now: its
    /// size from `fstat`, its contents a ``ByteSource`` over a descriptor of
    /// its own (`dup`) read only when the image is written, so preserving a
    /// memfd of gigabytes copies none of it. The bytes written are the
    /// file's at that time, as the kernel's preserved folios are the live
    /// ones until reboot; a file that has shrunk by then fails the write
    /// with `EIO`, naming `name`.
    public init(referencing descriptor: Int32, name: String? = nil, position: UInt64 = 0,
                seals: UInt32 = 0) throws(KHOImageError) {
        let name = name ?? "descriptor \(descriptor)"
        let file: ContentFile
        let size: Int64
        do throws(ByteSourceError) {
            file = try ContentFile(duplicating: FileDescriptor(rawValue: descriptor), name: name)
            size = try file.size()
        } catch {
            throw .io(path: name, operation: error.operation, error: error.errno)
        }
        self.init(size: UInt64(size), position: position, source: ByteSource(file: file, count: Int(size)), seals: seals)
    }
}

