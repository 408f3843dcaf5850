import FDT
import HandoverModel
import KernelABI
import KHOImage
import Testing

/// The KHO root FDT's subtrees are looked up one by one, as
/// `kho_retrieve_subtree` does: a broken subnode other than `LUO` does not
/// stop LUO's handover; a broken `LUO` does.
@Suite struct RootSubtreeLookupTests {
    /// Adds a subnode to the image's root FDT page with libfdt's read-write
    /// API, as a second subsystem (or a failed kho_add_subtree) would.
    static func addRootSubnode(_ image: inout CraftedImage, _ name: String, preservedData: [UInt8]?) throws {
        let rootPhys = image.layout.khoRootFDTPhys
        let editor = FDTEditor(editing: AlignedBytes(copying: image.read(rootPhys, 4096)))
        try editor.openInPlace(capacity: 4096)
        let node = try editor.addSubnode(parentOffset: 0, name: name)
        if let preservedData {
            try editor.setProperty(nodeOffset: node, name: KHOv2RootFDT.subtreeProperty, bytes: preservedData)
        }
        try editor.pack()
        image.put(editor.buffer.array, at: rootPhys)
    }

    @Test func aSubnodeWithoutPreservedDataDoesNotStopLUO() throws {
        var image = try CraftedImage()
        try Self.addRootSubnode(&image, "half-added", preservedData: nil)
        try Self.addRootSubnode(&image, "short", preservedData: [1, 2, 3, 4])
        let decoded = try image.decode()
        #expect(decoded.state == CraftedImage.richState.readBackFromImage)
        #expect(decoded.otherSubtrees.isEmpty)
        guard case let .khoRootFDT(root, _) = try KHOImageReader.decode(ReadOnlyBytes(copying: decoded.khoRootFDT)) else {
            Issue.record("the root FDT is not read as a KHO root FDT"); return
        }
        // fdt_add_subnode puts a new node before its older siblings.
        #expect(root.unusableSubtrees == [
            .init(name: "short", error: .fdt(.badPropertyLength(node: "/short", property: "preserved-data", expected: 8, actual: 4))),
            .init(name: "half-added", error: .fdt(.missingProperty(node: "/half-added", property: "preserved-data"))),
        ])
        #expect(root.subtrees.map(\.name) == ["LUO"])
    }

    @Test func anotherSubsystemsSubtreeIsReportedNotFollowed() throws {
        var image = try CraftedImage()
        try Self.addRootSubnode(&image, "memblock", preservedData: le64(0xdead_0000))
        let decoded = try image.decode()
        #expect(decoded.otherSubtrees == [KHOv2RootFDT.Subtree(name: "memblock", phys: 0xdead_0000)])
    }

    @Test func aLUONodeWithoutPreservedDataIsAnError() throws {
        var image = try CraftedImage()
        // Rename LUO's property so the node has none called preserved-data.
        let property = try image.propertyValue(inFDTAt: image.layout.khoRootFDTPhys, path: "/LUO", "preserved-data")
        #expect(property.length == 8)
        let rootBytes = image.read(image.layout.khoRootFDTPhys, 4096)
        let name = Array("preserved-data".utf8)
        let at = (0...(rootBytes.count - name.count)).first { Array(rootBytes[$0..<($0 + name.count)]) == name }!
        image.put(Array("preserved-dat4".utf8), at: image.layout.khoRootFDTPhys + UInt64(at))
        #expect(throws: KHOImageError.structure(
            what: "KHO root FDT", error: .fdt(.missingProperty(node: "/LUO", property: "preserved-data")))) {
            try image.decode()
        }
    }
}
