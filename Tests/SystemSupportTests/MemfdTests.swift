import Glibc
import SystemSupport
import Testing

/// memfd_create and the seal commands through the C shim.
@Suite struct MemfdTests {
    // F_SEAL_* from <linux/fcntl.h> (uapi values, fixed).
    static let sealSeal: UInt32 = 0x1, sealShrink: UInt32 = 0x2, sealGrow: UInt32 = 0x4, sealWrite: UInt32 = 0x8

    @Test func aSealableMemfdTakesSealsAndEnforcesThem() throws {
        let memfd = try FileDescriptor.memfd(name: "sealable", allowSealing: true)
        defer { memfd.closeIgnoringErrors() }
        #expect(fcntl(memfd.rawValue, F_GETFD) & FD_CLOEXEC == FD_CLOEXEC)
        #expect(try memfd.seals() == 0)
        try ([1, 2, 3] as [UInt8]).withUnsafeBytes { try memfd.writeFully($0) }
        try memfd.addSeals(Self.sealWrite | Self.sealShrink)
        #expect(try memfd.seals() == Self.sealWrite | Self.sealShrink)
        #expect(throws: Errno.notPermitted) { try ([4] as [UInt8]).withUnsafeBytes { try memfd.writeFully($0) } }
        #expect(throws: Errno.notPermitted) { try memfd.truncate(toSize: 1) }
        #expect(try readlink(memfd).hasPrefix("/memfd:sealable"))
    }

    @Test func aMemfdWithoutSealingIsSealedAgainstSeals() throws {
        let memfd = try FileDescriptor.memfd(name: "plain")
        defer { memfd.closeIgnoringErrors() }
        #expect(try memfd.seals() == Self.sealSeal)
        #expect(throws: Errno.notPermitted) { try memfd.addSeals(Self.sealGrow) }
    }

    @Test func sealCommandsOnAClosedDescriptorAreEBADF() {
        #expect(throws: Errno.badFileDescriptor) { _ = try FileDescriptor(rawValue: -1).seals() }
        #expect(throws: Errno.badFileDescriptor) { try FileDescriptor(rawValue: -1).addSeals(Self.sealWrite) }
    }

    func readlink(_ descriptor: FileDescriptor) throws -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { Glibc.readlink("/proc/self/fd/\(descriptor.rawValue)", $0.baseAddress!, $0.count) }
        }
        try #require(count > 0)
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
