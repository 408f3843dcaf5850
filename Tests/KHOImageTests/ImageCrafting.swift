import FDT
import HandoverModel
import KernelABI
import KHOImage
import Testing

/// A good image to break: its file bytes and the layout the writer chose,
/// with helpers that patch physical memory in place.
struct CraftedImage {
    var bytes: [UInt8]
    let layout: HandoverLayout

    /// Three sessions (raw + payload files, none, one memfd) and two FLBs.
    static let richState = HandoverState(
        generation: .khoV2Prerelease,
        liveupdateNumber: 5,
        sessions: [
            SessionRecord(name: "alpha", files: [
                FileRecord(token: 10, compatible: "raw-v1", content: .data(0xabc)),
                FileRecord(token: 11, compatible: "blob-v1", content: .payload([1, 2, 3] + [UInt8](repeating: 0, count: 4093))),
            ]),
            SessionRecord(name: "beta"),
            SessionRecord(name: "m", files: [
                FileRecord(token: 1, compatible: "memfd-v1",
                           content: .memfd(MemfdContents(contents: Array(repeating: 0xab, count: 5000), position: 17))),
            ]),
        ],
        flbs: [FLBRecord(name: "iommu-v1", data: 0x55, count: 1), FLBRecord(name: "dma-v1", data: 0x66, count: 2)])

    init(_ state: HandoverState = CraftedImage.richState) throws {
        let image = try KHOImageWriter().encode(state)
        bytes = try image.bytes
        layout = image.layout
    }

    func decode() throws(KHOImageError) -> DecodedImage {
        try KHOImageReader.decodeImage(ReadOnlyBytes(copying: bytes))
    }

    /// The file offset of `phys`.
    func offset(_ phys: UInt64) -> Int {
        let region = layout.regions.first { $0.phys <= phys && phys < $0.end }!
        return Int(region.fileOffset + (phys - region.phys))
    }

    func read(_ phys: UInt64, _ length: Int) -> [UInt8] {
        Array(bytes[offset(phys)..<(offset(phys) + length)])
    }

    func u64(_ phys: UInt64) -> UInt64 {
        read(phys, 8).enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
    }

    mutating func put(_ new: [UInt8], at phys: UInt64) {
        bytes.replaceSubrange(offset(phys)..<(offset(phys) + new.count), with: new)
    }

    mutating func put(u64 value: UInt64, at phys: UInt64) { put(le64(value), at: phys) }

    // MARK: FDTs in memory

    /// The physical address of property `name`'s value in the node at
    /// `path` of the FDT at `fdt`.
    func propertyValue(inFDTAt fdt: UInt64, path: String, _ name: String) throws -> (phys: UInt64, length: Int) {
        let storage = ReadOnlyBytes(copying: read(fdt, 4096))
        let blob = try FDTBlob(storage: storage)
        let value = blob.node(atPath: path)!.value(name)!
        return (fdt + UInt64(value.baseAddress! - UnsafeRawPointer(storage.base)), value.count)
    }

    /// The physical address of the name of the node at `path` in the FDT at `fdt`.
    func nodeName(inFDTAt fdt: UInt64, path: String) throws -> UInt64 {
        let storage = ReadOnlyBytes(copying: read(fdt, 4096))
        let blob = try FDTBlob(storage: storage)
        let structure = read(fdt + 8, 4).reduce(0) { ($0 << 8) | UInt64($1) }
        return fdt + structure + UInt64(blob.node(atPath: path)!.offset) + 4
    }

    /// Overwrites a string property with another of the same length.
    mutating func replaceString(inFDTAt fdt: UInt64, path: String, _ name: String, with value: String) throws {
        let location = try propertyValue(inFDTAt: fdt, path: path, name)
        precondition(location.length == value.utf8.count + 1, "length must not change")
        put(Array(value.utf8), at: location.phys)
    }

    mutating func replaceU64(inFDTAt fdt: UInt64, path: String, _ name: String, with value: UInt64) throws {
        put(u64: value, at: try propertyValue(inFDTAt: fdt, path: path, name).phys)
    }

    // MARK: the radix tree

    /// The leaf page holding `phys`/`order`'s bit, and the bit.
    func leaf(for phys: UInt64, order: Int) -> (page: UInt64, bit: Int) {
        let key = KHORadixTree.key(phys: phys, order: order)
        var node = layout.memoryMapPhys
        for level in stride(from: 5, to: 0, by: -1) {
            node = u64(node + UInt64(KHORadixTree.tableIndex(key, level: level) * 8))
            precondition(node != 0, "no leaf for this key in the tree")
        }
        return (node, KHORadixTree.bitmapIndex(key))
    }

    mutating func setPreservedBit(_ phys: UInt64, order: Int, to value: Bool) {
        let (page, bit) = leaf(for: phys, order: order)
        var byte = read(page + UInt64(bit / 8), 1)[0]
        if value { byte |= 1 << UInt8(bit % 8) } else { byte &= ~(1 << UInt8(bit % 8)) }
        put([byte], at: page + UInt64(bit / 8))
    }

    // MARK: the memfd of richState

    var memfdSer: UInt64 { layout.sessions[2].fileData[0] }
    var memfdChunk: UInt64 { u64(memfdSer + 24) }
    var memfdArray: UInt64 { u64(memfdChunk + 8) }
}

/// An image index built from parts, for index errors: one FDT page then
/// `dataPages` zero pages.
struct IndexBuilder {
    var compatible = "luo-serialize,kho-image-v1"
    var properties: [(String, [UInt8])] = [
        ("#address-cells", be32(2)), ("#size-cells", be32(2)), ("page-size", be32(4096)), ("kho-fdt", be64(0x1000)),
    ]
    var regions: [(name: String, properties: [(String, [UInt8])])] = []
    var reservations: [(UInt64, UInt64)] = []
    var dataPages = 1

    /// A region node named after `phys` with matching reservation.
    mutating func addRegion(phys: UInt64, size: UInt64, offset: UInt64, name: String? = nil, reserve: Bool = true) {
        regions.append((name ?? "region@\(String(phys, radix: 16))",
                        [("reg", be64(phys) + be64(size)), ("offset", be64(offset))]))
        if reserve { reservations.append((phys, size)) }
    }

    mutating func set(_ name: String, _ value: [UInt8]?) {
        properties.removeAll { $0.0 == name }
        if let value { properties.append((name, value)) }
    }

    var file: [UInt8] {
        get throws {
            let writer = try FDTSequentialWriter(capacity: 4096)
            for (address, size) in reservations { try writer.addReservation(address: address, size: size) }
            try writer.finishReservemap()
            try writer.beginNode("")
            try writer.property("compatible", string: compatible)
            for (name, value) in properties { try writer.property(name, bytes: value) }
            for region in regions {
                try writer.beginNode(region.name)
                for (name, value) in region.properties { try writer.property(name, bytes: value) }
                try writer.endNode()
            }
            try writer.endNode()
            try writer.finish()
            return writer.buffer.array + [UInt8](repeating: 0, count: dataPages * 4096)
        }
    }

    func decode() throws -> DecodedImage {
        try KHOImageReader.decodeImage(ReadOnlyBytes(copying: try file))
    }
}

func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) } }
func be64(_ value: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> UInt64($0 * 8)) } }
func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// The memfd walk's error the reader reported as a warning, thrown, after
/// checking the image decoded and kept that file as its raw `data`; `image`
/// itself when there is no such warning. (A memfd file whose data its
/// handler cannot retrieve no longer fails the whole image.)
func memfdWarningError(_ image: DecodedImage) throws(KHOImageError) -> DecodedImage {
    for warning in image.warnings {
        guard case let .unretrievableMemfd(session, token, _, data, error) = warning else { continue }
        let content = image.state.sessions.first { $0.name == session }?.files.first { $0.token == token }?.content
        if content != .data(data) { Issue.record("session \(session) token \(token) is \(String(describing: content)), not raw data") }
        throw error
    }
    return image
}

extension CraftedImage {
    /// ``decode()``, then ``memfdWarningError(_:)``.
    func decodeMemfd() throws(KHOImageError) -> DecodedImage {
        try memfdWarningError(try decode())
    }
}
