import CLibFDT

/// libfdt's read-write API on a finished tree, in place in its own buffer:
/// the way `kho_add_subtree` grows the KHO root FDT (`fdt_open_into` to the
/// buffer's full size, `fdt_add_subnode`, `fdt_setprop`, `fdt_pack`).
///
/// Working in the same buffer matters for byte identity: the bytes left past
/// `totalsize` after `fdt_pack` depend on where libfdt moved things from.
public final class FDTEditor {
    /// The buffer being edited; after ``pack()`` it holds the packed tree.
    public let buffer: AlignedBytes

    /// Adopts a buffer holding a finished tree (for example a
    /// ``FDTSequentialWriter``'s) without touching it.
    public init(editing buffer: AlignedBytes) {
        self.buffer = buffer
    }

    /// `fdt_open_into(fdt, fdt, capacity)`: reopens the tree in place with
    /// room up to `capacity` bytes (at most the buffer's size).
    public func openInPlace(capacity: Int) throws(FDTError) {
        precondition(capacity <= buffer.count, "capacity beyond buffer")
        try check(fdt_open_into(buffer.base, buffer.base, Int32(clamping: capacity)), "fdt_open_into",
                  "capacity \(capacity)")
    }

    /// `fdt_add_subnode(parent, name)`; returns the new node's offset.
    /// An existing name is `FDT_ERR_EXISTS`.
    @discardableResult
    public func addSubnode(parentOffset: Int32, name: String) throws(FDTError) -> Int32 {
        let offset = name.withCString { fdt_add_subnode(buffer.base, parentOffset, $0) }
        try check(offset, "fdt_add_subnode", "node '\(name)'")
        return offset
    }

    /// `fdt_setprop(node, name, bytes, count)`.
    public func setProperty(nodeOffset: Int32, name: String, bytes: [UInt8]) throws(FDTError) {
        let result = bytes.withUnsafeBytes { raw in
            name.withCString { fdt_setprop(buffer.base, nodeOffset, $0, raw.baseAddress, Int32(raw.count)) }
        }
        try check(result, "fdt_setprop", "property '\(name)'")
    }

    /// `fdt_setprop(node, name, &value, sizeof(value))` with a raw host-endian u64.
    public func setProperty(nodeOffset: Int32, name: String, rawU64 value: UInt64) throws(FDTError) {
        let result = withUnsafeBytes(of: value.littleEndian) { raw in
            name.withCString { fdt_setprop(buffer.base, nodeOffset, $0, raw.baseAddress, Int32(raw.count)) }
        }
        try check(result, "fdt_setprop", "property '\(name)'")
    }

    /// `fdt_setprop_inplace`: overwrites a property of the same length without
    /// moving anything.
    public func setPropertyInPlace(nodeOffset: Int32, name: String, bytes: [UInt8]) throws(FDTError) {
        let result = bytes.withUnsafeBytes { raw in
            fdt_setprop_inplace(buffer.base, nodeOffset, name, raw.baseAddress, Int32(raw.count))
        }
        try check(result, "fdt_setprop_inplace", "property '\(name)'")
    }

    /// `fdt_del_node(node)`: removes the node and everything under it.
    public func deleteNode(offset: Int32) throws(FDTError) {
        try check(fdt_del_node(buffer.base, offset), "fdt_del_node", "node at \(offset)")
    }

    /// `fdt_pack`: shrinks `totalsize` to what the tree uses.
    public func pack() throws(FDTError) {
        try check(fdt_pack(buffer.base), "fdt_pack", "tree")
    }

    /// The header's `totalsize`.
    public var totalSize: Int { Int(luo_fdt_totalsize(buffer.base)) }

    /// The tree's bytes, `totalsize` long.
    public var blob: [UInt8] { buffer.copy(0..<totalSize) }
}
