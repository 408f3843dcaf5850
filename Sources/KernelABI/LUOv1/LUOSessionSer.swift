/// `struct luo_session_header_ser` (8 bytes): `u64 count` at offset 0, the
/// number of `luo_session_ser` entries that follow it in the session block.
public enum LUOSessionHeaderSer {
    /// Encoded size.
    public static let size = 8
    /// Offset of `count`.
    public static let countOffset = 0
}

/// `struct luo_session_ser` (80 bytes, packed):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 64 | `name`: 1 to 63 bytes of any value but NUL, NUL-terminated |
/// | 64 | 8 | `file_set_ser.files`: physical address of the file array, 0 if none |
/// | 72 | 8 | `file_set_ser.count`: number of `luo_file_ser` in it |
public struct LUOSessionSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = 80
    /// Offset of `file_set_ser.files`.
    public static let filesOffset = 64
    /// Offset of `file_set_ser.count`.
    public static let countOffset = 72

    /// The session's name: bytes, in no particular encoding (the kernel
    /// compares them with `strncmp`).
    public var name: [UInt8]
    /// `file_set_ser.files`.
    public var files: UInt64
    /// `file_set_ser.count`.
    public var count: UInt64

    /// Creates an entry.
    public init(name: [UInt8], files: UInt64, count: UInt64) {
        self.name = name
        self.files = files
        self.count = count
    }

    static let layout = NamedRecordLayout(nameLength: LUOv1.sessionNameLength)

    /// Writes the 80 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        Self.layout.encode(name: name, first: files, second: count, into: buffer, at: offset)
    }

    /// Reads the 80 bytes at `offset`; `label` names the entry in errors.
    /// An empty name is refused unless `allowEmptyName` (the incoming
    /// kernel copies one without a check).
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, label: @autoclosure () -> String,
                              allowEmptyName: Bool = false) throws(ABIError) -> LUOSessionSer {
        let record = try layout.decodeBytes(buffer, at: offset, nameLabel: "\(label()) name", allowEmpty: allowEmptyName)
        return LUOSessionSer(name: record.name, files: record.first, count: record.second)
    }
}

/// `struct luo_file_ser` (64 bytes, packed):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 48 | `compatible`: the file handler, NUL-terminated |
/// | 48 | 8 | `data`: the handler's private u64 |
/// | 56 | 8 | `token`: the user's token |
public struct LUOFileSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = 64
    /// Offset of `data`.
    public static let dataOffset = 48
    /// Offset of `token`.
    public static let tokenOffset = 56

    /// The handler's compatible string.
    public var compatible: String
    /// The handler's private u64.
    public var data: UInt64
    /// The user's token.
    public var token: UInt64

    /// Creates an entry.
    public init(compatible: String, data: UInt64, token: UInt64) {
        self.compatible = compatible
        self.data = data
        self.token = token
    }

    static let layout = NamedRecordLayout(nameLength: LUOv1.handlerCompatibleLength)

    /// Writes the 64 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        LUOFileSer.encode(compatible: compatible, data: data, token: token, into: buffer, at: offset)
    }

    /// Writes the 64 bytes of an entry at `offset` from its fields, without
    /// building the struct first (the writer's loop over every file).
    public static func encode(compatible: String, data: UInt64, token: UInt64,
                              into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        layout.encode(name: compatible, first: data, second: token, into: buffer, at: offset)
    }

    /// Reads the 64 bytes at `offset`; `label` names the entry in errors.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, label: @autoclosure () -> String) throws(ABIError) -> LUOFileSer {
        let record = try layout.decode(buffer, at: offset, nameLabel: "\(label()) compatible")
        return LUOFileSer(compatible: record.name, data: record.first, token: record.second)
    }
}

/// `struct luo_flb_header_ser` (16 bytes): `u64 pgcnt` at 0 (pages in the
/// FLB block, 1), `u64 count` at 8 (entries that follow).
public enum LUOFLBHeaderSer {
    /// Encoded size.
    public static let size = 16
    /// Offset of `pgcnt`.
    public static let pageCountOffset = 0
    /// Offset of `count`.
    public static let countOffset = 8
}

/// `struct luo_flb_ser` (64 bytes, packed):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 48 | `name`: the FLB's compatible, NUL-terminated |
/// | 48 | 8 | `data`: the FLB's private u64 |
/// | 56 | 8 | `count`: how many preserved files depend on it |
public struct LUOFLBSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = 64
    /// Offset of `data`.
    public static let dataOffset = 48
    /// Offset of `count`.
    public static let countOffset = 56

    /// The FLB's compatible string.
    public var name: String
    /// The FLB's private u64.
    public var data: UInt64
    /// The number of files depending on it.
    public var count: UInt64

    /// Creates an entry.
    public init(name: String, data: UInt64, count: UInt64) {
        self.name = name
        self.data = data
        self.count = count
    }

    static let layout = NamedRecordLayout(nameLength: LUOv1.flbCompatibleLength)

    /// Writes the 64 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        Self.layout.encode(name: name, first: data, second: count, into: buffer, at: offset)
    }

    /// Reads the 64 bytes at `offset`; `label` names the entry in errors.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, label: @autoclosure () -> String) throws(ABIError) -> LUOFLBSer {
        let record = try layout.decode(buffer, at: offset, nameLabel: "\(label()) name")
        return LUOFLBSer(name: record.name, data: record.first, count: record.second)
    }
}
