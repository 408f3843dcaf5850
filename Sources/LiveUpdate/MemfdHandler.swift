import HandoverModel
import KernelABI
#if canImport(Glibc)
import Glibc
#endif

/// The `memfd-v1` file handler: preserves a ``MemfdFile``'s size, file
/// position and contents, which the image carries exactly as the kernel's
/// memfd handler lays them out (`memfd_luo_ser`, the vmalloc folio array
/// and the folios), and rebuilds a new memfd from them.
///
/// Preserve reads the whole file (the heavy work happens at preserve time);
/// freeze reads it again, so what is handed over is the file as it is at
/// reboot, as with the kernel, whose preserved folios stay the live ones.
///
/// Not carried, as in the kernel's `memfd-v1`: seals (`F_ADD_SEALS`), the
/// memfd's name and its flags (`MFD_CLOEXEC`, hugetlb). A retrieved memfd
/// is unsealed, named `memfd:luo` and close-on-exec.
public final class MemfdHandler: FileHandler {
    /// `memfd-v1`.
    public let compatible = MemfdV1.compatible

    /// Creates the handler.
    public init() {}

    /// Accepts ``MemfdFile`` objects.
    public func canPreserve(_ args: FileOperationArguments) -> Bool {
        args.file is MemfdFile
    }

    /// Reads size, position and contents into `.memfd`.
    public func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        args.serialized = .memfd(try snapshot(args, "preserve"))
    }

    /// Nothing to release: the snapshot is dropped with the file.
    public func unpreserve(_ args: FileOperationArguments) {}

    /// Reads the file again: what the next kernel gets is its state at reboot.
    public func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        args.serialized = .memfd(try snapshot(args, "freeze"))
    }

    /// Creates a memfd with the preserved contents, size and position.
    public func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        guard case let .memfd(state) = args.serialized else {
            throw args.failure("retrieve", errno: EINVAL, reason: "the image holds no memfd-v1 state for this file")
        }
        guard state.contents.count == Int(state.size) else {
            throw args.failure("retrieve", errno: EINVAL,
                               reason: "size is \(state.size) but \(state.contents.count) bytes were preserved")
        }
        let file: MemfdFile
        do {
            file = try MemfdFile(name: "luo")
            try file.truncate(to: state.size)
            try file.write(state.contents, at: 0)
            try file.seek(to: state.position)
        } catch {
            throw args.failure("retrieve", errno: error.errno, reason: "\(error)")
        }
        args.file = file
    }

    /// Nothing to release in this process: the image is a file.
    public func finish(_ args: FileOperationArguments) {}

    private func snapshot(_ args: FileOperationArguments, _ operation: String) throws(LiveUpdateError) -> MemfdContents {
        guard let file = args.file as? MemfdFile else {
            throw args.failure(operation, errno: EINVAL, reason: "not a memfd")
        }
        do {
            let position = try file.position()
            let contents = try file.contents()
            return MemfdContents(size: UInt64(contents.count), position: position, contents: contents)
        } catch {
            throw args.failure(operation, errno: error.errno, reason: "\(error)")
        }
    }
}
