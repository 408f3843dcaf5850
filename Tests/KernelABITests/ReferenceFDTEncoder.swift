/// A test-only FDT encoder written from the devicetree specification
/// (chapter 5, "Flattened Devicetree (DTB) Format") and libfdt's documented
/// behaviour, without calling libfdt. It models the two APIs the kernel uses:
///
/// - sequential write (`fdt_create` ... `fdt_finish`): a 40-byte v17 header
///   (last compatible version 16), the memory-reservation block at offset 48
///   (the header size rounded up to the 16-byte reservation entry), the
///   structure block right after the reservation block's terminating entry,
///   and the strings block after the structure block. While writing, a new
///   property name is put in *front* of the strings table (it grows down from
///   the end of the buffer), so the finished table lists names newest first;
///   a name already present (also as the tail of a longer name) is reused.
/// - read-write (`fdt_open_into`, `fdt_add_subnode`, `fdt_setprop`,
///   `fdt_pack`): a new subnode goes after the parent's last property (before
///   its first subnode), a new property right after its node's name, a new
///   name is *appended* to the strings table, and packing moves the
///   reservation block to offset 40 (the header size rounded to 8).
struct ReferenceFDT {
    static let tokenBeginNode: UInt32 = 1
    static let tokenEndNode: UInt32 = 2
    static let tokenProp: UInt32 = 3
    static let tokenNop: UInt32 = 4
    static let tokenEnd: UInt32 = 9
    static let headerSize = 40

    /// Where the reservation block starts.
    var reservationOffset: Int
    /// The reservation block with its all-zero terminating entry.
    var reservations: [UInt8]
    /// The structure block, ending with FDT_END.
    var structure: [UInt8]
    /// The strings block.
    var strings: [UInt8]

    /// The blob: header, zero padding up to the reservation block, then the
    /// three blocks back to back.
    var bytes: [UInt8] {
        let structOffset = reservationOffset + reservations.count
        let stringsOffset = structOffset + structure.count
        let total = stringsOffset + strings.count
        var out: [UInt8] = []
        for field in [0xd00d_feed, UInt32(total), UInt32(structOffset), UInt32(stringsOffset),
                      UInt32(reservationOffset), 17, 16, 0, UInt32(strings.count), UInt32(structure.count)] as [UInt32] {
            out += bigEndian(field)
        }
        out += [UInt8](repeating: 0, count: reservationOffset - ReferenceFDT.headerSize)
        return out + reservations + structure + strings
    }

    // MARK: read-write API

    /// `fdt_add_subnode` under the node whose FDT_BEGIN_NODE is at
    /// `parent`; returns the new node's offset in the structure block.
    mutating func addSubnode(parent: Int, name: String) -> Int {
        var cursor = afterNodeName(parent)
        while true {
            let tag = word(at: cursor)
            if tag == ReferenceFDT.tokenProp {
                let length = Int(word(at: cursor + 4))
                cursor += 12 + padded(length)
            } else if tag == ReferenceFDT.tokenNop {
                cursor += 4
            } else {
                break
            }
        }
        let node = bigEndian(ReferenceFDT.tokenBeginNode) + nameBytes(name) + bigEndian(ReferenceFDT.tokenEndNode)
        structure.insert(contentsOf: node, at: cursor)
        return cursor
    }

    /// `fdt_setprop` of a property the node does not have yet: inserted
    /// right after the node's name; a new name is appended to the strings.
    mutating func addProperty(node: Int, name: String, value: [UInt8]) {
        let nameOffset: Int
        if let found = ReferenceFDT.find(name, in: strings) {
            nameOffset = found
        } else {
            nameOffset = strings.count
            strings += Array(name.utf8) + [0]
        }
        let property = bigEndian(ReferenceFDT.tokenProp) + bigEndian(UInt32(value.count)) + bigEndian(UInt32(nameOffset))
            + value + [UInt8](repeating: 0, count: padded(value.count) - value.count)
        structure.insert(contentsOf: property, at: afterNodeName(node))
    }

    /// `fdt_open_into` (the blocks are in order, nothing moves) then
    /// `fdt_pack`: the reservation block moves to the 8-byte aligned end of
    /// the header, everything else follows without gaps.
    mutating func pack() {
        reservationOffset = 40
    }

    private func afterNodeName(_ node: Int) -> Int {
        precondition(word(at: node) == ReferenceFDT.tokenBeginNode, "not a node")
        var end = node + 4
        while structure[end] != 0 { end += 1 }
        return node + 4 + padded(end + 1 - (node + 4))
    }

    private func word(at offset: Int) -> UInt32 {
        structure[offset..<(offset + 4)].reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// libfdt's string lookup: the first place `name` and its NUL appear,
    /// which may be the tail of a longer name.
    static func find(_ name: String, in table: [UInt8]) -> Int? {
        let needle = Array(name.utf8) + [0]
        guard table.count >= needle.count else { return nil }
        for start in 0...(table.count - needle.count) where Array(table[start..<(start + needle.count)]) == needle {
            return start
        }
        return nil
    }
}

/// The sequential-write API, token by token.
struct ReferenceSequentialWriter {
    private var reservations: [UInt8] = []
    private var structure: [UInt8] = []
    /// The strings table as it stands, newest name first.
    private var strings: [UInt8] = []
    /// Where each property's name-offset field is, and how far its name
    /// starts from the end of the table (fixed while names are prepended).
    private var nameFixups: [(field: Int, fromEnd: Int)] = []

    mutating func addReservation(address: UInt64, size: UInt64) {
        reservations += bigEndian(address) + bigEndian(size)
    }

    mutating func beginNode(_ name: String) {
        structure += bigEndian(ReferenceFDT.tokenBeginNode) + nameBytes(name)
    }

    mutating func endNode() {
        structure += bigEndian(ReferenceFDT.tokenEndNode)
    }

    mutating func property(_ name: String, _ value: [UInt8]) {
        let fromEnd: Int
        if let found = ReferenceFDT.find(name, in: strings) {
            fromEnd = strings.count - found
        } else {
            strings = Array(name.utf8) + [0] + strings
            fromEnd = strings.count
        }
        structure += bigEndian(ReferenceFDT.tokenProp) + bigEndian(UInt32(value.count))
        nameFixups.append((structure.count, fromEnd))
        structure += bigEndian(UInt32(0)) + value + [UInt8](repeating: 0, count: padded(value.count) - value.count)
    }

    mutating func property(_ name: String, string: String) {
        property(name, Array(string.utf8) + [0])
    }

    /// The kernel's `fdt_property(fdt, name, &u64, 8)`: raw little-endian bytes.
    mutating func property(_ name: String, rawU64 value: UInt64) {
        property(name, littleEndian(value))
    }

    /// `fdt_finish`: FDT_END, then each name offset counted from the start
    /// of the final table.
    func finish() -> ReferenceFDT {
        var structure = self.structure + bigEndian(ReferenceFDT.tokenEnd)
        for fixup in nameFixups {
            let offset = bigEndian(UInt32(strings.count - fixup.fromEnd))
            structure.replaceSubrange(fixup.field..<(fixup.field + 4), with: offset)
        }
        return ReferenceFDT(reservationOffset: 48, reservations: reservations + [UInt8](repeating: 0, count: 16),
                            structure: structure, strings: strings)
    }
}

func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

/// A node name with its NUL, zero-padded to 4 bytes.
func nameBytes(_ name: String) -> [UInt8] {
    let raw = Array(name.utf8) + [0]
    return raw + [UInt8](repeating: 0, count: padded(raw.count) - raw.count)
}

func padded(_ count: Int) -> Int { (count + 3) & ~3 }

/// The big-endian u32 at `offset`.
func headerWord(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | UInt32($1) }
}
