import CLibFDT

/// One node of a validated ``FDTBlob``: its name, properties and subnodes,
/// with typed getters that check each value's shape.
public struct FDTNodeRef: @unchecked Sendable {
    /// The blob the node lives in.
    public let blob: FDTBlob
    /// The node's structure-block offset.
    public let offset: Int32
    /// The path of the node's parent, `nil` for a node whose path is given
    /// whole in ``pathGiven`` (the root, a node found by path).
    private let parentPath: String?
    private let pathGiven: String

    /// A node whose path is `path`.
    init(blob: FDTBlob, offset: Int32, path: String) {
        self.blob = blob
        self.offset = offset
        parentPath = nil
        pathGiven = path
    }

    /// A subnode of the node at `parentPath`; its path is only spelled when
    /// asked for (error messages), not for every node a walk visits.
    init(blob: FDTBlob, offset: Int32, parentPath: String) {
        self.blob = blob
        self.offset = offset
        self.parentPath = parentPath
        pathGiven = ""
    }

    /// The node's path, for error messages.
    public var path: String {
        guard let parentPath else { return pathGiven }
        return parentPath == "/" ? "/\(name)" : "\(parentPath)/\(name)"
    }

    /// The node's name with its unit address (`region@100000000`); `""` for the root.
    public var name: String {
        var length: Int32 = 0
        guard let pointer = fdt_get_name(blob.pointer, offset, &length), length >= 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
    }

    /// Every property, in the order they appear.
    public func properties() throws(FDTError) -> [(name: String, value: [UInt8])] {
        var result: [(name: String, value: [UInt8])] = []
        var property = fdt_first_property_offset(blob.pointer, offset)
        while property >= 0 {
            var length: Int32 = 0
            var namePointer: UnsafePointer<CChar>?
            guard let value = fdt_getprop_by_offset(blob.pointer, property, &namePointer, &length),
                  let namePointer, length >= 0 else {
                try check(length < 0 ? length : -FDT_ERR_BADSTRUCTURE, "fdt_getprop_by_offset",
                          "\(path), property offset \(property)")
                break
            }
            result.append((String(cString: namePointer), Array(UnsafeRawBufferPointer(start: value, count: Int(length)))))
            property = fdt_next_property_offset(blob.pointer, property)
        }
        if property != -FDT_ERR_NOTFOUND {
            try check(property, "fdt_next_property_offset", path)
        }
        return result
    }

    /// The direct subnodes, in order.
    public func subnodes() throws(FDTError) -> [FDTNodeRef] {
        var result: [FDTNodeRef] = []
        var child = fdt_first_subnode(blob.pointer, offset)
        let path = self.path
        while child >= 0 {
            result.append(FDTNodeRef(blob: blob, offset: child, parentPath: path))
            child = fdt_next_subnode(blob.pointer, child)
        }
        if child != -FDT_ERR_NOTFOUND {
            try check(child, "fdt_next_subnode", path)
        }
        return result
    }

    /// The subnode called `name`, or `nil`.
    public func subnode(_ name: String) -> FDTNodeRef? {
        // withCString: no heap copy of a small string (the implicit
        // String-to-pointer conversion makes one).
        let child = name.withCString { fdt_subnode_offset(blob.pointer, offset, $0) }
        guard child >= 0 else { return nil }
        return FDTNodeRef(blob: blob, offset: child, path: path == "/" ? "/\(name)" : "\(path)/\(name)")
    }

    /// The raw value of property `name`, or `nil` when absent.
    public func value(_ name: String) -> UnsafeRawBufferPointer? {
        var length: Int32 = 0
        let found = name.withCString { fdt_getprop(blob.pointer, offset, $0, &length) }
        guard let pointer = found, length >= 0 else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: Int(length))
    }

    /// The raw value of property `name`; absent is ``FDTError/missingProperty(node:property:)``.
    public func requiredValue(_ name: String) throws(FDTError) -> UnsafeRawBufferPointer {
        guard let value = value(name) else { throw .missingProperty(node: path, property: name) }
        return value
    }

    /// A property holding exactly `count` bytes.
    public func bytes(_ name: String, count: Int) throws(FDTError) -> UnsafeRawBufferPointer {
        let value = try requiredValue(name)
        guard value.count == count else {
            throw .badPropertyLength(node: path, property: name, expected: count, actual: value.count)
        }
        return value
    }

    /// A kernel-style u64: exactly 8 raw host-endian (little-endian) bytes.
    public func rawU64(_ name: String) throws(FDTError) -> UInt64 {
        ByteOrderCoding.readLittleEndian(UInt64.self, try bytes(name, count: 8), at: 0)
    }

    /// A DT-style u64: exactly two big-endian cells.
    public func bigEndianU64(_ name: String) throws(FDTError) -> UInt64 {
        ByteOrderCoding.readBigEndian(UInt64.self, try bytes(name, count: 8), at: 0)
    }

    /// A DT-style u32: exactly one big-endian cell.
    public func bigEndianU32(_ name: String) throws(FDTError) -> UInt32 {
        ByteOrderCoding.readBigEndian(UInt32.self, try bytes(name, count: 4), at: 0)
    }

    /// Big-endian 32-bit cells; the length must be `count * 4`.
    public func cells(_ name: String, count: Int) throws(FDTError) -> [UInt32] {
        let value = try bytes(name, count: count * 4)
        return (0..<count).map { ByteOrderCoding.readBigEndian(UInt32.self, value, at: $0 * 4) }
    }

    /// A string property: one string whose only NUL is its last byte.
    public func string(_ name: String) throws(FDTError) -> String {
        let value = try requiredValue(name)
        guard let last = value.last, last == 0, !value.dropLast().contains(0) else {
            throw .badString(node: path, property: name)
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: value.dropLast()), as: UTF8.self)
    }

    /// The deepest node ``materialize()`` reaches below the node it starts
    /// from: the kernel's `FDT_MAX_DEPTH` (`drivers/of/fdt.c`), which its
    /// own unflattening enforces. libfdt sets no limit, and without one a
    /// hostile tree of a few megabytes nests deep enough to overflow the
    /// stack (and the indentation of a dump grows with the square of it).
    public static let maxDepth = 64

    /// This node and everything below it as a value; a node more than
    /// ``maxDepth`` levels below this one is an error.
    public func materialize() throws(FDTError) -> FDTNode {
        try materialize(depth: 0)
    }

    private func materialize(depth: Int) throws(FDTError) -> FDTNode {
        let subnodes = try subnodes()
        if let first = subnodes.first, depth >= Self.maxDepth {
            throw .tooDeep(node: first.path, limit: Self.maxDepth)
        }
        var children: [FDTNode] = []
        for child in subnodes { children.append(try child.materialize(depth: depth + 1)) }
        return FDTNode(name: name, properties: try properties().map { FDTProperty(name: $0.name, value: $0.value) },
                       children: children)
    }
}
