import HandoverManifest
import HandoverModel
import KHOImage
import FDT
import KernelABI
import Testing

/// A session name that is not UTF-8 goes writer -> reader -> manifest ->
/// writer byte for byte, in every generation: the kernel gives names no
/// encoding, and neither does this project.
@Suite struct SessionNameBytesTests {
    /// Not UTF-8 (0xff, a lone continuation byte), a control byte, and the
    /// longest name the kernel takes.
    static let names: [SessionName] = [
        SessionName(bytes: [0xff, 0x76, 0x6d, 0x30]),
        SessionName(bytes: [0x80, 0x01, 0x7f]),
        SessionName(bytes: [UInt8](repeating: 0xfe, count: 63)),
        "vm-\u{e9}",
    ]

    static func state(_ generation: KernelGeneration) -> HandoverState {
        HandoverState(generation: generation, liveupdateNumber: 3, sessions: names.enumerated().map { index, name in
            SessionRecord(name: name, files: index == 1 ? [] : [
                FileRecord(token: UInt64(index + 1), compatible: "raw-v1", content: .data(0x55)),
            ])
        })
    }

    @Test(arguments: KernelGeneration.supported)
    func roundTripsByteForByte(_ generation: KernelGeneration) throws {
        let state = Self.state(generation)
        let image = try KHOImageWriter().encode(state)
        // The luo_session_ser name field holds exactly the bytes, NUL, zeros.
        for (index, name) in Self.names.enumerated() {
            let field = try #require(image.physicalBytes(at: image.layout.sessions[index].entryPhys, length: 64))
            #expect(field == name.bytes + [UInt8](repeating: 0, count: 64 - name.bytes.count))
        }
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == state)
        let manifest = HandoverManifest.render(decoded.state)
        #expect(manifest.contains(#""name_hex": "ff766d30""#))
        #expect(manifest.contains(#""name_hex": "80017f""#))
        #expect(manifest.contains(#""name": "vm-é""#))
        for format in [ManifestFormat.json, .yaml] {
            let parsed = try HandoverManifest.parse(manifest, format: format, defaultGeneration: generation)
            #expect(parsed == state)
            #expect(try KHOImageWriter().encode(parsed).bytes == image.bytes)
        }
    }

    /// v6.19 and v7.0 as released create a session with an empty name; its
    /// field is all zeros, and it reads back without a warning. Later
    /// kernels never create one: their images read back with a warning.
    @Test(arguments: KernelGeneration.supported)
    func emptyNamesAreTheOldReleases(_ generation: KernelGeneration) throws {
        #expect((generation.sessionNameCheck == .unchecked) == (generation == .linux7_0 || generation == .linux6_19))
        let empty = HandoverState(generation: generation, liveupdateNumber: 1, sessions: [
            SessionRecord(name: SessionName(bytes: []), files: [FileRecord(token: 1, compatible: "raw-v1", content: .data(1))]),
        ])
        guard generation.sessionNameCheck == .unchecked else {
            // Written with a name, then emptied in place: what no kernel of
            // this generation creates, but its incoming side accepts.
            var named = empty
            named.sessions[0].name = "x"
            let image = try KHOImageWriter().encode(named)
            var bytes = try image.bytes
            let offset = try #require(Self.fileOffset(of: image.layout.sessions[0].entryPhys, in: image))
            bytes[offset] = 0
            let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: bytes))
            #expect(decoded.state == empty)
            #expect(decoded.warnings == [.emptySessionName(index: 0)])
            return
        }
        let image = try KHOImageWriter().encode(empty)
        #expect(image.physicalBytes(at: image.layout.sessions[0].entryPhys, length: 64) == [UInt8](repeating: 0, count: 64))
        let decoded = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: image.bytes))
        #expect(decoded.state == empty)
        #expect(decoded.warnings.isEmpty)
        let manifest = HandoverManifest.render(decoded.state)
        #expect(manifest.contains(#""name": """#))
        #expect(try KHOImageWriter().encode(HandoverManifest.parse(manifest, defaultGeneration: generation)).bytes == image.bytes)
    }

    /// Where `phys` lies in the image file.
    static func fileOffset(of phys: UInt64, in image: EncodedImage) -> Int? {
        image.layout.regions.first { phys >= $0.phys && phys < $0.phys + $0.size }
            .map { Int($0.fileOffset + (phys - $0.phys)) }
    }

    /// The writer checks the kernel's rule on the bytes, not on text.
    @Test(arguments: KernelGeneration.supported)
    func writerRefusesWhatTheKernelRefuses(_ generation: KernelGeneration) {
        func refusal(_ name: SessionName) -> KHOImageError? {
            let state = HandoverState(generation: generation, liveupdateNumber: 1, sessions: [SessionRecord(name: name)])
            do { _ = try KHOImageWriter().encode(state); return nil } catch { return error }
        }
        let tooLong = SessionName(bytes: [UInt8](repeating: 0xff, count: 64))
        switch generation.sessionNameCheck {
        case .lengthChecked:
            #expect(refusal(SessionName(bytes: [])) == .invalidModel(.badSessionName(name: SessionName(bytes: []), reason: .empty)))
        case .unchecked:
            #expect(refusal(SessionName(bytes: [])) == nil)
        }
        #expect(refusal(tooLong) == .invalidModel(.badSessionName(name: tooLong, reason: .tooLong(bytes: 64, maximum: 63))))
        #expect(refusal(SessionName(bytes: [0xff, 0, 0x41])) == .invalidModel(.badSessionName(
            name: SessionName(bytes: [0xff, 0, 0x41]), reason: .containsNUL(offset: 1))))
        #expect(refusal(SessionName(bytes: [0xff, 0x00, 0x41]))?.description
            == #"session name "\xff\x00A" holds a NUL byte at byte 1"#)
    }
}
