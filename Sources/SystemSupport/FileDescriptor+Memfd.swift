import CLinuxSupport

extension FileDescriptor {
    /// Creates an anonymous shared-memory file named `name`
    /// (`memfd_create(2)` with `MFD_CLOEXEC`, and `MFD_ALLOW_SEALING` when
    /// `allowSealing`; without it the file carries `F_SEAL_SEAL` and takes
    /// no seals).
    public static func memfd(name: String, allowSealing: Bool = false) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try SystemCall.retryingInterrupts { luo_memfd_create(name, allowSealing ? 1 : 0) })
    }

    /// The file's seals (`fcntl(F_GET_SEALS)`): `F_SEAL_*` bits.
    public func seals() throws(Errno) -> UInt32 {
        UInt32(try SystemCall.retryingInterrupts { luo_get_seals(rawValue) })
    }

    /// Adds `seals` (`F_SEAL_*` bits) to the file's seals (`fcntl(F_ADD_SEALS)`).
    public func addSeals(_ seals: UInt32) throws(Errno) {
        _ = try SystemCall.retryingInterrupts { luo_add_seals(rawValue, seals) }
    }
}
