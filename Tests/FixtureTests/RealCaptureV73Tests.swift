import FDT
import Foundation
import HandoverModel
import KernelABI
import KHOImage
import Testing

/// The images imported from real v7.3.4 and v7.2.13 kernels stopped at
/// `machine_kexec` (Fixtures/kernel-captures/<release>/capture.kho; the
/// next kernel retrieved all 10 files intact). They decode into the lab
/// scenario, and every structure our writer makes for the decoded state
/// equals the kernel's byte for byte once the physical addresses (which
/// came from the buddy allocator) are taken from the capture.
@Suite struct RealCaptureV73Tests {
    static let releases = ["7.3", "7.2"]

    static func path(_ release: String) -> String {
        GoldenFixtureTests.fixtures.appendingPathComponent(RealKernelCaptures.folder)
            .appendingPathComponent(release).appendingPathComponent("capture.kho").path
    }

    // MARK: the lab scenario (tools/kernel-lab scenario.txt)

    /// Byte `o` of a written range of (session, token): byte `o % 8` of a
    /// splitmix64 finalizer over the FNV-1a hash of the session name, the
    /// token and `o / 8` (the lab's init.c describes the function).
    static func labBytes(session: String, token: UInt64, offset: Int, count: Int) -> [UInt8] {
        var seed: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in session.utf8 { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01b3 }
        func mix(_ value: UInt64) -> UInt64 {
            var z = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        return (offset..<(offset + count)).map { o in
            let word = mix(seed ^ (token &* 0x9e37_79b9_7f4a_7c15) ^ (UInt64(o >> 3) &* 0xd6e8_feb8_6659_fd93))
            return UInt8(truncatingIfNeeded: word >> UInt64(8 * (o & 7)))
        }
    }

    static func memfd(_ session: String, _ token: UInt64, size: Int, pos: UInt64 = 0, seals: UInt32,
                      writes: [(Int, Int)]? = nil) -> FileRecord {
        var contents = [UInt8](repeating: 0, count: size)
        for (offset, count) in writes ?? [(0, size)] {
            contents.replaceSubrange(offset..<(offset + count), with: labBytes(session: session, token: token, offset: offset, count: count))
        }
        return FileRecord(token: token, compatible: "memfd-v2",
                          content: .memfd(MemfdContents(contents: contents, position: pos, seals: seals)))
    }

    static func expected(release: String) -> HandoverState {
        let long = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
        return HandoverState(
            generation: .linux7_3, liveupdateNumber: 1,
            sessions: [
                SessionRecord(name: "lab-basic", files: [
                    memfd("lab-basic", 0x1, size: 0, seals: 0x1),
                    memfd("lab-basic", 0x2, size: 13, seals: 0x1),
                    memfd("lab-basic", 0x3, size: 12288, pos: 100, seals: 0x1),
                    memfd("lab-basic", 0x4, size: 5000, seals: 0x6),
                ]),
                SessionRecord(name: "lab-sparse-and-falloc", files: [
                    memfd("lab-sparse-and-falloc", 0x10, size: 65536, seals: 0x1, writes: [(0, 100), (0x8000, 4096)]),
                    memfd("lab-sparse-and-falloc", 0x11, size: 32768, seals: 0x1, writes: [(0x2000, 10)]),
                    memfd("lab-sparse-and-falloc", 0x12, size: 20000, seals: 0x0),
                    memfd("lab-sparse-and-falloc", 0x13, size: 8192, seals: 0xf),
                ]),
                SessionRecord(name: SessionName(long), files: [
                    memfd(long, 0xdead_beef_cafe_f00d, size: 4_206_592, seals: 0x1),
                    memfd(long, 0x7fff_ffff_ffff_ffff, size: 1, seals: 0x1),
                ]),
                SessionRecord(name: "lab-empty-session"),
            ],
            flbs: (0..<3).map { FLBRecord(name: "liveupdate-test-flb-v\($0)", data: 0xfeed_f00d_cafe_bee0 + UInt64($0), count: 10) },
            kexecMetadata: KexecMetadata(previousRelease: release == "7.3" ? "7.3.4" : "7.2.13", kexecCount: 1))
    }

    @Test(arguments: releases) func decodesIntoTheScenario(_ release: String) throws {
        let decoded = try KHOImageReader.readImage(path: Self.path(release))
        #expect(decoded.state.generation == .linux7_3)
        #expect(decoded.state == Self.expected(release: release))
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(decoded.otherSubtrees.isEmpty)
        #expect(decoded.layout.preservedBlocks.count == 1105)
        #expect(decoded.layout.preservedBlocks.allSatisfy { $0.order == 0 })
    }

    /// Re-encoding the decoded state gives the same number of preserved
    /// blocks, all order 0, the same blocks per structure, and the same
    /// bytes in every structure once the capture's addresses are put in.
    @Test(arguments: releases) func everyStructureMatchesOursExceptAddresses(_ release: String) throws {
        let decoded = try KHOImageReader.readImage(path: Self.path(release))
        let memory = try KHOImageMemory(path: Self.path(release))
        func page(_ phys: UInt64) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 4096)
            try bytes.withUnsafeMutableBytes { try memory.read(phys, into: $0, what: "page") }
            return bytes
        }
        func pageOf(_ build: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 4096)
            bytes.withUnsafeMutableBytes(build)
            return bytes
        }
        let layout = decoded.layout
        let state = decoded.state
        let ours = try KHOImageWriter().encode(state)
        #expect(ours.layout.preservedBlocks.count == layout.preservedBlocks.count)
        #expect(ours.layout.preservedBlocks.allSatisfy { $0.order == 0 })

        // The KHO root FDT page: our calls with the capture's addresses.
        let root = try KHOv4RootFDT.makeSkeleton(memoryMapPhys: layout.memoryMapPhys)
        try KHOv4RootFDT.addSubtree(to: root, name: "kexec-metadata", phys: layout.kexecMetadataPhys, blobSize: 73)
        try KHOv4RootFDT.addSubtree(to: root, name: "LUO", phys: layout.luoFDTPhys, blobSize: 32)
        #expect(root.blob == decoded.khoRootFDT)
        // Past totalsize the page is not zero: fdt_open_into(PAGE_SIZE) moved
        // the strings to the page's end and fdt_pack moved them back, leaving
        // their old copy there. Ours leaves the same bytes.
        let rootPage = try page(layout.khoRootFDTPhys)
        let ourRootPage = try #require(ours.physicalBytes(at: ours.layout.khoRootFDTPhys, length: 4096))
        #expect(Array(rootPage[..<root.blob.count]) == root.blob)
        #expect(rootPage[root.blob.count...] == ourRootPage[root.blob.count...])
        #expect(rootPage[root.blob.count...].contains { $0 != 0 })
        #expect(ours.khoRootFDT.count == decoded.khoRootFDT.count)

        // kexec-metadata, luo_ser and the FLB block: whole pages.
        let metadata = try #require(state.kexecMetadata)
        #expect(try page(layout.kexecMetadataPhys) == pageOf {
            KexecMetadataSer(previousRelease: metadata.previousRelease, kexecCount: metadata.kexecCount).encode(into: $0, at: 0)
        })
        let ser = LUOSer(liveupdateNumber: state.liveupdateNumber, sessionsPhys: layout.sessionHeaderPhys, flbsPhys: layout.flbHeaderPhys)
        #expect(try page(layout.luoFDTPhys) == pageOf { ser.encode(into: $0) })
        #expect(decoded.luoFDT == ser.bytes)
        #expect(try page(layout.flbHeaderPhys) == pageOf { block in
            block.storeLittleEndian(UInt64(1), at: LUOFLBHeaderSer.pageCountOffset)
            block.storeLittleEndian(UInt64(state.flbs.count), at: LUOFLBHeaderSer.countOffset)
            for (slot, flb) in state.flbs.enumerated() {
                LUOFLBSer(name: flb.name, data: flb.data, count: flb.count).encode(into: block, at: 16 + slot * 64)
            }
        })

        // The session block and each file block: whole pages.
        #expect(layout.sessionBlocks == [layout.sessionHeaderPhys])
        #expect(ours.layout.sessionBlocks.count == 1)
        #expect(try page(layout.sessionHeaderPhys) == pageOf { block in
            KHOBlock.Header(next: 0, count: UInt64(state.sessions.count)).encode(into: block)
            for (index, session) in state.sessions.enumerated() {
                LUOSessionSer(name: session.name.bytes, files: layout.sessions[index].filesPhys, count: UInt64(session.files.count))
                    .encode(into: block, at: 16 + index * 80)
            }
        })
        for (index, session) in state.sessions.enumerated() where !session.files.isEmpty {
            let sessionLayout = layout.sessions[index]
            #expect(sessionLayout.fileBlocks.count == ours.layout.sessions[index].fileBlocks.count)
            #expect(try page(sessionLayout.filesPhys) == pageOf { block in
                KHOBlock.Header(next: 0, count: UInt64(session.files.count)).encode(into: block)
                for (slot, file) in session.files.enumerated() {
                    LUOFileSer(compatible: file.compatible, data: sessionLayout.fileData[slot], token: file.token)
                        .encode(into: block, at: 16 + slot * 64)
                }
            })
            // Each memfd_luo_ser page: every field ours has but the folio
            // array's address, and zeros after the 48 bytes.
            for slot in session.files.indices {
                let captured = try page(sessionLayout.fileData[slot])
                let mine = try #require(ours.physicalBytes(at: ours.layout.sessions[index].fileData[slot], length: 4096))
                var theirs = captured.withUnsafeBytes { MemfdV2LUOSer.decode($0, at: 0) }
                let expected = mine.withUnsafeBytes { MemfdV2LUOSer.decode($0, at: 0) }
                #expect(theirs.folios.first != 0 || expected.folios.first == 0)
                theirs.folios.first = expected.folios.first
                #expect(theirs == expected)
                #expect(captured[48...].allSatisfy { $0 == 0 })
            }
        }
    }
}
