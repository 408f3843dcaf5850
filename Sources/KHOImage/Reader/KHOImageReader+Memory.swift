import SystemSupport
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
        let temporary: TemporaryFile
        do {
            temporary = try TemporaryFile(in: FilePath(temporaryDirectory), prefix: ".luo-serialize-import-")
        } catch {
            throw .io(path: temporaryDirectory, operation: "mkstemp", error: error)
        }
        defer { temporary.descriptor.closeIgnoringErrors() }
        let path = temporary.path.string
        try? temporary.path.removeFile()
        try plan.write(from: memory, to: FileSink(descriptor: temporary.descriptor, path: path))
        return try decode(try MappedFile.map(descriptor: temporary.descriptor.rawValue, path: path, limit: maximumImageSize))
    }

    /// `$TMPDIR`, or `/tmp`.
    public static var defaultTemporaryDirectory: String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }
}
