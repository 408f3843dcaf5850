import HexFormat
/// Physical memory a handover can be read from: the pages of a machine as
/// someone captured them, or the regions of a KHO image.
///
/// This is the seam a next-boot loader or a VMM implements for its own
/// memory: the importer (``KHOImporter``) and everything built on it read
/// physical memory only through it, and never trust what it holds. The
/// library ships three implementations: ``RawMemoryFile`` (a file whose
/// offsets are physical addresses), ``ELFCoreFile`` (an ELF core such as
/// QEMU's `dump-guest-memory` or a kdump vmcore) and ``KHOImageMemory``
/// (the regions of a `.kho` image).
public protocol PhysicalMemory {
    /// The physical ranges present, in ascending order, non-overlapping.
    var ranges: [PhysicalRange] { get }

    /// Copies the `buffer.count` bytes at `phys` into `buffer`.
    ///
    /// Throws ``KHOImageError/outsideSource(what:phys:length:)`` when any of
    /// those bytes is not present (ranges that touch count as one), and
    /// ``KHOImageError/io(path:operation:errno:)`` when reading fails.
    /// `what` names the structure being read, for the error.
    func read(_ phys: UInt64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(KHOImageError)

    /// The parts of `range` (one of ``ranges``) that may hold anything but
    /// zeros, ascending: a hint that lets a scan skip the holes of a sparse
    /// file. The default is the whole range.
    func populatedRanges(in range: PhysicalRange) -> [PhysicalRange]
}

extension PhysicalMemory {
    /// The whole range: no holes are known.
    public func populatedRanges(in range: PhysicalRange) -> [PhysicalRange] { [range] }
}

/// A range of physical memory: `size` bytes from `phys`.
public struct PhysicalRange: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The first physical address.
    public var phys: UInt64
    /// The length in bytes.
    public var size: UInt64

    /// Creates a range.
    public init(phys: UInt64, size: UInt64) {
        self.phys = phys
        self.size = size
    }

    /// One past the last address.
    public var end: UInt64 { phys + size }

    /// `0xSTART-0xEND` (end exclusive).
    public var description: String { Hex.range(phys, end) }
}

extension PhysicalMemory {
    /// Whether all of `phys ..< phys + length` is present (at least one
    /// byte is asked for when `length` is 0).
    public func contains(_ phys: UInt64, length: UInt64) -> Bool {
        guard phys &+ length >= phys else { return false }
        var cursor = phys
        let end = phys + max(length, 1)
        for range in ranges where range.end > cursor {
            guard range.phys <= cursor else { return false }
            cursor = range.end
            if cursor >= end { return true }
        }
        return false
    }

    /// How many bytes from `phys` on are present without a gap (0 when
    /// `phys` itself is not).
    public func contiguousBytes(from phys: UInt64) -> UInt64 {
        var cursor = phys
        for range in ranges where range.end > cursor {
            guard range.phys <= cursor else { break }
            cursor = range.end
        }
        return cursor - phys
    }

    /// The number of 4 KiB pages present.
    public var pageCount: Int {
        ranges.reduce(0) { $0 + Int($1.size >> 12) }
    }

    /// The `count` bytes at `phys` as an array.
    public func bytes(_ phys: UInt64, count: Int, what: String) throws(KHOImageError) -> [UInt8] {
        try filledBytes(count: count) { (buffer) throws(KHOImageError) in try read(phys, into: buffer, what: what) }
    }
}

/// A new array of `count` bytes that `fill` writes (zeros where it does not).
func filledBytes<E: Error>(count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: count)
    var failure: E?
    result.withUnsafeMutableBytes { buffer in
        do throws(E) { try fill(buffer) } catch { failure = error }
    }
    if let failure { throw failure }
    return result
}

/// Reads of one source file through `pread`: the descriptor every file-backed
/// ``PhysicalMemory`` holds, closed when the last reference goes.
final class SourceFile: @unchecked Sendable {
    /// The path, for errors.
    let path: String
    /// The open descriptor (read-only).
    let descriptor: FileDescriptor
    /// The file's size in bytes.
    let size: UInt64

    /// Opens `path` read-only; it must be a regular file or a block device.
    init(path: String) throws(KHOImageError) {
        let descriptor: FileDescriptor
        do { descriptor = try .opening(FilePath(path), .readOnly) } catch { throw .io(path: path, operation: "open", error: error) }
        let status: Stat
        do { status = try descriptor.stat() } catch {
            descriptor.closeIgnoringErrors()
            throw .io(path: path, operation: "fstat", error: error)
        }
        guard status.type == .regular else {
            descriptor.closeIgnoringErrors()
            throw .io(path: path, operation: "open (not a regular file)", error: .invalidArgument)
        }
        self.path = path
        self.descriptor = descriptor
        self.size = UInt64(status.size)
    }

    deinit { descriptor.closeIgnoringErrors() }

    /// The data extents of `offset ..< offset + length` (`SEEK_DATA` /
    /// `SEEK_HOLE`); the whole span where the file system cannot tell.
    func dataExtents(offset: UInt64, length: UInt64) -> [(offset: UInt64, length: UInt64)] {
        let end = offset + length
        var extents: [(offset: UInt64, length: UInt64)] = []
        var cursor = offset
        while cursor < end {
            let data: UInt64
            do throws(Errno) { data = UInt64(try descriptor.seeking(to: Int64(cursor), from: .nextDataRegion)) } catch {
                return error == .noSuchAddressOrDevice ? extents : [(offset, length)]
            }
            guard data < end else { break }
            let hole = (try? descriptor.seeking(to: Int64(data), from: .nextHoleRegion)).map(UInt64.init) ?? end
            let stop = min(hole, end)
            extents.append((data, stop - data))
            cursor = stop
        }
        return extents
    }

    /// Fills `buffer` from file offset `offset`; the caller has checked that
    /// the range lies inside the file. A file that shrank meanwhile is an
    /// `EIO` error naming it (the read hit its end where there were bytes).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KHOImageError) {
        let count: Int
        do { count = try descriptor.readFully(fromAbsoluteOffset: Int64(offset), into: buffer) } catch {
            throw .io(path: path, operation: "pread at offset \(offset)", error: error)
        }
        guard count == buffer.count else {
            throw .io(path: path, operation: "pread at offset \(offset + UInt64(count)) (the file ended early)", error: .ioError)
        }
    }
}

import SystemSupport
