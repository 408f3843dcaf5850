/// A file some of whose byte ranges hold physical memory: the one walk from
/// a physical address to file offsets that every file-backed
/// ``PhysicalMemory`` shares.
struct SegmentedFile: @unchecked Sendable {
    /// A run of physical memory stored at `fileOffset`: an image's region
    /// or a core's segment alike.
    typealias Segment = ImageRegion

    let file: SourceFile
    /// Ascending by `phys`, non-overlapping, non-empty, inside the file.
    let segments: [Segment]

    /// The physical ranges, touching segments merged.
    var ranges: [PhysicalRange] {
        var result: [PhysicalRange] = []
        for segment in segments {
            if let last = result.last, last.end == segment.phys {
                result[result.count - 1].size += segment.size
            } else {
                result.append(PhysicalRange(phys: segment.phys, size: segment.size))
            }
        }
        return result
    }

    /// The index of the segment holding `phys`, or `nil`.
    func segmentIndex(containing phys: UInt64) -> Int? { segments.runIndex(containing: phys) }

    /// Copies the bytes at `phys` into `buffer`, across touching segments.
    func read(_ phys: UInt64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(KHOImageError) {
        let length = UInt64(buffer.count)
        guard phys &+ length >= phys, var index = segmentIndex(containing: phys) else {
            throw .outsideSource(what: what, phys: phys, length: length)
        }
        var cursor = phys
        var done = 0
        while done < buffer.count {
            guard index < segments.count, segments[index].phys <= cursor, cursor < segments[index].end else {
                throw .outsideSource(what: what, phys: phys, length: length)
            }
            let segment = segments[index]
            let piece = Int(min(UInt64(buffer.count - done), segment.end - cursor))
            try file.read(at: segment.fileOffset(of: cursor),
                          into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + piece)]))
            done += piece
            cursor += UInt64(piece)
            index += 1
        }
    }

    /// The parts of `range` whose file bytes are not holes.
    func populatedRanges(in range: PhysicalRange) -> [PhysicalRange] {
        var result: [PhysicalRange] = []
        for segment in segments where segment.end > range.phys && segment.phys < range.end {
            let start = max(segment.phys, range.phys), stop = min(segment.end, range.end)
            for extent in file.dataExtents(offset: segment.fileOffset(of: start), length: stop - start) {
                let phys = segment.phys + (extent.offset - segment.fileOffset)
                if let last = result.last, last.end == phys {
                    result[result.count - 1].size += extent.length
                } else {
                    result.append(PhysicalRange(phys: phys, size: extent.length))
                }
            }
        }
        return result
    }
}
