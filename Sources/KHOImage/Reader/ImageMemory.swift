import FDT
import KernelABI

/// The physical memory an image holds, as the incoming kernel would see it:
/// its regions over the mapped file. Every access names what it reads and
/// is checked to lie wholly inside one region.
struct PhysicalMemoryView: RadixTreePageSource {
    let storage: AlignedBytes
    /// Regions in ascending physical order (the index guarantees it).
    let regions: [ImageRegion]

    /// Pages the regions hold in total.
    var totalPages: Int { regions.reduce(0) { $0 + Int($1.size >> UInt64(PageGeometry.pageShift)) } }

    /// The region holding `phys`, or `nil`.
    func region(containing phys: UInt64) -> ImageRegion? {
        var low = 0
        var high = regions.count
        while low < high {
            let middle = (low + high) / 2
            if regions[middle].end <= phys { low = middle + 1 } else { high = middle }
        }
        guard low < regions.count, regions[low].phys <= phys else { return nil }
        return regions[low]
    }

    /// The file offset of `phys`, after checking that `length` bytes from
    /// there lie inside one region.
    /// `what` is only built for an error.
    func fileOffset(of phys: UInt64, length: UInt64, what: @autoclosure () -> String) throws(KHOImageError) -> Int {
        guard let region = region(containing: phys) else {
            throw .outsideImage(what: what(), phys: phys, length: length)
        }
        guard length <= region.end - phys else {
            throw .straddlesRegions(what: what(), phys: phys, length: length)
        }
        return Int(region.fileOffset + (phys - region.phys))
    }

    /// The `length` bytes at `phys`, in place.
    func bytes(at phys: UInt64, length: Int, what: @autoclosure () -> String) throws(KHOImageError) -> UnsafeRawBufferPointer {
        let offset = try fileOffset(of: phys, length: UInt64(length), what: what())
        return UnsafeRawBufferPointer(rebasing: storage.rawBuffer[offset..<(offset + length)])
    }

    /// The FDT at `phys`, validated, allowed to span at most `maxLength`
    /// bytes (the kernel's buffer size) and never past its region.
    func fdt(at phys: UInt64, maxLength: Int, what: String) throws(KHOImageError) -> FDTBlob {
        let offset = try fileOffset(of: phys, length: UInt64(FDTBlob.headerSize), what: what)
        let region = region(containing: phys)!
        let available = min(UInt64(maxLength), region.end - phys)
        do {
            return try FDTBlob(storage: storage, offset: offset, maxLength: Int(available), label: "\(what) at 0x\(String(phys, radix: 16))")
        } catch {
            throw .structure(what: "\(what) at 0x\(String(phys, radix: 16))", error: .fdt(error))
        }
    }

    func radixPage(at phys: UInt64, level: Int) throws(ABIError) -> UnsafeRawBufferPointer {
        do {
            return try bytes(at: phys, length: PageGeometry.pageSize, what: "memory-map node")
        } catch {
            throw .radixTree(phys: phys, problem: "node page is not inside the image")
        }
    }
}
