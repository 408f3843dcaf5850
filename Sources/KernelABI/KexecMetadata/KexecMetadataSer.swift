import ABIGeneration

/// `struct kho_kexec_metadata` (include/linux/kho/abi/kexec_metadata.h),
/// version 1, packed, 73 bytes, in one `kho_alloc_preserve` block
/// registered as KHO subtree `kexec-metadata` with `blob-size` 73:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `version`: 1 |
/// | 4 | 65 | `previous_release`: the outgoing kernel's `uname -r`, NUL-terminated, zero-padded |
/// | 69 | 4 | `kexec_count`: the incoming kernel's count + 1 (1 after a cold boot) |
public struct KexecMetadataSer: Equatable, Sendable {
    /// The format (node name, version, size, field length).
    public static let format = KexecMetadataFormat.v1
    /// Encoded size: 73.
    public static let size = format.size
    /// Offset of `version`.
    public static let versionOffset = 0
    /// Offset of `previous_release`.
    public static let releaseOffset = 4
    /// Length of `previous_release` (`__NEW_UTS_LEN + 1`).
    public static let releaseLength = format.releaseFieldLength
    /// Offset of `kexec_count`.
    public static let countOffset = releaseOffset + releaseLength

    /// `version`.
    public var version: UInt32
    /// `previous_release`.
    public var previousRelease: String
    /// `kexec_count`.
    public var kexecCount: UInt32

    /// Creates the struct.
    public init(version: UInt32 = format.version, previousRelease: String, kexecCount: UInt32) {
        self.version = version
        self.previousRelease = previousRelease
        self.kexecCount = kexecCount
    }

    /// Writes the 73 bytes at `offset` (`strscpy` into a zeroed block).
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeLittleEndian(version, at: offset + Self.versionOffset)
        FixedCString.encode(previousRelease, into: UnsafeMutableRawBufferPointer(
            start: buffer.baseAddress! + offset + Self.releaseOffset, count: Self.releaseLength))
        buffer.storeLittleEndian(kexecCount, at: offset + Self.countOffset)
    }

    /// Reads the struct with `kho_in_kexec_metadata`'s checks: `blobSize`
    /// at least 4 for the version, version 1, then `blobSize` at least 73.
    /// The release must be a NUL-terminated string (the kernel copies it
    /// with `strscpy`, which would cut it; an image holding it could not be
    /// written again byte for byte). An empty release is accepted.
    public static func decode(_ buffer: UnsafeRawBufferPointer, blobSize: UInt64) throws(ABIError) -> KexecMetadataSer {
        guard blobSize >= 4, buffer.count >= 4 else {
            throw .invalidValue(field: "kexec-metadata blob-size", value: blobSize,
                                reason: "too small to hold the version (4 bytes)")
        }
        let version = buffer.loadLittleEndian(UInt32.self, at: versionOffset)
        guard version == format.version else {
            throw .invalidValue(field: "kexec-metadata version", value: UInt64(version),
                                reason: "only version \(format.version) is supported")
        }
        guard blobSize >= UInt64(size), buffer.count >= size else {
            throw .invalidValue(field: "kexec-metadata blob-size", value: blobSize,
                                reason: "version \(version) needs at least \(size) bytes")
        }
        let field = UnsafeRawBufferPointer(rebasing: buffer[releaseOffset..<(releaseOffset + releaseLength)])
        let release: String
        do {
            release = try FixedCString.decode(field, name: "kexec-metadata previous_release")
        } catch .badString(_, .empty) {
            release = ""
        }
        return KexecMetadataSer(version: version, previousRelease: release,
                                kexecCount: buffer.loadLittleEndian(UInt32.self, at: countOffset))
    }
}
