import FDT
import Synchronization
import Testing

/// The two byte owners: ``ReadOnlyBytes`` for what is only read (files,
/// copies, a finished arena), ``AlignedBytes`` for building FDTs, lent by
/// other owners only for the length of a closure.
@Suite struct ByteOwnerTests {
    struct Refused: Error, Equatable {}

    @Test func readOnlyBytesAreAlignedCopies() {
        let bytes = ReadOnlyBytes(copying: [1, 2, 3])
        #expect(Int(bitPattern: bytes.base) % 8 == 0)
        #expect(bytes.array == [1, 2, 3])
        #expect(bytes.copy(1..<3) == [2, 3])
        #expect(ReadOnlyBytes(copying: []).count == 0)
    }

    @Test func readOnlyBytesAreFilledOnceOrNotAtAll() throws {
        let filled = ReadOnlyBytes(count: 6) { (buffer: UnsafeMutableRawBufferPointer) in
            buffer[0] = 7
            buffer[5] = 9
        }
        #expect(filled.array == [7, 0, 0, 0, 0, 9])
        #expect(throws: Refused()) {
            _ = try ReadOnlyBytes(count: 6) { (_: UnsafeMutableRawBufferPointer) throws(Refused) in throw Refused() }
        }
    }

    @Test func adoptedBytesAreReleasedOnce() {
        final class Releases: Sendable { let count = Mutex(0) }
        let releases = Releases()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        memory.initializeMemory(as: UInt8.self, repeating: 4, count: 8)
        do {
            let bytes = ReadOnlyBytes(adopting: UnsafeRawPointer(memory), count: 8) { pointer, count in
                releases.count.withLock { $0 += 1 }
                UnsafeMutableRawPointer(mutating: pointer).deallocate()
            }
            #expect(bytes.array == [UInt8](repeating: 4, count: 8))
        }
        #expect(releases.count.withLock { $0 } == 1)
    }

    /// A loan writes straight into the lender's memory, and an FDT built
    /// in it is that memory's bytes.
    @Test func lentBytesAreTheLendersMemory() throws {
        let page = AlignedBytes(zeroedCount: 256)
        let built = try AlignedBytes.lending(page.base, count: page.count) { loan in
            #expect(loan.base == page.base)
            let writer = try FDTSequentialWriter(writingInto: loan)
            try writer.finishReservemap()
            try writer.beginNode("")
            try writer.property("a", string: "b")
            try writer.endNode()
            try writer.finish()
            return writer.blob
        }
        #expect(page.copy(0..<built.count) == built)
        #expect(try FDTBlob(storage: ReadOnlyBytes(copying: page.array)).root.string("a") == "b")
    }

    /// `fdt_create` clears the whole buffer it is given, so an FDT page of
    /// the image need not be zeroed first (the writer's root and LUO FDT
    /// pages are not): a page full of stale bytes gives the same page as a
    /// zeroed one, tail included.
    @Test func fdtCreateClearsItsWholeBuffer() throws {
        func page(filledWith fill: UInt8) throws -> [UInt8] {
            let page = AlignedBytes(zeroedCount: 4096)
            page.base.initializeMemory(as: UInt8.self, repeating: fill, count: page.count)
            try AlignedBytes.lending(page.base, count: page.count) { (loan) throws(FDTError) in
                let writer = try FDTSequentialWriter(writingInto: loan)
                try writer.finishReservemap()
                try writer.beginNode("")
                try writer.property("compatible", string: "kho-v1")
                try writer.property("preserved-memory-map", rawU64: 0x1234)
                try writer.endNode()
                try writer.finish()
            }
            return page.array
        }
        let clean = try page(filledWith: 0)
        #expect(try page(filledWith: 0xa5) == clean)
        #expect(clean[256..<4000].allSatisfy { $0 == 0 }) // between the tree and the old string table fdt_finish leaves at the end
    }
}
