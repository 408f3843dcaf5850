import FDT
import HexFormat

/// What is wrong with a kernel structure being decoded: a field, a string, a
/// count or a linked structure. The caller adds where the structure lives.
public enum ABIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The FDT itself is malformed or lacks a node or property the ABI requires.
    case fdt(FDTError)
    /// A node's `compatible` is not the one this generation requires.
    case wrongCompatible(node: String, expected: String, found: String)
    /// A node's `compatible` names a known generation this project does not
    /// implement (for example `kho-v1` or `luo-v2`).
    case unsupportedGeneration(node: String, found: String, supported: String)
    /// A fixed-size character array is not a valid C string.
    case badString(field: String, problem: CStringProblem)
    /// A count is larger than the structure can hold.
    case countOutOfRange(field: String, count: UInt64, maximum: UInt64)
    /// A field holds a value the ABI does not allow.
    case invalidValue(field: String, value: UInt64, reason: String)
    /// The preserved-memory radix tree is malformed at the node at `phys`.
    case radixTree(phys: UInt64, problem: String)
    /// The `kho-v1` chunk list (`struct khoser_mem_chunk`) is malformed at
    /// the chunk at `phys`.
    case memoryChunk(phys: UInt64, problem: String)

    /// One line naming the field and what is wrong.
    public var description: String {
        switch self {
        case let .fdt(error):
            "\(error)"
        case let .wrongCompatible(node, expected, found):
            "node \(node) has compatible \"\(found)\", expected \"\(expected)\""
        case let .unsupportedGeneration(node, found, supported):
            "node \(node) is \"\(found)\", an ABI generation this tool does not implement (it reads \"\(supported)\")"
        case let .badString(field, problem):
            "\(field) \(problem)"
        case let .countOutOfRange(field, count, maximum):
            "\(field) is \(count), more than the maximum \(maximum)"
        case let .invalidValue(field, value, reason):
            "\(field) = \(Hex.format(value)): \(reason)"
        case let .radixTree(phys, problem):
            "preserved-memory map node at \(Hex.format(phys)): \(problem)"
        case let .memoryChunk(phys, problem):
            "preserved-memory map chunk at \(Hex.format(phys)): \(problem)"
        }
    }
}

/// Why bytes are not a valid string for a fixed-size `char[N]` field: one
/// wording for the writer's checks on a model, the lifecycle's on a name
/// it is given and the reader's on a field it reads
/// (``FixedCString`` decides which applies).
public enum CStringProblem: Equatable, Sendable, CustomStringConvertible {
    /// No NUL byte inside the array (the kernel refuses a session name of
    /// `N` bytes without one).
    case unterminated
    /// More bytes than fit before the field's NUL.
    case tooLong(bytes: Int, maximum: Int)
    /// A NUL byte inside the string, at `offset` (it would end it there).
    case containsNUL(offset: Int)
    /// Non-zero bytes after the terminating NUL.
    case bytesAfterTerminator(offset: Int)
    /// The string is empty.
    case empty
    /// The bytes are not UTF-8.
    case notUTF8

    /// A phrase completing "field ...".
    public var description: String {
        switch self {
        case .unterminated: "has no terminating NUL"
        case let .tooLong(bytes, maximum): "is \(bytes) bytes, at most \(maximum) fit before the NUL"
        case let .containsNUL(offset): "holds a NUL byte at byte \(offset)"
        case let .bytesAfterTerminator(offset): "has a non-zero byte after its NUL, at byte \(offset)"
        case .empty: "is empty"
        case .notUTF8: "is not valid UTF-8"
        }
    }
}
