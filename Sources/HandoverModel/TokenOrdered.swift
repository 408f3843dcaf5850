/// Something a session holds under a token: a file record, a preserved or
/// an incoming file.
public protocol TokenIdentified {
    /// The token the file is preserved under (unique within its session).
    var token: UInt64 { get }
}

extension FileRecord: TokenIdentified {}

/// A session's files in preservation order, each found by its token in
/// O(1): the one way files are looked up by token (the lifecycle's
/// incoming and outgoing sessions, `HandoverIndex` over a state). When a
/// token occurs twice (a state the writer refuses), the first occurrence is
/// the one found, as a front-to-back search would find it.
public struct TokenOrdered<Element: TokenIdentified>: RandomAccessCollection {
    private var elements: [Element]
    /// Each token's first position in `elements`.
    private var positions: [UInt64: Int]

    /// `elements` in order.
    public init(_ elements: [Element] = []) {
        self.elements = elements
        positions = [:]
        positions.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() where positions[element.token] == nil {
            positions[element.token] = index
        }
    }

    /// The first position.
    public var startIndex: Int { elements.startIndex }
    /// One past the last position.
    public var endIndex: Int { elements.endIndex }
    /// The element at `position`.
    public subscript(position: Int) -> Element { elements[position] }

    /// The element with `token`, or `nil`.
    public subscript(token token: UInt64) -> Element? { positions[token].map { elements[$0] } }

    /// The position of the element with `token`, or `nil`.
    public func index(of token: UInt64) -> Int? { positions[token] }

    /// Adds `element` at the end; its token must be new.
    public mutating func append(_ element: Element) {
        precondition(positions[element.token] == nil, "token already in the session")
        positions[element.token] = elements.count
        elements.append(element)
    }

    /// Removes and returns the element at `index`.
    @discardableResult
    public mutating func remove(at index: Int) -> Element {
        let removed = elements.remove(at: index)
        positions[removed.token] = nil
        for later in index..<elements.count where positions[elements[later].token] == later + 1 {
            positions[elements[later].token] = later
        }
        // A duplicate of the removed token further on is now the first one.
        if let again = elements[index...].firstIndex(where: { $0.token == removed.token }) {
            positions[removed.token] = again
        }
        return removed
    }

    /// Removes and returns the last element.
    @discardableResult
    public mutating func removeLast() -> Element { remove(at: elements.count - 1) }
}

extension TokenOrdered: Sendable where Element: Sendable {}
