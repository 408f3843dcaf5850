import Foundation

/// Test support shared by the test targets that read the kernel lab's
/// captures.
///
/// A kernel-lab scenario (`tools/kernel-lab/scenario.txt`, format in its
/// header comment) and the state a kernel that ran it hands over: the same
/// sessions and memfds, with the contents `init.c` wrote (`fill`: a 64-bit
/// mix of the session's FNV-1a hash, the token and the offset).
public struct LabScenario {
    public struct Memfd {
        public var token: UInt64
        public var size: UInt64
        public var sealing = false
        public var seals: UInt32?
        public var writes: [(offset: UInt64, length: UInt64)] = []
        public var position: UInt64 = 0
    }
    public struct Session {
        public var name: String
        public var memfds: [Memfd] = []
    }

    public var sessions: [Session] = []

    /// Parses the scenario file at `path`.
    public init(path: String) throws {
        for raw in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("session ") {
                sessions.append(Session(name: String(line.dropFirst("session ".count))))
                continue
            }
            let words = line.split(separator: " ").map(String.init)
            guard words.first == "memfd", words.count >= 3 else { throw ScenarioError.badLine(line) }
            var memfd = Memfd(token: try Self.number(words[1]), size: try Self.number(words[2]))
            for option in words.dropFirst(3) {
                if option == "sealing" { memfd.sealing = true } else if option.hasPrefix("seals=") {
                    memfd.seals = UInt32(try Self.number(String(option.dropFirst(6))))
                } else if option.hasPrefix("write=") {
                    let parts = option.dropFirst(6).split(separator: ":").map(String.init)
                    memfd.writes.append((try Self.number(parts[0]), try Self.number(parts[1])))
                } else if option.hasPrefix("pos=") {
                    memfd.position = try Self.number(String(option.dropFirst(4)))
                }
                // falloc= only allocates: the pages read back as zeros.
            }
            if memfd.writes.isEmpty { memfd.writes = [(0, memfd.size)] }
            sessions[sessions.count - 1].memfds.append(memfd)
        }
    }

    /// A line the format does not allow.
    public enum ScenarioError: Error { case badLine(String) }

    static func number(_ text: String) throws -> UInt64 {
        let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let value else { throw ScenarioError.badLine(text) }
        return value
    }

    /// What `F_GET_SEALS` gives: the seals added, 0 for a sealable memfd
    /// without any, `F_SEAL_SEAL` for a memfd created without `MFD_ALLOW_SEALING`.
    public static func seals(_ memfd: Memfd) -> UInt32 { memfd.sealing ? (memfd.seals ?? 0) : 1 }

    /// The memfd's contents: the written ranges, zeros elsewhere.
    public static func contents(_ memfd: Memfd, session: String) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(memfd.size))
        let seed = fnv1a(session)
        for write in memfd.writes {
            for offset in write.offset..<(write.offset + write.length) {
                let word = mix(seed ^ (memfd.token &* 0x9e37_79b9_7f4a_7c15) ^ ((offset >> 3) &* 0xd6e8_feb8_6659_fd93))
                bytes[Int(offset)] = UInt8(truncatingIfNeeded: word >> (8 * (offset & 7)))
            }
        }
        return bytes
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
