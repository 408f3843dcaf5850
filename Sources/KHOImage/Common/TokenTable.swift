/// A set of `UInt64` tokens for one session at a time, with O(1) inserts
/// and no hashing of its own beyond one multiplication: an open-addressing
/// table of twice the session's capacity, reused from session to session
/// (a generation stamp empties it in O(1)).
///
/// The writer's validator and the reader both refuse duplicate tokens this
/// way; a session holds at most `LUOv1.maxFilesPerSession` files, which the
/// callers check before inserting, so the table never fills.
struct TokenTable {
    private var keys: [UInt64]
    private var stamps: [UInt32]
    private var generation: UInt32 = 1
    private let shift: UInt64

    /// A table for at most `capacity` tokens per session.
    init(capacity: Int) {
        var size = 2
        var bits: UInt64 = 1
        while size < 2 * max(capacity, 1) {
            size <<= 1
            bits += 1
        }
        keys = [UInt64](repeating: 0, count: size)
        stamps = [UInt32](repeating: 0, count: size)
        shift = 64 - bits
    }

    /// Empties the table for the next session.
    mutating func reset() {
        generation &+= 1
        if generation == 0 {
            for index in stamps.indices { stamps[index] = 0 }
            generation = 1
        }
    }

    /// Inserts `token`; false when it is already there. At most `capacity`
    /// tokens may be inserted between two resets.
    mutating func insert(_ token: UInt64) -> Bool {
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: (token &* 0x9E37_79B9_7F4A_7C15) >> shift)
        let generation = self.generation
        return keys.withUnsafeMutableBufferPointer { keys in
            stamps.withUnsafeMutableBufferPointer { stamps in
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
    }
}
