import LiveUpdate
#if canImport(Glibc)
import Glibc
#endif

// MARK: The live objects

/// A VM: what a VMM would hold as a KVM VM fd.
final class VM: LiveFile {
    let name: String
    init(name: String) { self.name = name }
}

/// Guest memory that belongs to a VM (think guest_memfd): it depends on it.
final class GuestMemory: LiveFile {
    let vm: VM
    var bytes: [UInt8]
    init(vm: VM, bytes: [UInt8]) {
        self.vm = vm
        self.bytes = bytes
    }
}

// MARK: The FLB both handlers depend on

/// Global state shared by every VM and guest-memory file (think an IOMMU
/// domain): preserved with the first dependent file, finished with the last.
final class DomainFLB: FLB {
    let compatible = "example-domain-v1"
    /// The domain this kernel uses; handed over as the FLB's `data`.
    var domainID: UInt64 = 0x1d0
    private(set) var events: [String] = []

    func preserve(_ args: inout FLBOperationArguments) throws(LiveUpdateError) {
        args.data = domainID
        args.object = "domain \(domainID)"
        events.append("preserve")
    }

    func unpreserve(_ args: FLBOperationArguments) { events.append("unpreserve") }

    func retrieve(_ args: inout FLBOperationArguments) throws(LiveUpdateError) {
        args.object = "domain \(args.data)"
        events.append("retrieve \(args.data)")
    }

    func finish(_ args: FLBOperationArguments) { events.append("finish \(args.object as? String ?? "-")") }
}

// MARK: The handlers

/// Preserves a ``VM`` as its name (a payload block).
final class VMHandler: FileHandler {
    let compatible = "example-vm-v1"

    func canPreserve(_ args: FileOperationArguments) -> Bool { args.file is VM }

    func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        let vm = args.file as! VM
        args.serialized = .payload(Wire.encode(header: 0, Array(vm.name.utf8)))
    }

    func unpreserve(_ args: FileOperationArguments) {}

    func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        guard case let .payload(bytes) = args.serialized, let (_, name) = Wire.decode(bytes) else {
            throw args.failure("retrieve", errno: EINVAL, reason: "no VM payload")
        }
        args.file = VM(name: String(decoding: name, as: UTF8.self))
    }

    func finish(_ args: FileOperationArguments) {}
}

/// Preserves ``GuestMemory`` with the token of its VM. The dependency is
/// looked up in freeze (never in preserve, so userspace may preserve the
/// two files in any order), fetched in retrieve, and enforced in
/// can-finish: the VM must have been retrieved by userspace too.
final class GuestMemoryHandler: FileHandler {
    let compatible = "example-guest-memory-v1"

    func canPreserve(_ args: FileOperationArguments) -> Bool { args.file is GuestMemory }

    func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        // The heavy work at preserve time; the VM's token is not known yet.
        let memory = args.file as! GuestMemory
        args.serialized = .payload(Wire.encode(header: 0, memory.bytes))
    }

    func unpreserve(_ args: FileOperationArguments) {}

    func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        let memory = args.file as! GuestMemory
        let vmToken = try args.tokenOutgoing(of: memory.vm)
        args.serialized = .payload(Wire.encode(header: vmToken, memory.bytes))
    }

    func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        guard case let .payload(bytes) = args.serialized, let (vmToken, contents) = Wire.decode(bytes) else {
            throw args.failure("retrieve", errno: EINVAL, reason: "no guest memory payload")
        }
        // Kernel-internal retrieval of the dependency: not "by the user".
        guard let vm = try args.fileIncoming(token: vmToken) as? VM else {
            throw args.failure("retrieve", errno: EINVAL, reason: "token \(vmToken) is not a VM")
        }
        args.file = GuestMemory(vm: vm, bytes: contents)
        args.privateState = vmToken
    }

    func canFinish(_ args: FileOperationArguments) -> Bool {
        guard let vmToken = args.privateState as? UInt64, let session = args.session.incoming else {
            return !args.retrieved   // never retrieved: nothing depends on anything
        }
        return (try? session.wasRetrievedByUser(token: vmToken)) == true
    }

    func finish(_ args: FileOperationArguments) {}
}

/// The payload layout both handlers use: a u64 header, a u64 length, the
/// bytes (a payload reads back zero-padded to its block).
enum Wire {
    static func encode(header: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        littleEndian(header) + littleEndian(UInt64(bytes.count)) + bytes
    }

    static func decode(_ payload: [UInt8]) -> (UInt64, [UInt8])? {
        guard payload.count >= 16 else { return nil }
        let header = value(payload, at: 0)
        let count = Int(value(payload, at: 8))
        guard count <= payload.count - 16 else { return nil }
        return (header, Array(payload[16..<(16 + count)]))
    }

    private static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    private static func value(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
