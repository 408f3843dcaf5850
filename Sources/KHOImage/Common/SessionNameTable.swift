import HandoverModel

/// The session names of one state or image, each checked to be new as it
/// comes: what the writer's validator and the reader use to refuse a
/// duplicate name.
///
/// A `Set<SessionName>` compares a probed name with each occupied bucket it
/// passes, and each comparison reads that name's bytes from the heap: with
/// hundreds of thousands of sessions (luo-v5 has no session cap) that is a
/// cache miss per probe. Here every slot keeps the name's full hash beside
/// its index, so a probe compares names only when their 64-bit hashes are
/// equal. The hash is the standard library's seeded `Hasher`, so crafted
/// names cannot make probing slow. The table is made for exactly the
/// number of names the caller inserts (the state's session count, the
/// session entries present in an image), in twice as many slots.
struct SessionNameTable {
    private var hashes: [Int]
    private var indices: [Int32]
    private var names: [SessionName] = []
    private let mask: Int

    /// A table for at most `capacity` names.
    init(capacity: Int) {
        var size = 2
        while size < 2 * max(capacity, 1) { size <<= 1 }
        hashes = [Int](repeating: 0, count: size)
        indices = [Int32](repeating: -1, count: size)
        names.reserveCapacity(capacity)
        mask = size - 1
    }

    /// Inserts `name`; false when it is already there.
    mutating func insert(_ name: SessionName) -> Bool {
        precondition(2 * names.count < mask + 1, "more names than the table was made for")
        let hash = Self.hash(name)
        var slot = hash & mask
        while indices[slot] >= 0 {
            if hashes[slot] == hash, names[Int(indices[slot])] == name { return false }
            slot = (slot + 1) & mask
        }
        hashes[slot] = hash
        indices[slot] = Int32(names.count)
        names.append(name)
        return true
    }

    private static func hash(_ name: SessionName) -> Int {
        var hasher = Hasher()
        name.bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
