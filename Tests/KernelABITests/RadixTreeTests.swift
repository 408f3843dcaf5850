import FDT
import KernelABI
import Testing

/// A sparse physical memory for radix-tree tests: pages by address,
/// allocated upwards from `next`.
struct TestMemory: RadixTreeMemory, RadixTreePageSource {
    var pages: [UInt64: AlignedBytes] = [:]
    var next: UInt64
    var allocated: [UInt64] = []

    init(firstPage: UInt64) { next = firstPage }

    mutating func allocateZeroedPage() -> UInt64 {
        let phys = next
        next += 4096
        pages[phys] = AlignedBytes(zeroedCount: 4096)
        allocated.append(phys)
        return phys
    }

    func loadU64(at phys: UInt64) -> UInt64 {
        pages[phys & ~4095]!.rawBuffer.loadLittleEndian(UInt64.self, at: Int(phys & 4095))
    }

    mutating func storeU64(_ value: UInt64, at phys: UInt64) {
        let page = pages[phys & ~4095]!
        UnsafeMutableRawBufferPointer(start: page.base, count: 4096).storeLittleEndian(value, at: Int(phys & 4095))
    }

    mutating func setBit(_ bit: Int, inPageAt phys: UInt64) {
        let byte = pages[phys]!.base + bit / 8
        byte.storeBytes(of: byte.load(as: UInt8.self) | UInt8(1) << UInt8(bit % 8), as: UInt8.self)
    }

    func bit(_ bit: Int, inPageAt phys: UInt64) -> Bool {
        pages[phys]!.rawBuffer[bit / 8] & (UInt8(1) << UInt8(bit % 8)) != 0
    }

    func setBits(inPageAt phys: UInt64) -> Int {
        pages[phys]!.rawBuffer.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    func radixPage(at phys: UInt64, level: Int) throws(ABIError) -> UnsafeRawBufferPointer {
        guard let page = pages[phys] else { throw .radixTree(phys: phys, problem: "test: no such page") }
        return page.rawBuffer
    }

    func walk() throws(ABIError) -> [PreservedPair] {
        var found: [PreservedPair] = []
        try KHORadixTree.walk(root: allocated[0], pages: self) { (phys: UInt64, order: Int) throws(ABIError) in
            found.append(PreservedPair(phys: phys, order: order))
        }
        return found
    }
}

struct PreservedPair: Equatable, Hashable, CustomStringConvertible {
    var phys: UInt64
    var order: Int
    var description: String { "0x\(String(phys, radix: 16))/\(order)" }
}

@Suite struct RadixTreeTests {
    @Test func geometry() {
        #expect(KHORadixTree.order0Log2 == 52)
        #expect(KHORadixTree.tableSizeLog2 == 9)
        #expect(KHORadixTree.bitmapSizeLog2 == 15)
        #expect(KHORadixTree.depth == 6)
        #expect(KHORadixTree.tableEntries == 512)
    }

    /// The kernel documentation's table: the order bit moves down one per order.
    @Test(arguments: 0...10)
    func orderBitOfAKeyAtAddressZero(order: Int) {
        #expect(KHORadixTree.key(phys: 0, order: order) == UInt64(1) << UInt64(52 - order))
    }

    @Test func keysOfKnownBlocks() {
        // 0x1_0000_0000 >> 12 = 0x10_0000.
        #expect(KHORadixTree.key(phys: 0x1_0000_0000, order: 0) == 0x0010_0000_0010_0000)
        // Order 4 (16 pages): bit 48 and 0x1_0000_4000 >> 16 = 0x1_0000.
        #expect(KHORadixTree.key(phys: 0x1_0000_0000 + 0x1_0000, order: 4) == 0x0001_0000_0001_0001)
        // Order 1: bit 51 and 0x2000 >> 13 = 1.
        #expect(KHORadixTree.key(phys: 0x2000, order: 1) == 0x0008_0000_0000_0001)
        // The highest page below 2^52: pfn 0xff_ffff_ffff.
        #expect(KHORadixTree.key(phys: 0x000f_ffff_ffff_f000, order: 0) == 0x0010_00ff_ffff_ffff)
    }

    @Test(arguments: [(UInt64(0), 0), (0x1_0000_0000, 0), (0x1_0001_0000, 4), (0x2000, 1),
                      (0x4_0000_0000, 10), (0x000f_ffff_ffff_f000, 0), (0x000f_ffff_fff0_0000, 8)])
    func decodeInvertsEncode(phys: UInt64, order: Int) {
        let decoded = KHORadixTree.decode(key: KHORadixTree.key(phys: phys, order: order))
        #expect(decoded?.phys == phys)
        #expect(decoded?.order == order)
    }

    @Test func decodeRefusesKeysNoBlockHas() {
        #expect(KHORadixTree.decode(key: 0) == nil)
        #expect(KHORadixTree.decode(key: 1 << 53) == nil)        // order -1
        #expect(KHORadixTree.decode(key: 1 << 41) == nil)        // order 11 > MAX_PAGE_ORDER
        #expect(KHORadixTree.decode(key: 1) == nil)              // order 52
        #expect(KHORadixTree.decode(key: 1 << 42)?.order == 10)  // the largest order
    }

    @Test func indicesOfAKnownAddress() {
        // phys 0x1_2345_6000, order 0: key = 1 << 52 | 0x12_3456 = 0x0010_0000_0012_3456.
        let key = KHORadixTree.key(phys: 0x1_2345_6000, order: 0)
        #expect(key == 0x0010_0000_0012_3456)
        #expect(KHORadixTree.bitmapIndex(key) == 0x3456)      // bits 14:0
        #expect(KHORadixTree.tableIndex(key, level: 1) == 0x24)  // bits 23:15 of 0x12_3456
        #expect(KHORadixTree.tableIndex(key, level: 2) == 0)
        #expect(KHORadixTree.tableIndex(key, level: 3) == 0)
        #expect(KHORadixTree.tableIndex(key, level: 4) == 0)
        #expect(KHORadixTree.tableIndex(key, level: 5) == 2)     // bit 52 is bit 1 of bits 59:51
        // Order 10 at 4 GiB: key = 1 << 42 | 0x400 -> level 4 holds the order bit.
        let big = KHORadixTree.key(phys: 0x1_0000_0000, order: 10)
        #expect(big == 0x0000_0400_0000_0400)
        #expect(KHORadixTree.tableIndex(big, level: 4) == 1)
        #expect(KHORadixTree.tableIndex(big, level: 5) == 0)
        #expect(KHORadixTree.bitmapIndex(big) == 0x400)
    }

    @Test func addAllocatesEachMissingLevelTopDownThenSetsTheLeafBit() {
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        KHORadixTree.add(phys: 0x1_2345_6000, order: 0, root: root, memory: &memory)
        #expect(memory.allocated == [0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000, 0x10_4000, 0x10_5000])
        #expect(memory.loadU64(at: root + 2 * 8) == 0x10_1000)          // level 5 index 2
        #expect(memory.loadU64(at: 0x10_1000) == 0x10_2000)             // level 4 index 0
        #expect(memory.loadU64(at: 0x10_2000) == 0x10_3000)             // level 3 index 0
        #expect(memory.loadU64(at: 0x10_3000) == 0x10_4000)             // level 2 index 0
        #expect(memory.loadU64(at: 0x10_4000 + 0x24 * 8) == 0x10_5000)  // level 1 index 0x24
        #expect(memory.bit(0x3456, inPageAt: 0x10_5000))
        #expect(memory.setBits(inPageAt: 0x10_5000) == 1)
        // A neighbour in the same leaf allocates nothing more.
        KHORadixTree.add(phys: 0x1_2345_7000, order: 0, root: root, memory: &memory)
        #expect(memory.allocated.count == 6)
        #expect(memory.bit(0x3457, inPageAt: 0x10_5000))
    }

    @Test func walkReturnsExactlyTheAddedBlocksInKeyOrder() throws {
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        let blocks = [PreservedPair(phys: 0x1_0000_0000, order: 0), PreservedPair(phys: 0x1_0001_0000, order: 4),
                      PreservedPair(phys: 0x1_0000_2000, order: 1), PreservedPair(phys: 0x4_0000_0000, order: 10),
                      PreservedPair(phys: 0x1_0000_1000, order: 0), PreservedPair(phys: 0x000f_ffff_ffff_f000, order: 0),
                      PreservedPair(phys: 0, order: 0)]
        for block in blocks { KHORadixTree.add(phys: block.phys, order: block.order, root: root, memory: &memory) }
        // Key order: larger orders have smaller keys; within an order, ascending address.
        #expect(try memory.walk() == [
            PreservedPair(phys: 0x4_0000_0000, order: 10), PreservedPair(phys: 0x1_0001_0000, order: 4),
            PreservedPair(phys: 0x1_0000_2000, order: 1), PreservedPair(phys: 0, order: 0),
            PreservedPair(phys: 0x1_0000_0000, order: 0), PreservedPair(phys: 0x1_0000_1000, order: 0),
            PreservedPair(phys: 0x000f_ffff_ffff_f000, order: 0),
        ])
    }

    @Test func emptyTreeWalksToNothing() throws {
        var memory = TestMemory(firstPage: 0x1000)
        _ = memory.allocateZeroedPage()
        #expect(try memory.walk() == [])
    }

    @Test func cycleIsAnError() {
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        memory.storeU64(root, at: root + 8)
        #expect(throws: ABIError.radixTree(phys: root, problem: "node is reached twice (a cycle or shared subtree)")) {
            try memory.walk()
        }
    }

    @Test func sharedSubtreeIsAnError() {
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        KHORadixTree.add(phys: 0x1000, order: 0, root: root, memory: &memory)
        let child = memory.loadU64(at: root + 2 * 8)
        memory.storeU64(child, at: root + 3 * 8)
        #expect(throws: ABIError.radixTree(phys: child, problem: "node is reached twice (a cycle or shared subtree)")) {
            try memory.walk()
        }
    }

    @Test func unalignedNodeIsAnError() {
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        memory.storeU64(0x10_0008, at: root)
        #expect(throws: ABIError.radixTree(phys: 0x10_0008, problem: "node address is not page aligned")) {
            try memory.walk()
        }
    }

    @Test func leafBitWithoutAValidOrderIsAnError() {
        // Root index 0 and level-4 index 0 give keys below 2^42: order 11 or more.
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        var node = root
        for _ in 0..<5 {
            let fresh = memory.allocateZeroedPage()
            memory.storeU64(fresh, at: node)
            node = fresh
        }
        memory.setBit(5, inPageAt: node)
        #expect(throws: ABIError.radixTree(phys: node, problem: "bit 5 encodes no valid block (key 0x5)")) {
            try memory.walk()
        }
    }

    @Test func missingPageErrorFromThePageSourcePropagates() {
        var memory = TestMemory(firstPage: 0x10_0000)
        let root = memory.allocateZeroedPage()
        memory.storeU64(0x7000_0000, at: root + 8)
        #expect(throws: ABIError.radixTree(phys: 0x7000_0000, problem: "test: no such page")) {
            try memory.walk()
        }
    }
}
