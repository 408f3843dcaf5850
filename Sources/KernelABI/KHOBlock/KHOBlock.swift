import HexFormat
/// KHO serialization blocks (v7.2+: include/linux/kho/abi/block.h,
/// kernel/liveupdate/kho_block.c): a set of fixed-size entries kept in a
/// singly linked chain of one-page blocks, each
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | `next`: physical address of the next block, 0 in the last |
/// | 8 | 8 | `count`: entries used in this block |
/// | 16 | count x entry size | the entries, dense; the rest of the page zero |
///
/// Blocks are `kho_alloc_preserve(PAGE_SIZE)` (order 0, zeroed) and linked
/// as they are allocated. An outgoing set grows by one block whenever an
/// entry no longer fits (`kho_block_set_grow`), before the entry is used.
public enum KHOBlock {
    /// `KHO_BLOCK_SIZE`: one page.
    public static let size = PageGeometry.pageSize
    /// `sizeof(struct kho_block_header_ser)`.
    public static let headerSize = 16
    /// Offset of `next`.
    public static let nextOffset = 0
    /// Offset of `count`.
    public static let countOffset = 8
    /// `KHO_MAX_BLOCKS`: the longest chain either kernel accepts.
    public static let maxBlocks = 10_000

    /// `count_per_block`: whole entries of `entrySize` bytes after the header.
    public static func entriesPerBlock(entrySize: Int) -> Int {
        (size - headerSize) / entrySize
    }

    /// Blocks a set of `count` entries occupies (0 for none).
    public static func blocks(forEntries count: Int, entrySize: Int) -> Int {
        let perBlock = entriesPerBlock(entrySize: entrySize)
        return (count + perBlock - 1) / perBlock
    }

    /// One block's header as read from memory.
    public struct Header: Equatable, Sendable {
        /// `next`.
        public var next: UInt64
        /// `count`.
        public var count: UInt64

        /// Creates a header.
        public init(next: UInt64, count: UInt64) {
            self.next = next
            self.count = count
        }

        /// Reads the 16 bytes at `offset`.
        public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int = 0) -> Header {
            Header(next: buffer.loadLittleEndian(UInt64.self, at: offset + nextOffset),
                   count: buffer.loadLittleEndian(UInt64.self, at: offset + countOffset))
        }

        /// Writes the 16 bytes at `offset`.
        public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) {
            buffer.storeLittleEndian(next, at: offset + nextOffset)
            buffer.storeLittleEndian(count, at: offset + countOffset)
        }
    }

    /// Walks a chain from `head` the way `kho_block_set_restore` accepts it:
    /// no cycle, at most `maxBlocks` blocks, and `1 <= count <= perBlock`
    /// in every block. `header` reads one block's header (and may throw its
    /// own error, for a pointer outside the caller's memory); the blocks are
    /// returned in chain order. A `head` of 0 is the empty set.
    ///
    /// Order of the checks, as in the kernel: the whole chain is followed
    /// first (a cycle is refused before any count is looked at), then each
    /// block's count in chain order, then the length (`kho_block_add`'s
    /// -ENOSPC at block 10,001 comes after that block's count check).
    public static func walk<E: Error>(head: UInt64, entrySize: Int,
                                      header: (UInt64) throws(E) -> Header) throws(E) -> Result<[(phys: UInt64, header: Header)], ChainError> {
        guard head != 0 else { return .success([]) }
        let perBlock = UInt64(entriesPerBlock(entrySize: entrySize))
        var blocks: [(phys: UInt64, header: Header)] = []
        // Chains are mostly a block or two: the blocks seen so far are
        // searched in place, and a set is only built for a long chain.
        var seen: Set<UInt64>?
        var phys = head
        while phys != 0 {
            if seen == nil, blocks.count >= 16 { seen = Set(blocks.lazy.map(\.phys)) }
            if seen != nil {
                guard seen!.insert(phys).inserted else { return .failure(.cyclic(head: head, repeated: phys)) }
            } else if blocks.contains(where: { $0.phys == phys }) {
                return .failure(.cyclic(head: head, repeated: phys))
            }
            let read = try header(phys)
            blocks.append((phys, read))
            if blocks.count > maxBlocks { break }
            phys = read.next
        }
        for (index, block) in blocks.enumerated() {
            guard block.header.count != 0 else { return .failure(.emptyBlock(block: block.phys, index: index)) }
            guard block.header.count <= perBlock else {
                return .failure(.countPastBlock(block: block.phys, index: index, count: block.header.count, maximum: perBlock))
            }
        }
        if blocks.count > maxBlocks { return .failure(.tooLong(head: head, maximum: maxBlocks)) }
        return .success(blocks)
    }

    /// Why `kho_block_set_restore` refuses a chain (every case is -EINVAL or
    /// -ENOSPC there, and the incoming LUO state is then dropped whole).
    public enum ChainError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Following `next` from `head` comes back to the block at `repeated`.
        case cyclic(head: UInt64, repeated: UInt64)
        /// The chain from `head` has more than `maximum` blocks.
        case tooLong(head: UInt64, maximum: Int)
        /// The block at `block` (the `index`th) holds no entries.
        case emptyBlock(block: UInt64, index: Int)
        /// The block at `block` claims more entries than a page holds.
        case countPastBlock(block: UInt64, index: Int, count: UInt64, maximum: UInt64)

        /// One line naming the block.
        public var description: String {
            switch self {
            case let .cyclic(head, repeated):
                return "the block chain from \(Hex.format(head)) is cyclic: it comes back to the block at \(Hex.format(repeated))"
            case let .tooLong(head, maximum):
                return "the block chain from \(Hex.format(head)) has more than \(maximum) blocks (KHO_MAX_BLOCKS)"
            case let .emptyBlock(block, index):
                return "block \(index) of the chain, at \(Hex.format(block)), has count 0"
            case let .countPastBlock(block, index, count, maximum):
                return "block \(index) of the chain, at \(Hex.format(block)), has count \(count), more than the \(maximum) entries a block holds"
            }
        }
    }
}
