#if canImport(Glibc)
import Glibc
#endif

extension KHOImageReader {
    /// Reads the handover held in captured physical memory: imports it (the
    /// root at `khoFDTPhys`, or the one a scan finds) into an unnamed
    /// temporary image in `temporaryDirectory`, then decodes that image with
    /// every check of ``readImage(path:)``. The temporary file is gone when
    /// this returns; the decoded image keeps its mapping.
    public static func read(memory: some PhysicalMemory, khoFDTPhys: UInt64? = nil,
                            temporaryDirectory: String = defaultTemporaryDirectory) throws(KHOImageError) -> HandoverInput {
        let plan = try KHOImporter.plan(memory, khoFDTPhys: khoFDTPhys)
        var template = Array("\(temporaryDirectory)/.luo-serialize-import-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw .io(path: temporaryDirectory, operation: "mkstemp", errno: errno) }
        defer { close(descriptor) }
        let path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        unlink(path)
        do {
            try plan.write(from: memory, to: FileSink(descriptor: descriptor, path: path))
        } catch let error as AtomicFileWriter.WriteError {
            throw .io(path: error.path, operation: error.operation, errno: error.errno)
        } catch let error as KHOImageError {
            throw error
        } catch {
            throw .io(path: path, operation: "write (\(error))", errno: EIO)
        }
        return try decode(try MappedFile.map(descriptor: descriptor, path: path, limit: maximumImageSize))
    }

    /// `$TMPDIR`, or `/tmp`.
    public static var defaultTemporaryDirectory: String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }
}
