import KernelABI
import HexFormat

/// Physical memory in an ELF core file: each `PT_LOAD` segment holds
/// `p_filesz` bytes of memory from physical address `p_paddr`. QEMU's
/// `dump-guest-memory` and a kdump vmcore in ELF form are such files.
///
/// Only 64-bit little-endian cores (`ELFCLASS64`, `ELFDATA2LSB`, `ET_CORE`)
/// are read. A segment whose `p_memsz` exceeds `p_filesz` contributes only
/// the bytes the file holds. Segments that overlap in physical memory, or run
/// past the end of the file, make the core unusable: nothing in it says
/// which copy is right.
public struct ELFCoreFile: PhysicalMemory, Sendable {
    private let file: SegmentedFile

    /// `\x7fELF`.
    public static let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
    static let headerSize = 64
    static let programHeaderSize = 56
    static let sectionHeaderSize = 64
    static let loadSegmentType: UInt32 = 1
    /// `PN_XNUM`: the real program-header count is in section header 0.
    static let extendedNumbering = 0xffff

    /// Opens the core at `path` and reads its program headers.
    public init(path: String) throws(KHOImageError) {
        let source = try SourceFile(path: path)
        func fail(_ problem: String) -> KHOImageError { .badSource(path: path, problem: problem) }
        guard source.size >= UInt64(Self.headerSize) else { throw fail("is \(source.size) bytes, too short for an ELF header") }
        let header = try Self.bytes(source, at: 0, count: Self.headerSize)
        guard Array(header[0..<4]) == Self.magic else { throw fail("is not an ELF file") }
        guard header[4] == 2, header[5] == 1 else {
            throw fail("is not a 64-bit little-endian ELF file (class \(header[4]), data \(header[5]))")
        }
        let type = header.loadLittleEndian(UInt16.self, at: 16)
        guard type == 4 else { throw fail("is an ELF file of type \(type), not a core (ET_CORE, 4)") }
        let phoff = header.loadLittleEndian(UInt64.self, at: 32)
        let shoff = header.loadLittleEndian(UInt64.self, at: 40)
        let phentsize = Int(header.loadLittleEndian(UInt16.self, at: 54))
        var phnum = Int(header.loadLittleEndian(UInt16.self, at: 56))
        guard phentsize == Self.programHeaderSize else { throw fail("program headers are \(phentsize) bytes, expected 56") }
        if phnum == Self.extendedNumbering {
            guard shoff != 0, shoff <= source.size, UInt64(Self.sectionHeaderSize) <= source.size - shoff else {
                throw fail("uses extended program-header numbering but has no section header 0 inside the file")
            }
            let section = try Self.bytes(source, at: shoff, count: Self.sectionHeaderSize)
            phnum = Int(section.loadLittleEndian(UInt32.self, at: 44))
        }
        guard phoff <= source.size, UInt64(phnum) * UInt64(phentsize) <= source.size - phoff else {
            throw fail("its \(phnum) program headers at offset \(phoff) run past the end of the file")
        }
        var segments: [SegmentedFile.Segment] = []
        // Read in pieces: a core may have many headers, memory stays bounded.
        let perPiece = 1024
        var first = 0
        while first < phnum {
            let count = min(perPiece, phnum - first)
            let table = try Self.bytes(source, at: phoff + UInt64(first * phentsize), count: count * phentsize)
            for slot in 0..<count {
                let base = slot * phentsize
                guard table.loadLittleEndian(UInt32.self, at: base) == Self.loadSegmentType else { continue }
                let offset = table.loadLittleEndian(UInt64.self, at: base + 8)
                let paddr = table.loadLittleEndian(UInt64.self, at: base + 24)
                let filesz = table.loadLittleEndian(UInt64.self, at: base + 32)
                guard filesz > 0 else { continue }
                let index = first + slot
                guard offset <= source.size, filesz <= source.size - offset else {
                    throw fail("PT_LOAD segment \(index) (file offset \(offset), \(filesz) bytes) runs past the end of the file (\(source.size) bytes)")
                }
                guard paddr &+ filesz > paddr else {
                    throw fail("PT_LOAD segment \(index) at \(Hex.format(paddr)) (\(filesz) bytes) runs past 2^64")
                }
                segments.append(SegmentedFile.Segment(phys: paddr, size: filesz, fileOffset: offset))
            }
            first += count
        }
        segments.sort { $0.phys < $1.phys }
        for (lower, upper) in zip(segments, segments.dropFirst()) where upper.phys < lower.end {
            throw fail("PT_LOAD segments overlap in physical memory: \(Hex.range(lower.phys, lower.end)) and \(Hex.range(upper.phys, upper.end))")
        }
        file = SegmentedFile(file: source, segments: segments)
    }

    /// The ranges the `PT_LOAD` segments cover, touching ones merged.
    public var ranges: [PhysicalRange] { file.ranges }

    /// The parts of `range` that are not holes in the file.
    public func populatedRanges(in range: PhysicalRange) -> [PhysicalRange] { file.populatedRanges(in: range) }

    /// Copies the bytes at `phys` into `buffer`.
    public func read(_ phys: UInt64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(KHOImageError) {
        try file.read(phys, into: buffer, what: what)
    }

    private static func bytes(_ source: SourceFile, at offset: UInt64, count: Int) throws(KHOImageError) -> [UInt8] {
        try filledBytes(count: count) { (buffer) throws(KHOImageError) in try source.read(at: offset, into: buffer) }
    }
}

extension [UInt8] {
    /// The little-endian integer at `offset` (the caller checked the bounds).
    fileprivate func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { $0.loadLittleEndian(T.self, at: offset) }
    }
}
