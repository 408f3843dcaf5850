import FDT
import HandoverModel
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
    /// The simulated physical memory from `memoryBase` on, except the
    /// placed ranges.
    let memory: ReadOnlyBytes
    /// The ranges whose bytes come from their source (memfd contents), in
    /// ascending address order; `memory` holds nothing meaningful there.
    let placed: [PlacedContent]

    init(index: [UInt8], layout: HandoverLayout, memoryBase: UInt64, memory: ReadOnlyBytes, placed: [PlacedContent],
         khoRootFDT: [UInt8], luoFDT: [UInt8]) {
        self.index = index
        self.layout = layout
        self.memoryBase = memoryBase
        self.memory = memory
        self.placed = placed
        self.khoRootFDT = khoRootFDT
        self.luoFDT = luoFDT
    }

    /// The file's size in bytes.
    public var fileSize: Int {
        guard let last = layout.regions.last else { return index.count }
        return Int(last.fileOffset + last.size)
    }

    /// One piece of the image file.
    enum Piece {
        /// Bytes in memory (the index, padding, the arena's structures).
        case bytes(UnsafeRawBufferPointer)
        /// Bytes read from their source (a memfd's contents).
        case source(ByteSource)
    }

    /// The one walk over the file's bytes: hands `body` the pieces in
    /// order (the index, the zero padding after it, then each region: the
    /// arena's bytes, with the placed ranges taken from their sources),
    /// without copying anything.
    func forEachPiece<Failure: Error>(_ body: (Piece) throws(Failure) -> Void) throws(Failure) {
        let firstOffset = layout.regions.first.map { Int($0.fileOffset) } ?? index.count
        let padding = [UInt8](repeating: 0, count: firstOffset - index.count)
        try index.withUnsafeBufferPointer { (indexBytes) throws(Failure) in try body(.bytes(UnsafeRawBufferPointer(indexBytes))) }
        try padding.withUnsafeBufferPointer { (paddingBytes) throws(Failure) in try body(.bytes(UnsafeRawBufferPointer(paddingBytes))) }
        try withExtendedLifetime(memory) { () throws(Failure) in
            let memoryBytes = memory.rawBuffer
            var next = 0
            for region in layout.regions {
                var cursor = region.phys
                let end = region.phys + region.size
                while next < placed.count, placed[next].phys < end {
                    let content = placed[next]
                    let start = Int(cursor - memoryBase), stop = Int(content.phys - memoryBase)
                    try body(.bytes(UnsafeRawBufferPointer(rebasing: memoryBytes[start..<stop])))
                    try body(.source(content.source))
                    cursor = content.phys + UInt64(content.source.count)
                    next += 1
                }
                let start = Int(cursor - memoryBase), stop = Int(end - memoryBase)
                try body(.bytes(UnsafeRawBufferPointer(rebasing: memoryBytes[start..<stop])))
            }
        }
    }

    /// The whole file as one array (for small images: every source is
    /// read into it).
    public var bytes: [UInt8] {
        get throws(KHOImageError) {
            var result: [UInt8] = []
            result.reserveCapacity(fileSize)
            try forEachPiece { (piece) throws(KHOImageError) in
                switch piece {
                case let .bytes(raw): result.append(contentsOf: raw)
                case let .source(source):
                    do throws(ByteSourceError) { try source.forEachChunk { result.append(contentsOf: $0) } } catch {
                        throw .io(path: error.file, operation: error.operation, error: error.errno)
                    }
                }
            }
            return result
        }
    }

    /// Whether the file would be exactly `other`, compared piece by piece
    /// (sources a bounded chunk at a time); a source that cannot be read
    /// matches nothing.
    public func matches(_ other: UnsafeRawBufferPointer) -> Bool {
        matches(other, mappedFrom: nil)
    }

    /// Whether the file would be exactly the image `memory` maps. Contents
    /// that are ranges of that very file at the offset they would be
    /// written to are equal without reading them: re-encoding a decoded
    /// image of gigabytes compares only its structures.
    public func matches(_ memory: ImageMemory) -> Bool {
        memory.withFileBytes { matches($0, mappedFrom: memory.file) }
    }

    private func matches(_ other: UnsafeRawBufferPointer, mappedFrom file: ContentFile?) -> Bool {
        struct Mismatch: Error {}
        var offset = 0
        func compare(_ chunk: UnsafeRawBufferPointer) throws(Mismatch) {
            guard offset + chunk.count <= other.count,
                  chunk.elementsEqual(UnsafeRawBufferPointer(rebasing: other[offset..<(offset + chunk.count)])) else {
                throw Mismatch()
            }
            offset += chunk.count
        }
        do throws(Mismatch) {
            try forEachPiece { (piece) throws(Mismatch) in
                switch piece {
                case let .bytes(raw): try compare(raw)
                case let .source(source):
                    for segment in source.segments {
                        if case let .file(segmentFile, segmentOffset, count) = segment, let file, segmentFile === file,
                           segmentOffset == Int64(offset), offset + count <= other.count {
                            offset += count
                            continue
                        }
                        let part = ByteSource(segments: [segment])
                        var start = 0
                        while start < part.count {
                            let stop = min(start + ByteSource.chunkSize, part.count)
                            guard let chunk = try? part.bytes(in: start..<stop) else { throw Mismatch() }
                            try chunk.withUnsafeBufferPointer { (buffer) throws(Mismatch) in try compare(UnsafeRawBufferPointer(buffer)) }
                            start = stop
                        }
                    }
                }
            }
        } catch { return false }
        return offset == other.count
    }

    /// The `length` bytes of simulated physical memory at `phys`, or `nil`
    /// outside the arena's span (or where a source cannot be read). Bytes
    /// of the pages skipped to align a block (in no region, never written
    /// to the image) are unspecified.
    public func physicalBytes(at phys: UInt64, length: Int) -> [UInt8]? {
        guard phys >= memoryBase, phys - memoryBase + UInt64(length) <= UInt64(memory.count) else { return nil }
        let start = Int(phys - memoryBase)
        var result = memory.copy(start..<(start + length))
        let end = phys + UInt64(length)
        for content in placed where content.phys < end && content.phys + UInt64(content.source.count) > phys {
            let lower = max(phys, content.phys), upper = min(end, content.phys + UInt64(content.source.count))
            guard let bytes = try? content.source.bytes(in: Int(lower - content.phys)..<Int(upper - content.phys)) else { return nil }
            result.replaceSubrange(Int(lower - phys)..<Int(upper - phys), with: bytes)
        }
        return result
    }

    /// Writes the file's bytes to `sink` in order: the structures from
    /// memory, the contents from their sources inside the kernel
    /// (``HandoverModel/ByteSource/send(to:name:skippingZeros:)``), in
    /// pieces of at most `pieceSize` bytes, calling `progress` with the
    /// bytes written so far after each.
    public func write<Failure: Error>(to sink: FileSink, pieceSize: Int = 4 << 20,
                                      progress: (_ written: Int) throws(Failure) -> Void,
                                      systemFailure: (AtomicFileWriter.WriteError) -> Failure) throws(Failure) {
        try forEachPiece { (piece) throws(Failure) in
            switch piece {
            case let .bytes(raw):
                var start = 0
                while start < raw.count {
                    let stop = min(start + pieceSize, raw.count)
                    do throws(AtomicFileWriter.WriteError) { try sink.write(UnsafeRawBufferPointer(rebasing: raw[start..<stop])) } catch { throw systemFailure(error) }
                    try progress(sink.written)
                    start = stop
                }
            case let .source(source):
                var start = 0
                while start < source.count {
                    let stop = min(start + pieceSize, source.count)
                    do throws(AtomicFileWriter.WriteError) { try sink.write(source.slice(start..<stop)) } catch { throw systemFailure(error) }
                    try progress(sink.written)
                    start = stop
                }
            }
        }
    }

    /// Writes the image to `path` atomically (temporary file, `fsync`,
    /// rename); on failure nothing is left at `path` or beside it.
    /// `progress` is called with the bytes written so far after each chunk;
    /// an error it throws stops the write, reported as `ECANCELED` (the
    /// write was cancelled, no system call failed) naming that error.
    public func write(to path: String, progress: AtomicFileWriter.ProgressHook? = nil) throws(KHOImageError) {
        try AtomicFileWriter.write(to: path, produce: { (sink) throws(KHOImageError) in
            try write(to: sink, progress: { (written) throws(KHOImageError) in
                do { try progress?(written) } catch {
                    throw .io(path: path, operation: "write (\(error))", error: .canceled)
                }
            }, systemFailure: KHOImageError.init)
        }, systemFailure: KHOImageError.init)
    }
}
