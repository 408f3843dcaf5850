import FDT
import Foundation
import HandoverModel
import KernelABI
import KHOImage
import TestSupport
import Testing

/// Linux v7.1's generation (kho-v3 + luo-v1 + memfd-v2 + kexec-metadata):
/// the generation value, exact bytes, round trips and the reader's errors.
@Suite struct Linux71GenerationTests {
    static let sparse = Array(repeating: UInt8(0x5a), count: 4096) + Array(repeating: 0, count: 8192) + Array(repeating: 0xa5, count: 10)
    static let state = HandoverState(
        generation: .linux7_1,
        liveupdateNumber: 3,
        sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: sparse, position: 7, seals: 0x1))),
                FileRecord(token: 2, compatible: "memfd-v2", content: .memfd(MemfdContents(contents: [], seals: 0x3e))),
                FileRecord(token: 3, compatible: "vfio-pci-v1", content: .data(0xfeed)),
            ]),
            SessionRecord(name: "idle"),
        ],
        flbs: [FLBRecord(name: "iommu-core-v1", data: 0x1234, count: 1)],
        kexecMetadata: KexecMetadata(previousRelease: "7.1.8-amd64", kexecCount: 2))

    // MARK: the generation as a value

    @Test func lookupByRelease() throws {
        #expect(try KernelGeneration.forRelease("7.1") == .linux7_1)
        #expect(try KernelGeneration.forRelease("7.1.8") == .linux7_1)
        #expect(try KernelGeneration.forRelease("7.1.8-amd64") == .linux7_1)
        #expect(try KernelGeneration.lookup("kho-v2+luo-v1+memfd-v1") == .khoV2Prerelease)
        #expect(KernelGeneration.newest == .linux7_3)
        #expect(KernelGeneration.linux7_1.releases == ["7.1"])
        #expect(KernelGeneration.khoV2Prerelease.releases.isEmpty)
        #expect(try KernelGeneration.forRelease("7.0.3") == .linux7_0)
        #expect(try KernelGeneration.forRelease("6.19") == .linux6_19)
        #expect(KernelGeneration.knownUnsupportedReleases.isEmpty)
        #expect(throws: GenerationLookupError.unknownRelease("8.5")) { try KernelGeneration.forRelease("8.5") }
        #expect(GenerationLookupError.notYetSupported(release: "6.18", generation: "kho-v0").description
            == "kernel 6.18 writes generation kho-v0, which is not yet supported (supported: 7.2, 7.3, 7.1, 7.0, 6.19, kho-v2+luo-v1+memfd-v1)")
    }

    @Test func defaultsOfTheModel() {
        let state = HandoverState(generation: .linux7_1, liveupdateNumber: 1)
        #expect(state.generation == .linux7_1)
        #expect(state.kexecMetadata == KexecMetadata(previousRelease: "7.1.8", kexecCount: 1))
        #expect(HandoverState(generation: .khoV2Prerelease, liveupdateNumber: 1).kexecMetadata == nil)
    }

    // MARK: exact bytes

    @Test func memfdV2StructBytes() {
        var bytes = [UInt8](repeating: 0xee, count: MemfdV2LUOSer.size)
        let ser = MemfdV2LUOSer(position: 0x0102, fileSize: 0x3000, seals: 0x21, folioCount: 3,
                                folios: KHOVmalloc(first: 0x1_0002_0000, totalPages: 1, flags: 1, order: 0))
        bytes.withUnsafeMutableBytes { ser.encode(into: $0, at: 0) }
        #expect(MemfdV2LUOSer.size == 48)
        #expect(bytes == [0x02, 0x01, 0, 0, 0, 0, 0, 0,   0, 0x30, 0, 0, 0, 0, 0, 0,
                          0x21, 0, 0, 0,   0, 0, 0, 0,   3, 0, 0, 0, 0, 0, 0, 0,
                          0, 0, 0x02, 0, 1, 0, 0, 0,   1, 0, 0, 0,   1, 0,   0, 0])
        #expect(bytes.withUnsafeBytes { MemfdV2LUOSer.decode($0, at: 0) } == ser)
    }

    @Test func kexecMetadataBytes() throws {
        var bytes = [UInt8](repeating: 0, count: KexecMetadataSer.size)
        bytes.withUnsafeMutableBytes { KexecMetadataSer(previousRelease: "7.1.8", kexecCount: 0x0102_0304).encode(into: $0, at: 0) }
        #expect(bytes.count == 73)
        #expect(Array(bytes[0..<4]) == [1, 0, 0, 0])
        #expect(Array(bytes[4..<10]) == Array("7.1.8\0".utf8))
        #expect(bytes[10..<69].allSatisfy { $0 == 0 })
        #expect(Array(bytes[69..<73]) == [4, 3, 2, 1])
    }

    /// The root FDT equals pylibfdt's replay of v7.1's calls: skeleton,
    /// kho_add_subtree(kexec-metadata, 73) at kho_init, then LUO with its
    /// FDT's totalsize; LUO first, blob-size before preserved-data.
    @Test func rootFDTMatchesThePylibfdtReplay() throws {
        let image = try KHOImageWriter().encode(Self.state)
        let layout = image.layout
        let reference = try Self.replay(["kho-root-v3", hex(layout.memoryMapPhys),
                                          "kexec-metadata=\(hex(layout.kexecMetadataPhys)):73",
                                          "LUO=\(hex(layout.luoFDTPhys)):\(image.luoFDT.count)"])
        #expect(image.khoRootFDT == reference)
        let root = try FDTBlob(bytes: image.khoRootFDT)
        #expect(try root.root.subnodes().map(\.name) == ["LUO", "kexec-metadata"])
        #expect(try root.node(atPath: "/LUO")!.properties().map(\.name) == ["blob-size", "preserved-data"])
        // kho_init: radix root, root FDT page (its radix path of five nodes
        // allocated as it is preserved), then the kexec-metadata block.
        #expect(layout.kexecMetadataPhys == layout.khoRootFDTPhys + 6 * 0x1000)
        #expect(layout.luoFDTPhys == layout.kexecMetadataPhys + 0x1000)
    }

    // MARK: round trips

    @Test func roundTripIsByteIdentical() throws {
        let image = try KHOImageWriter().encode(Self.state)
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == Self.state)
        #expect(decoded.state.generation == .linux7_1)
        #expect(decoded.otherSubtrees.isEmpty)
        #expect(decoded.unreferencedBlocks.isEmpty)
        #expect(try KHOImageWriter().encode(decoded.state).bytes == image.bytes)
    }

    @Test func bothGenerationsDifferOnlyWhereTheyShould() throws {
        var old = Self.state
        old.generation = .khoV2Prerelease
        old.kexecMetadata = nil
        for s in old.sessions.indices {
            for f in old.sessions[s].files.indices where old.sessions[s].files[f].compatible == "memfd-v2" {
                old.sessions[s].files[f].compatible = "memfd-v1"
                if case var .memfd(m) = old.sessions[s].files[f].content { m.seals = 0; old.sessions[s].files[f].content = .memfd(m) }
            }
        }
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: try KHOImageWriter().encode(old).bytes))
        #expect(decoded.state == old)
    }

    // MARK: errors

    @Test func modelErrors() {
        var sealed = Self.state
        sealed.sessions[0].files[0].content = .memfd(MemfdContents(contents: [1], seals: 0x40))
        #expect(throws: KHOImageError.invalidModel(.unsupportedSeals(session: "vm0", token: 1, seals: 0x40,
                                                                     handler: "memfd-v2", supported: 0x3f))) {
            try KHOImageWriter().encode(sealed)
        }
        var wrongHandler = Self.state
        wrongHandler.sessions[0].files[0].compatible = "memfd-v1"
        #expect(throws: KHOImageError.invalidModel(.memfdHandlerMismatch(session: "vm0", token: 1, compatible: "memfd-v1",
                                                                         expected: "memfd-v2"))) {
            try KHOImageWriter().encode(wrongHandler)
        }
        var longRelease = Self.state
        longRelease.kexecMetadata = KexecMetadata(previousRelease: String(repeating: "r", count: 65), kexecCount: 1)
        #expect(throws: KHOImageError.invalidModel(.badPreviousRelease(release: String(repeating: "r", count: 65),
                                                                       reason: .tooLong(bytes: 65, maximum: 64)))) {
            try KHOImageWriter().encode(longRelease)
        }
        var missing = Self.state
        missing.kexecMetadata = nil
        #expect(throws: KHOImageError.invalidModel(.kexecMetadataMismatch(generation: "kho-v3+luo-v1+memfd-v2",
                                                                          reason: "this generation needs kexec-metadata"))) {
            try KHOImageWriter().encode(missing)
        }
    }

    /// An image of `state` with `edit` applied to its file bytes, decoded.
    static func decodePatched(_ edit: (inout [UInt8], EncodedImage) -> Void) throws -> DecodedImage {
        let image = try KHOImageWriter().encode(state)
        var bytes = try image.bytes
        edit(&bytes, image)
        return try KHOImageReader.decodeImage(ReadOnlyBytes(copying: bytes))
    }

    static func offset(_ phys: UInt64, _ image: EncodedImage) -> Int {
        let region = image.layout.regions.first { phys >= $0.phys && phys < $0.end }!
        return Int(region.fileOffset + (phys - region.phys))
    }

    static func put<T: FixedWidthInteger>(_ value: T, at phys: UInt64, _ bytes: inout [UInt8], _ image: EncodedImage) {
        let start = offset(phys, image)
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[start + i] = b } }
    }

    /// The file offset of the value of the `blob-size` property whose value is `value` in the root FDT.
    static func blobSizeOffset(_ value: UInt64, _ bytes: [UInt8], _ image: EncodedImage) -> Int {
        let start = offset(image.layout.khoRootFDTPhys, image)
        let needle = withUnsafeBytes(of: value.littleEndian) { Array($0) }
        let header: [UInt8] = [0, 0, 0, 3, 0, 0, 0, 8]
        for at in stride(from: start, to: start + image.khoRootFDT.count - 20, by: 4)
        where Array(bytes[at..<(at + 8)]) == header && Array(bytes[(at + 12)..<(at + 20)]) == needle {
            return at + 12
        }
        fatalError("blob-size not found")
    }

    @Test func readerErrors() throws {
        let image = try KHOImageWriter().encode(Self.state)
        let ser = image.layout.sessions[0].fileData[0]
        #expect(throws: KHOImageError.memfd(session: "vm0", token: 1,
                                            problem: "seals 0x40 include bits memfd-v2 does not support (supported: 0x3f)")) {
            try memfdWarningError(try Self.decodePatched { bytes, image in Self.put(UInt32(0x40), at: ser + 16, &bytes, image) })
        }
        #expect(throws: KHOImageError.memfd(session: "vm0", token: 1,
                                            problem: "flags is 0x1; memfd-v2 defines no flags (unused bits must be 0)")) {
            try memfdWarningError(try Self.decodePatched { bytes, image in Self.put(UInt32(1), at: ser + 20, &bytes, image) })
        }
        let metadata = image.layout.kexecMetadataPhys
        #expect(throws: KHOImageError.structure(what: "kexec-metadata at \(hex(metadata))", error: .invalidValue(
            field: "kexec-metadata version", value: 2, reason: "only version 1 is supported"))) {
            try Self.decodePatched { bytes, image in Self.put(UInt32(2), at: metadata, &bytes, image) }
        }
        #expect(throws: KHOImageError.structure(what: "kexec-metadata at \(hex(metadata))", error: .invalidValue(
            field: "kexec-metadata blob-size", value: 72, reason: "version 1 needs at least 73 bytes"))) {
            try Self.decodePatched { bytes, image in
                let at = Self.blobSizeOffset(73, bytes, image)
                bytes[at] = 72
            }
        }
        #expect(throws: KHOImageError.structure(what: "kexec-metadata at \(hex(metadata))", error: .invalidValue(
            field: "kexec-metadata blob-size", value: 3, reason: "too small to hold the version (4 bytes)"))) {
            try Self.decodePatched { bytes, image in bytes[Self.blobSizeOffset(73, bytes, image)] = 3 }
        }
        let luoSize = UInt64(image.luoFDT.count)
        #expect(throws: KHOImageError.structure(what: "KHO root FDT subtree LUO", error: .invalidValue(
            field: "blob-size", value: luoSize + 1,
            reason: "the LUO FDT there is \(luoSize) bytes (its totalsize, which the kernel records)"))) {
            try Self.decodePatched { bytes, image in bytes[Self.blobSizeOffset(luoSize, bytes, image)] += 1 }
        }
    }

    // MARK: helpers

    static func replay(_ arguments: [String]) throws -> [UInt8] {
        try ProcessRunner.kernelFDTSequence(arguments)
    }
}
