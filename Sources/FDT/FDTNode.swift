/// A property as a value: name and raw bytes.
public struct FDTProperty: Equatable, Sendable {
    /// The property's name.
    public var name: String
    /// The property's raw value.
    public var value: [UInt8]

    /// Creates a property.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// A node and its subtree as a value, detached from any blob.
public struct FDTNode: Equatable, Sendable {
    /// The node's name with unit address; `""` for the root.
    public var name: String
    /// The properties, in order.
    public var properties: [FDTProperty]
    /// The subnodes, in order.
    public var children: [FDTNode]

    /// Creates a node.
    public init(name: String, properties: [FDTProperty], children: [FDTNode]) {
        self.name = name
        self.properties = properties
        self.children = children
    }
}
