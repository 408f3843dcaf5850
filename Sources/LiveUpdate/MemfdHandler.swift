import HandoverModel
import KHOImage
import KernelABI
import HexFormat
#if canImport(Glibc)
import Glibc
#endif

/// The memfd file handler, in the format of a generation (`memfd-v2` from
/// Linux 7.1 on, the pre-release `memfd-v1`): preserves a ``MemfdFile``'s
/// size, file position, contents and (`memfd-v2`) seals, which the image
/// carries exactly as the kernel's memfd handler lays them out
/// (`memfd_luo_ser`, the vmalloc folio array and the folios), and rebuilds a
/// new memfd from them.
///
/// Preserve records the file's size, position and seals and refers to its
/// contents through a descriptor of its own, without reading them: the
/// image writer sends them from the memfd to the image inside the kernel at
/// reboot, so what is handed over is the file as it is then, as with the
/// kernel, whose preserved folios stay the live ones. Freeze records the
/// size again. Retrieve writes the contents into the new memfd a bounded
/// chunk at a time.
///
/// Seals (`memfd-v2`): preserve records `F_GET_SEALS` (`F_SEAL_SEAL` for a
/// memfd created without `MFD_ALLOW_SEALING`, as the kernel reports it) and
/// refuses seals outside the handler's set with `EOPNOTSUPP`, as the kernel
/// does; retrieve refuses them the same way, creates the memfd with
/// `MFD_ALLOW_SEALING` and adds the seals after writing the contents.
/// Not carried, as in the kernel: the memfd's name and its flags
/// (`MFD_CLOEXEC`, hugetlb). A retrieved memfd is named `memfd:luo` and
/// close-on-exec.
public final class MemfdHandler: FileHandler {
    /// The handler's format (compatible, seals).
    public let format: MemfdFormat
    /// `memfd-v2` or `memfd-v1`.
    public var compatible: String { format.compatible }

    /// Creates the handler for `format` (the newest generation's by default).
    public init(format: MemfdFormat = KernelGeneration.newest.memfd) {
        self.format = format
    }

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
            throw args.failure("retrieve", errno: EINVAL, reason: "the image holds no \(compatible) state for this file")
        }
        try checkSeals(state.seals, args, "retrieve")
        guard state.source.count == Int(state.size) else {
            throw args.failure("retrieve", errno: EINVAL,
                               reason: "size is \(state.size) but \(state.source.count) bytes were preserved")
        }
        let file: MemfdFile
        do {
            file = try MemfdFile(name: "luo", allowSealing: format.carriesSeals)
            try file.truncate(to: state.size)
            try file.write(contentsOf: state.source)
            try file.seek(to: state.position)
            if format.carriesSeals, state.seals != 0 { try file.addSeals(state.seals) }
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
        do throws(LiveUpdateError) {
            let position = try file.position()
            let seals = format.carriesSeals ? try file.seals() : 0
            try checkSeals(seals, args, operation)
            do throws(KHOImageError) {
                return try MemfdContents(referencing: file.fd, name: "memfd \(file.fd)", position: position, seals: seals)
            } catch {
                throw LiveUpdateError.system(operation: "\(operation): \(error)", errno: error.errno)
            }
        } catch {
            throw args.failure(operation, errno: error.errno, reason: "\(error)")
        }
    }

    /// `memfd_luo_preserve` / `memfd_luo_retrieve`: seals outside the
    /// handler's set are `-EOPNOTSUPP`.
    private func checkSeals(_ seals: UInt32, _ args: FileOperationArguments, _ operation: String) throws(LiveUpdateError) {
        let unsupported = seals & ~format.supportedSeals
        guard unsupported == 0 else {
            throw args.failure(operation, errno: EOPNOTSUPP, reason: "seals \(Hex.format(seals)) include \(Hex.format(unsupported)), which \(compatible) does not carry")
        }
    }
}
