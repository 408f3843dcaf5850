/// A set of `UInt64` tokens for one session at a time, with O(1) inserts
/// and no hashing of its own beyond one multiplication: an open-addressing
/// table of twice the session's capacity, reused from session to session
/// (a generation stamp empties it in O(1)).
///
/// The writer's validator and the reader both refuse duplicate tokens this
/// way; a session holds at most `LUOv1.maxFilesPerSession` files, which the
/// callers check before inserting, so the table never fills. The slots are
/// raw memory owned by the table (no copy-on-write checks per insert).
final class TokenTable {
    private let keys: UnsafeMutablePointer<UInt64>
    private let stamps: UnsafeMutablePointer<UInt32>
    private let size: Int
    private var generation: UInt32 = 1
    private let shift: UInt64
    /// The most tokens one session may insert.
    let capacity: Int

    /// A table for at most `capacity` tokens per session.
    init(capacity: Int) {
        var size = 2
        var bits: UInt64 = 1
        while size < 2 * max(capacity, 1) {
            size <<= 1
            bits += 1
        }
        self.size = size
        self.capacity = capacity
        keys = .allocate(capacity: size)
        keys.initialize(repeating: 0, count: size)
        stamps = .allocate(capacity: size)
        stamps.initialize(repeating: 0, count: size)
        shift = 64 - bits
    }

    deinit {
        keys.deallocate()
        stamps.deallocate()
    }

    /// Empties the table for the next session.
    func reset() {
        generation &+= 1
        if generation == 0 {
            stamps.update(repeating: 0, count: size)
            generation = 1
        }
    }

    /// Inserts `token`; false when it is already there. At most `capacity`
    /// tokens may be inserted between two resets.
    @inline(__always)
    func insert(_ token: UInt64) -> Bool {
        let mask = size - 1
        var slot = Int(truncatingIfNeeded: (token &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            if stamps[slot] != generation {
                stamps[slot] = generation
                keys[slot] = token
                return true
            }
            if keys[slot] == token { return false }
            slot = (slot + 1) & mask
        }
    }
}
