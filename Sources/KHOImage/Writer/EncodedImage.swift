import FDT
import KernelABI
import SystemSupport

/// A KHO image ready to be written: the index, the layout the writer chose
/// and the bytes of every region.
public struct EncodedImage: Sendable {
    /// The image index FDT (`totalsize` bytes).
    public let index: [UInt8]
    /// Where everything sits in physical memory.
    public let layout: HandoverLayout
    /// The KHO root FDT as debugfs shows it (`kho/out/fdt`): `totalsize` bytes.
    public let khoRootFDT: [UInt8]
    /// The LUO FDT as debugfs shows it (`kho/out/sub_fdts/LUO`); in `luo-v5`
    /// (v7.2+) the 32-byte `struct luo_ser` blob.
    public let luoFDT: [UInt8]
    let memoryBase: UInt64
    /// The simulated physical memory from `memoryBase` on.
    let memory: ReadOnlyBytes

    init(index: [UInt8], layout: HandoverLayout, memoryBase: UInt64, memory: ReadOnlyBytes,
         khoRootFDT: [UInt8], luoFDT: [UInt8]) {
        self.index = index
        self.layout = layout
        self.memoryBase = memoryBase
        self.memory = memory
        self.khoRootFDT = khoRootFDT
        self.luoFDT = luoFDT
    }

    /// The file's size in bytes.
    public var fileSize: Int {
        guard let last = layout.regions.last else { return index.count }
        return Int(last.fileOffset + last.size)
    }

    /// Hands `body` the file's pieces in order, without copying the regions:
    /// the index, the zero padding after it, then each region's bytes.
    public func withChunks<R, Failure: Error>(_ body: ([UnsafeRawBufferPointer]) throws(Failure) -> R) throws(Failure) -> R {
        let firstOffset = layout.regions.first.map { Int($0.fileOffset) } ?? index.count
        let padding = [UInt8](repeating: 0, count: firstOffset - index.count)
        return try index.withUnsafeBufferPointer { (indexBytes) throws(Failure) in
            try padding.withUnsafeBufferPointer { (paddingBytes) throws(Failure) in
                let memoryBytes = memory.rawBuffer
                var chunks = [UnsafeRawBufferPointer(indexBytes), UnsafeRawBufferPointer(paddingBytes)]
                for region in layout.regions {
                    let start = Int(region.phys - memoryBase)
                    chunks.append(UnsafeRawBufferPointer(rebasing: memoryBytes[start..<(start + Int(region.size))]))
                }
                return try withExtendedLifetime(memory) { () throws(Failure) in try body(chunks) }
            }
        }
    }

    /// The whole file as one array.
    public var bytes: [UInt8] {
        withChunks { chunks in
            var result: [UInt8] = []
            result.reserveCapacity(fileSize)
            for chunk in chunks { result.append(contentsOf: chunk) }
            return result
        }
    }

    /// The `length` bytes of simulated physical memory at `phys`, or `nil`
    /// outside what was allocated.
    public func physicalBytes(at phys: UInt64, length: Int) -> [UInt8]? {
        guard phys >= memoryBase, phys - memoryBase + UInt64(length) <= UInt64(memory.count) else { return nil }
        let start = Int(phys - memoryBase)
        return memory.copy(start..<(start + length))
    }

    /// Writes the image to `path` atomically (temporary file, `fsync`,
    /// rename); on failure nothing is left at `path` or beside it.
    /// `progress` is called with the bytes written so far after each chunk;
    /// an error it throws stops the write, reported as `ECANCELED` (the
    /// write was cancelled, no system call failed) naming that error.
    public func write(to path: String, progress: AtomicFileWriter.ProgressHook? = nil) throws(KHOImageError) {
        try withChunks { (chunks) throws(KHOImageError) in
            try AtomicFileWriter.write(chunks, to: path, progress: { (written) throws(KHOImageError) in
                do { try progress?(written) } catch {
                    throw .io(path: path, operation: "write (\(error))", error: .canceled)
                }
            }, systemFailure: KHOImageError.init)
        }
    }
}
