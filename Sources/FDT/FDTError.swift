/// An error from the FDT layer: either a libfdt failure or a property whose
/// shape is not what the caller asked for. Every case names where it happened.
public enum FDTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libfdt returned `-code` from `function`; `location` is the node path,
    /// property name or byte offset involved.
    case libfdt(LibFDTErrorCode, function: String, location: String)
    /// The node at `node` has no property `property`.
    case missingProperty(node: String, property: String)
    /// The node at `path` does not exist.
    case missingNode(path: String)
    /// A property's value is `actual` bytes long where `expected` were required.
    case badPropertyLength(node: String, property: String, expected: Int, actual: Int)
    /// A string property is not exactly one NUL-terminated string.
    case badString(node: String, property: String)
    /// The node at `node` is nested more than `limit` levels deep.
    case tooDeep(node: String, limit: Int)

    /// One line naming what failed and where.
    public var description: String {
        switch self {
        case let .libfdt(code, function, location):
            "\(function) failed with \(code.name) at \(location)"
        case let .missingProperty(node, property):
            "node \(node) has no property '\(property)'"
        case let .missingNode(path):
            "no node \(path)"
        case let .badPropertyLength(node, property, expected, actual):
            "property '\(property)' of \(node) is \(actual) bytes, expected \(expected)"
        case let .badString(node, property):
            "property '\(property)' of \(node) is not a single NUL-terminated string"
        case let .tooDeep(node, limit):
            "node \(node) is nested more than \(limit) levels deep"
        }
    }
}

@inline(__always)
func check(_ result: Int32, _ function: String, _ location: @autoclosure () -> String) throws(FDTError) {
    if result < 0 {
        throw .libfdt(LibFDTErrorCode(returnValue: result), function: function, location: location())
    }
}
