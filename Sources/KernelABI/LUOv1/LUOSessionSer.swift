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
/// | 0 | 64 | `name`, NUL-terminated |
/// | 64 | 8 | `file_set_ser.files`: physical address of the file array, 0 if none |
/// | 72 | 8 | `file_set_ser.count`: number of `luo_file_ser` in it |
public struct LUOSessionSer: Equatable, Sendable {
    /// Encoded size.
    public static let size = 80
    /// Offset of `file_set_ser.files`.
    public static let filesOffset = 64
    /// Offset of `file_set_ser.count`.
    public static let countOffset = 72

    /// The session's name.
    public var name: String
    /// `file_set_ser.files`.
    public var files: UInt64
    /// `file_set_ser.count`.
    public var count: UInt64

    /// Creates an entry.
    public init(name: String, files: UInt64, count: UInt64) {
        self.name = name
        self.files = files
        self.count = count
    }

    /// Writes the 80 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        FixedCString.encode(name, into: UnsafeMutableRawBufferPointer(
            rebasing: buffer[offset..<(offset + LUOv1.sessionNameLength)]))
        buffer.storeLittleEndian(files, at: offset + LUOSessionSer.filesOffset)
        buffer.storeLittleEndian(count, at: offset + LUOSessionSer.countOffset)
    }

    /// Reads the 80 bytes at `offset`; `label` names the entry in errors.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, label: @autoclosure () -> String) throws(ABIError) -> LUOSessionSer {
        let name = try FixedCString.decode(
            UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + LUOv1.sessionNameLength)]),
            name: "\(label()) name")
        return LUOSessionSer(name: name,
                             files: buffer.loadLittleEndian(UInt64.self, at: offset + filesOffset),
                             count: buffer.loadLittleEndian(UInt64.self, at: offset + countOffset))
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

    /// Writes the 64 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        LUOFileSer.encode(compatible: compatible, data: data, token: token, into: buffer, at: offset)
    }

    /// Writes the 64 bytes of an entry at `offset` from its fields, without
    /// building the struct first (the writer's loop over every file).
    public static func encode(compatible: String, data: UInt64, token: UInt64,
                              into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + size <= buffer.count, "luo_file_ser outside the buffer")
        FixedCString.encode(compatible, into: UnsafeMutableRawBufferPointer(
            start: buffer.baseAddress! + offset, count: LUOv1.handlerCompatibleLength))
        buffer.storeLittleEndian(data, at: offset + dataOffset)
        buffer.storeLittleEndian(token, at: offset + tokenOffset)
    }

    /// Reads the 64 bytes at `offset`; `label` names the entry in errors.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, label: @autoclosure () -> String) throws(ABIError) -> LUOFileSer {
        let compatible = try FixedCString.decode(
            UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + LUOv1.handlerCompatibleLength)]),
            name: "\(label()) compatible")
        return LUOFileSer(compatible: compatible,
                          data: buffer.loadLittleEndian(UInt64.self, at: offset + dataOffset),
                          token: buffer.loadLittleEndian(UInt64.self, at: offset + tokenOffset))
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

    /// Writes the 64 bytes at `offset`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        FixedCString.encode(name, into: UnsafeMutableRawBufferPointer(
            rebasing: buffer[offset..<(offset + LUOv1.flbCompatibleLength)]))
        buffer.storeLittleEndian(data, at: offset + LUOFLBSer.dataOffset)
        buffer.storeLittleEndian(count, at: offset + LUOFLBSer.countOffset)
    }

    /// Reads the 64 bytes at `offset`; `label` names the entry in errors.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, label: @autoclosure () -> String) throws(ABIError) -> LUOFLBSer {
        let name = try FixedCString.decode(
            UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + LUOv1.flbCompatibleLength)]),
            name: "\(label()) name")
        return LUOFLBSer(name: name,
                         data: buffer.loadLittleEndian(UInt64.self, at: offset + dataOffset),
                         count: buffer.loadLittleEndian(UInt64.self, at: offset + countOffset))
    }
}
