import FDT
import Foundation
import HandoverModel
import KernelABI
import KHOImage
import Testing
import TestSupport

/// Replays the regression corpora of the FDT and image fuzz targets
/// (Tests/Corpus/fdt, image and image-patch, see docs/ROBUSTNESS.md) with
/// the calls the targets make: each input is decoded to a value or fails
/// with a typed error (a crash fails the whole run). An input with a
/// `NAME.expected` file beside it was added for a finding and must fail
/// with exactly that error.
@Suite struct CorpusReplayTests {
    static func inputs(_ target: String) -> [String] { Corpus.inputs(target) }

    static func load(_ target: String, _ name: String) throws -> (bytes: [UInt8], expected: String?) {
        try Corpus.load(target, name)
    }

    @Test func corporaArePresent() {
        #expect(Self.inputs("image").count >= 5)
        #expect(Self.inputs("fdt").count >= 5)
        #expect(Self.inputs("image-patch").count >= 5)
    }

    /// What the image target does: the reader's result, as text.
    static func decodeImage(_ bytes: [UInt8]) -> String {
        do {
            switch try KHOImageReader.decode(ReadOnlyBytes(copying: bytes)) {
            case let .image(image): return "image: \(image.state.sessions.count) sessions"
            case .khoRootFDT: return "KHO root FDT"
            case .luoFDT: return "LUO FDT"
            case .luoSer: return "luo_ser"
            }
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: inputs("image")) func replayImage(_ name: String) throws {
        let (bytes, expected) = try Self.load("image", name)
        let outcome = Self.decodeImage(bytes)
        if let expected { #expect(outcome == expected, "\(name)") }
    }

    /// What the FDT target does: validate, then every read-only walk and
    /// both kernel FDT parsers; the outcome of validation and of
    /// materializing the tree, as text.
    static func walkFDT(_ bytes: [UInt8]) -> String {
        let blob: FDTBlob
        do { blob = try FDTBlob(storage: ReadOnlyBytes(copying: bytes), label: "corpus") } catch { return "\(error)" }
        _ = try? blob.memoryReservations()
        var outcome = "valid FDT, totalsize \(blob.totalSize)"
        do { _ = "\(try blob.tree())" } catch { outcome = "\(error)" }
        _ = try? blob.root.string("compatible")
        for path in ["/LUO", "/luo-session", "/luo-flb"] {
            if let node = blob.node(atPath: path) {
                _ = try? node.properties()
                _ = try? node.rawU64("preserved-data")
            }
        }
        if let root = try? KHOv2RootFDT.parse(blob) { _ = root.lookup("LUO") }
        _ = try? LUOv1FDT.parse(blob)
        return outcome
    }

    @Test(arguments: inputs("fdt")) func replayFDT(_ name: String) throws {
        let (bytes, expected) = try Self.load("fdt", name)
        let outcome = Self.walkFDT(bytes)
        if let expected { #expect(outcome == expected, "\(name)") }
    }

    @Test(arguments: inputs("image-patch")) func replayImagePatch(_ name: String) throws {
        let (input, expected) = try Self.load("image-patch", name)
        let image = input.withUnsafeBufferPointer { ImagePatchInput.patched($0) }
        let outcome = Self.decodeImage(image)
        if let expected { #expect(outcome == expected, "\(name)") }
        // Whatever decodes without warnings re-encodes and reads back to the
        // same state. A memfd file kept as raw data (a warning) holds a
        // physical address of this image's layout, which a new layout does
        // not keep: it re-encodes, and reads back, with nothing to compare.
        // An FLB with count 0 (a warning too) the writer refuses.
        if case let .image(decoded) = try? KHOImageReader.decode(ReadOnlyBytes(copying: image)) {
            if decoded.warnings.isEmpty {
                let again = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: try KHOImageWriter().encode(decoded.state).bytes))
                #expect(again.state == decoded.state, "\(name)")
            } else if let encoded = try? KHOImageWriter().encode(decoded.state) {
                _ = try? KHOImageReader.decodeImage(ReadOnlyBytes(copying: encoded.bytes))
            }
        }
    }
}
