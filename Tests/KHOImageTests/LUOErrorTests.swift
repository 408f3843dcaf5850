import Glibc
import KHOImage
import Testing

/// The LUO state: the LUO FDT or luo_ser, session and file counts and
/// arrays, names, compatibles, duplicate names and tokens, the FLB header
/// and entries.
@Suite struct LUOErrorTests {
    @Test func luoFDTCorrupt() throws {
        var image = try CraftedImage()
        let luo = image.layout.luoFDTPhys
        image.put(be32(15), at: luo + 20)
        #expect(throws: KHOImageError.structure(what: "LUO FDT at \(hex(luo))", error: .fdt(.libfdt(
            .badVersion, function: "fdt_check_header", location: "LUO FDT at \(hex(luo)), byte offset \(image.offset(luo))")))) {
            try image.decode()
        }
    }

    @Test func luoGenerations() throws {
        let luo = try CraftedImage().layout.luoFDTPhys
        func patched(_ path: String, _ value: String) throws -> CraftedImage {
            var image = try CraftedImage()
            try image.replaceString(inFDTAt: luo, path: path, "compatible", with: value)
            return image
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(node: "/", found: "luo-v2", supported: "luo-v1"))) {
            try patched("/", "luo-v2").decode()
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .wrongCompatible(node: "/", expected: "luo-v1", found: "luo-vZ"))) {
            try patched("/", "luo-vZ").decode()
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(
            node: "/luo-session", found: "luo-session-v1", supported: "luo-session-v2"))) {
            try patched("/luo-session", "luo-session-v1").decode()
        }
        #expect(throws: KHOImageError.structure(what: "LUO FDT", error: .unsupportedGeneration(
            node: "/luo-flb", found: "luo-flb-v2", supported: "luo-flb-v1"))) {
            try patched("/luo-flb", "luo-flb-v2").decode()
        }
    }

    @Test func sessionCount() throws {
        var image = try CraftedImage()
        let header = image.layout.sessionHeaderPhys
        image.put(u64: 820, at: header)
        #expect(throws: KHOImageError.structure(what: "session header at \(hex(header))", error: .countOutOfRange(
            field: "count", count: 820, maximum: 819))) {
            try image.decode()
        }
        // One more than was written: the fourth entry is all zeros, a
        // session with an empty name and no files, which the incoming
        // kernel takes (with a warning: this generation never creates one).
        image.put(u64: 4, at: header)
        let decoded = try image.decode()
        #expect(decoded.state.sessions.map(\.name) == ["alpha", "beta", "m", SessionName(bytes: [])])
        #expect(decoded.warnings == [.emptySessionName(index: 3)])
        // 819 is allowed and fits the 16 pages; entry 4 is a second empty name.
        image.put(u64: 819, at: header)
        #expect(throws: KHOImageError.duplicateSession(name: SessionName(bytes: []))) {
            try image.decode()
        }
    }

    @Test func fileCount() throws {
        var image = try CraftedImage()
        let alpha = image.layout.sessions[0].entryPhys
        image.put(u64: 129, at: alpha + 72)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\"", error: .countOutOfRange(
            field: "file_set_ser.count", count: 129, maximum: 128))) {
            try image.decode()
        }
        // 128 files is within the limit; the third entry is zeros.
        image.put(u64: 128, at: alpha + 72)
        let files = image.layout.sessions[0].filesPhys
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 2 at \(hex(files + 128))", error: .badString(
            field: "file 2 compatible", problem: .empty))) {
            try image.decode()
        }
    }

    @Test func filesAndCountInconsistent() throws {
        var image = try CraftedImage()
        let beta = image.layout.sessions[1].entryPhys
        image.put(u64: 1, at: beta + 72)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.count", value: 1, reason: "files and count must be zero together"))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put(u64: 0x1234_5000, at: beta + 64)
        #expect(throws: KHOImageError.structure(what: "session \"beta\"", error: .invalidValue(
            field: "file_set_ser.files", value: 0x1234_5000, reason: "files and count must be zero together"))) {
            try image.decode()
        }
    }

    @Test func fileArrayOutsideTheImage() throws {
        var image = try CraftedImage()
        let alpha = image.layout.sessions[0].entryPhys
        image.put(u64: 0x7000_0000, at: alpha + 64)
        #expect(throws: KHOImageError.outsideImage(what: "file array of session \"alpha\"", phys: 0x7000_0000, length: 128)) {
            try image.decode()
        }
        // The last 64 bytes of a region: two entries run past it.
        let end = image.layout.regions.last!.end
        image.put(u64: end - 64, at: alpha + 64)
        #expect(throws: KHOImageError.straddlesRegions(what: "file array of session \"alpha\"", phys: end - 64, length: 128)) {
            try image.decode()
        }
    }

    @Test func sessionNames() throws {
        let alpha = try CraftedImage().layout.sessions[0].entryPhys
        let what = "session block entry 0 at \(hex(alpha))"
        var image = try CraftedImage()
        image.put([UInt8](repeating: 0x61, count: 64), at: alpha)
        #expect(throws: KHOImageError.structure(what: what, error: .badString(field: "session 0 name", problem: .unterminated))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put([0x7a], at: alpha + 40)
        #expect(throws: KHOImageError.structure(what: what, error: .badString(field: "session 0 name", problem: .bytesAfterTerminator(offset: 40)))) {
            try image.decode()
        }
        // An empty name: luo_session_deserialize copies it without a check.
        image = try CraftedImage()
        image.put(zeroBytes(64), at: alpha)
        let empty = try image.decode()
        #expect(empty.state.sessions[0].name.bytes.isEmpty)
        #expect(empty.warnings == [.emptySessionName(index: 0)])
        #expect(ReaderWarning.emptySessionName(index: 0).description == "session 0 has an empty name: the incoming kernel"
            + " accepts it, but only v6.19 and v7.0 as released create one (encode refuses it for this generation,"
            + " so this state cannot be encoded again as it is)")
        // Any other bytes are a name to the kernel: no encoding is required.
        image = try CraftedImage()
        image.put([0xff], at: alpha)
        #expect(try image.decode().state.sessions[0].name == SessionName(bytes: [0xff] + Array("lpha".utf8)))
    }

    @Test func fileCompatibles() throws {
        let files = try CraftedImage().layout.sessions[0].filesPhys
        var image = try CraftedImage()
        image.put([UInt8](repeating: 0x63, count: 48), at: files)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 0 at \(hex(files))", error: .badString(
            field: "file 0 compatible", problem: .unterminated))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put([0x21], at: files + 64 + 47)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 1 at \(hex(files + 64))", error: .badString(
            field: "file 1 compatible", problem: .bytesAfterTerminator(offset: 47)))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put(zeroBytes(48), at: files + 64)
        #expect(throws: KHOImageError.structure(what: "session \"alpha\" file 1 at \(hex(files + 64))", error: .badString(
            field: "file 1 compatible", problem: .empty))) {
            try image.decode()
        }
    }

    @Test func duplicateSessionNames() throws {
        var image = try CraftedImage()
        image.put(field("alpha", 64), at: image.layout.sessions[1].entryPhys)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .duplicateSession(name: "alpha"))
        #expect(error?.errno == EEXIST)
    }

    @Test func duplicateTokens() throws {
        var image = try CraftedImage()
        image.put(u64: 10, at: image.layout.sessions[0].filesPhys + 64 + 56)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .duplicateToken(session: "alpha", token: 10))
        #expect(error?.errno == EEXIST)
    }

    @Test func flbHeader() throws {
        var image = try CraftedImage()
        let flb = image.layout.flbHeaderPhys
        image.put(u64: 2, at: flb)
        #expect(throws: KHOImageError.structure(what: "FLB header at \(hex(flb))", error: .invalidValue(
            field: "pgcnt", value: 2, reason: "luo-flb-v1 blocks are 1 page"))) {
            try image.decode()
        }
        image = try CraftedImage()
        image.put(u64: 64, at: flb + 8)
        #expect(throws: KHOImageError.structure(what: "FLB header at \(hex(flb))", error: .countOutOfRange(
            field: "count", count: 64, maximum: 63))) {
            try image.decode()
        }
        image.put(u64: 3, at: flb + 8)
        #expect(throws: KHOImageError.structure(what: "FLB entry 2", error: .badString(field: "FLB 2 name", problem: .empty))) {
            try image.decode()
        }
    }

    @Test func flbEntries() throws {
        let flb = try CraftedImage().layout.flbHeaderPhys
        var image = try CraftedImage()
        image.put(field("iommu-v1", 48), at: flb + 16 + 64)
        let error = #expect(throws: KHOImageError.self) { try image.decode() }
        #expect(error == .duplicateFLB(name: "iommu-v1"))
        #expect(error?.errno == EEXIST)
        image = try CraftedImage()
        image.put(u64: 0, at: flb + 16 + 64 + 56)
        // The incoming kernel takes a count of 0 (no outgoing kernel writes
        // one): decoded, with a warning.
        let decoded = try image.decode()
        #expect(decoded.state.flbs.map(\.count) == [1, 0])
        #expect(decoded.warnings == [.emptyFLB(name: "dma-v1")])
        image = try CraftedImage()
        image.put([0x78], at: flb + 16 + 64 + 47)
        #expect(throws: KHOImageError.structure(what: "FLB entry 1", error: .badString(
            field: "FLB 1 name", problem: .bytesAfterTerminator(offset: 47)))) {
            try image.decode()
        }
    }
}
