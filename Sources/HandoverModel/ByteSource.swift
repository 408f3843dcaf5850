import SystemSupport

/// Bytes the model carries without necessarily holding them: inline bytes,
/// ranges of open files read only when needed, and runs of zeros, one after
/// another. A memfd of gigabytes is a range of the memfd itself (or of the
/// image it was read from), so it is never copied into memory whole: the
/// writer sends it to the image file inside the kernel (``send(to:name:)``)
/// and comparisons read it in bounded chunks.
///
/// Two sources are equal when their bytes are, wherever they come from.
public struct ByteSource: Equatable, Sendable {
    /// One piece of a source.
    public enum Segment: Sendable {
        /// Bytes held in memory.
        case bytes([UInt8])
        /// `count` bytes of `file` from byte `offset` on.
        case file(ContentFile, offset: Int64, count: Int)
        /// `count` zero bytes (a hole of a sparse file or of a memfd).
        case zeros(Int)

        /// The piece's length in bytes.
        public var count: Int {
            switch self {
            case let .bytes(bytes): bytes.count
            case let .file(_, _, count), let .zeros(count): count
            }
        }
    }

    /// The pieces, in order.
    public private(set) var segments: [Segment]
    /// The total length in bytes.
    public private(set) var count: Int

    /// The largest piece a bounded walk hands over at once (1 MiB).
    public static let chunkSize = 1 << 20

    /// The bytes `bytes`, held in memory.
    public init(_ bytes: [UInt8]) {
        self.init(segments: [.bytes(bytes)])
    }

    /// `count` bytes of `file` from byte `offset` on, read when needed.
    public init(file: ContentFile, offset: Int64 = 0, count: Int) {
        self.init(segments: [.file(file, offset: offset, count: count)])
    }

    /// The pieces `segments` one after another (empty pieces are dropped).
    public init(segments: [Segment]) {
        self.segments = segments.filter { $0.count > 0 }
        count = self.segments.reduce(0) { $0 + $1.count }
    }

    /// Whether every byte is held in memory (no file is read to get them).
    public var isInline: Bool {
        segments.allSatisfy { if case .file = $0 { false } else { true } }
    }

    /// The bytes of `range` as a source of their own (no byte is read).
    public func slice(_ range: Range<Int>) -> ByteSource {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the source")
        var pieces: [Segment] = []
        var start = 0
        for segment in segments {
            let end = start + segment.count
            defer { start = end }
            let lower = max(start, range.lowerBound) - start, upper = min(end, range.upperBound) - start
            guard lower < upper else { continue }
            switch segment {
            case let .bytes(bytes): pieces.append(.bytes(Array(bytes[lower..<upper])))
            case let .file(file, offset, _): pieces.append(.file(file, offset: offset + Int64(lower), count: upper - lower))
            case .zeros: pieces.append(.zeros(upper - lower))
            }
        }
        return ByteSource(segments: pieces)
    }

    /// Hands `body` the bytes of `range` in order, in pieces of at most
    /// ``chunkSize`` bytes: file ranges are read with `pread` into one
    /// bounded buffer, so a walk over gigabytes stays small. A file that
    /// ends before its range does is an `EIO` error naming it.
    public func forEachChunk(in range: Range<Int>? = nil,
                             _ body: (UnsafeRawBufferPointer) throws(ByteSourceError) -> Void) throws(ByteSourceError) {
        let range = range ?? 0..<count
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the source")
        var buffer: UnsafeMutableRawBufferPointer?
        defer { buffer?.deallocate() }
        var start = 0
        for segment in segments {
            let end = start + segment.count
            defer { start = end }
            let lower = max(start, range.lowerBound), upper = min(end, range.upperBound)
            guard lower < upper else { continue }
            var position = lower
            while position < upper {
                let length = min(Self.chunkSize, upper - position)
                let inSegment = position - start
                switch segment {
                case let .bytes(bytes):
                    try bytes.withUnsafeBufferPointer { (buffer) throws(ByteSourceError) in
                        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[inSegment..<(inSegment + length)]))
                    }
                case let .file(file, offset, _):
                    let scratch = buffer ?? .allocate(byteCount: Self.chunkSize, alignment: 16)
                    buffer = scratch
                    let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length])
                    let read: Int
                    do { read = try file.descriptor.readFully(fromAbsoluteOffset: offset + Int64(inSegment), into: piece) } catch {
                        throw ByteSourceError(file: file.name, operation: "pread", offset: offset + Int64(inSegment), errno: error)
                    }
                    guard read == length else {
                        throw ByteSourceError(file: file.name, operation: "pread (the file ends early)",
                                              offset: offset + Int64(inSegment + read), errno: .ioError)
                    }
                    try body(UnsafeRawBufferPointer(piece))
                case .zeros:
                    try Self.zeroChunk.withUnsafeBufferPointer { (buffer) throws(ByteSourceError) in
                        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<length]))
                    }
                }
                position += length
            }
        }
    }

    /// The bytes of `range` (all of them by default) in one array: for
    /// small sources and small ranges.
    public func bytes(in range: Range<Int>? = nil) throws(ByteSourceError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(range?.count ?? count)
        try forEachChunk(in: range) { result.append(contentsOf: $0) }
        return result
    }

    /// Writes every byte to `target` at its file position, which advances;
    /// `name` names the target in errors. File ranges go with `sendfile`,
    /// inside the kernel, so none of their bytes is copied into this
    /// process; with `skippingZeros` runs of zeros are skipped over with
    /// `lseek` (for a target already sized with zeros there, such as a
    /// truncated memfd), otherwise written.
    public func send(to target: FileDescriptor, name: String, skippingZeros: Bool = false) throws(ByteSourceError) {
        func failure(_ operation: String, _ error: Errno) -> ByteSourceError {
            ByteSourceError(file: name, operation: operation, offset: nil, errno: error)
        }
        for segment in segments {
            switch segment {
            case let .bytes(bytes):
                do { try bytes.withUnsafeBufferPointer { (buffer) throws(Errno) in try target.writeFully(UnsafeRawBufferPointer(buffer)) } } catch { throw failure("write", error) }
            case let .file(file, offset, count):
                let sent: Int
                do { sent = try file.descriptor.sendFully(count: count, fromAbsoluteOffset: offset, to: target) } catch {
                    throw ByteSourceError(file: "\(file.name) -> \(name)", operation: "sendfile", offset: offset, errno: error)
                }
                guard sent == count else {
                    throw ByteSourceError(file: file.name, operation: "sendfile (the file ends early)",
                                          offset: offset + Int64(sent), errno: .ioError)
                }
            case let .zeros(count) where skippingZeros:
                do { try target.seeking(to: Int64(count), from: .current) } catch { throw failure("lseek", error) }
            case let .zeros(count):
                var left = count
                while left > 0 {
                    let piece = min(left, Self.zeroChunk.count)
                    do {
                        try Self.zeroChunk.withUnsafeBufferPointer { (buffer) throws(Errno) in
                            try target.writeFully(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<piece]))
                        }
                    } catch { throw failure("write", error) }
                    left -= piece
                }
            }
        }
    }

    /// Equal bytes, compared a bounded chunk at a time (a source that
    /// cannot be read equals nothing but itself).
    public static func == (lhs: ByteSource, rhs: ByteSource) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if case let .bytes(left)? = lhs.segments.first, case let .bytes(right)? = rhs.segments.first,
           lhs.segments.count == 1, rhs.segments.count == 1 {
            return left == right
        }
        var offset = 0
        while offset < lhs.count {
            let range = offset..<min(offset + chunkSize, lhs.count)
            guard let left = try? lhs.bytes(in: range), let right = try? rhs.bytes(in: range), left == right else {
                return false
            }
            offset = range.upperBound
        }
        return true
    }

    private static let zeroChunk = [UInt8](repeating: 0, count: 1 << 16)
}

/// A file a ``ByteSource`` reads from, open for as long as a source refers
/// to it: its own descriptor, closed when the last source lets go.
public final class ContentFile: Sendable {
    /// The open descriptor (owned).
    public let descriptor: FileDescriptor
    /// What errors call it: a path, or a description of the descriptor.
    public let name: String

    /// Opens `path` read-only.
    public init(opening path: String) throws(ByteSourceError) {
        do { descriptor = try .opening(FilePath(path), .readOnly) } catch {
            throw ByteSourceError(file: path, operation: "open", offset: nil, errno: error)
        }
        name = path
    }

    /// A descriptor of its own (`dup`) for the file open at `descriptor`,
    /// which the caller keeps; errors call it `name`.
    public init(duplicating descriptor: FileDescriptor, name: String) throws(ByteSourceError) {
        do { self.descriptor = try descriptor.duplicated() } catch {
            throw ByteSourceError(file: name, operation: "dup", offset: nil, errno: error)
        }
        self.name = name
    }

    /// The file's size now (`fstat`).
    public func size() throws(ByteSourceError) -> Int64 {
        do { return try descriptor.stat().size } catch {
            throw ByteSourceError(file: name, operation: "fstat", offset: nil, errno: error)
        }
    }

    deinit { descriptor.closeIgnoringErrors() }
}

/// A file behind a ``ByteSource`` could not be read (or a target written).
public struct ByteSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (path or descriptor) involved.
    public var file: String
    /// The system call that failed.
    public var operation: String
    /// The file offset, when one is involved.
    public var offset: Int64?
    /// The `errno` the system gave.
    public var errno: Errno

    /// A failure of `operation` on `file` at `offset` with `errno`.
    public init(file: String, operation: String, offset: Int64?, errno: Errno) {
        self.file = file
        self.operation = operation
        self.offset = offset
        self.errno = errno
    }

    /// One line: the file, the call, the offset and the system's message.
    public var description: String {
        "\(file): \(operation)\(offset.map { " at offset \($0)" } ?? "") failed: \(errno)"
    }
}
