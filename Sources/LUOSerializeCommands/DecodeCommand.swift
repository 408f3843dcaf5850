import ArgumentParser
import HandoverManifest
import KHOImage
import KernelABI
import HexFormat
#if canImport(Glibc)
import Glibc
import HandoverModel
#endif

/// `decode IMAGE [--format json|text]`: an image back to its manifest, or to
/// a readable tree.
struct DecodeCommand: StreamedCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print an image as a manifest (JSON) or as a readable tree (text).",
        discussion: """
        json (the default) prints the manifest schema encode reads, canonically, so \
        encoding it again with the same --base gives identical bytes (the base address \
        is not part of the manifest; the image's first region starts at it). text prints \
        the image regions, the KHO root FDT, the preserved-memory map, the LUO FDT, every \
        session, file and FLB entry with its physical address. A bare KHO root FDT or LUO \
        FDT (as debugfs shows them) is decoded as far as it goes: the addresses it holds.

        Example:
          luo-serialize decode /tmp/handover.kho > handover.json
          luo-serialize decode /tmp/handover.kho --format text
          luo-serialize decode /sys/kernel/debug/kho/out/sub_fdts/LUO --format text
        """
    )

    @OptionGroup var input: HandoverInputArguments
    /// The input file as named on the command line.
    private var image: String { input.image }
    /// How to take the input when it is captured memory.
    private var source: MemorySourceOptions { input.source }

    @Option(help: "json: the manifest schema; text: a readable tree.")
    var format: DecodeFormat = .json

    @Option(help: ArgumentHelp(
        "json: write each memfd's contents and each payload to a file in this existing directory and name it in the manifest (contents_file, payload_file) instead of base64.",
        discussion: "The manifest names the files as DIR/NAME with DIR as given, which encode resolves against the manifest's directory: give DIR relative to where the manifest will be.",
        valueName: "DIR"), completion: .directory)
    var contentsDir: String?

    func run(writingTo streams: OutputStreams) throws {
        let loaded = try ImageInputLoader.load(image, source)
        switch loaded.input {
        case let .image(decoded):
            // What the next kernel accepts but no outgoing kernel writes.
            for warning in decoded.warnings {
                streams.writeError("luo-serialize: warning: \(image): \(warning.description)\n")
            }
            switch format {
            case .json:
                if let contentsDir {
                    streams.writeOutput(try ContentsDirectory(path: contentsDir).render(decoded.state))
                } else {
                    streams.writeOutput(HandoverManifest.render(decoded.state))
                }
                for note in Self.reEncodingNotes(decoded) {
                    streams.writeError("luo-serialize: note: \(image): \(note)\n")
                }
            case .text:
                streams.writeOutput(TextTreeRenderer.render(decoded, path: image, imported: loaded.isImported))
            }
        case let .khoRootFDT(contents, bytes):
            switch format {
            case .json:
                streams.writeOutput(BareFDTJSON.khoRoot(contents))
            case .text:
                streams.writeOutput(TextTreeRenderer.render(khoRoot: contents, bytes: bytes, path: image))
            }
        case let .luoFDT(contents, bytes):
            switch format {
            case .json:
                streams.writeOutput(BareFDTJSON.luo(contents))
            case .text:
                streams.writeOutput(TextTreeRenderer.render(luo: contents, bytes: bytes, path: image))
            }
        case let .luoSer(ser):
            switch format {
            case .json:
                streams.writeOutput(BareFDTJSON.luoSer(ser))
            case .text:
                streams.writeOutput(TextTreeRenderer.render(luoSer: ser, path: image))
            }
        }
    }
}

extension DecodeCommand {
    /// What a manifest cannot carry and `encode` would therefore not
    /// reproduce: a layout from another base, a layout the writer did not
    /// make at all (a real kernel's), preserved blocks no LUO structure
    /// refers to, and KHO subtrees other than `LUO`. A base is suggested only
    /// after encoding the decoded state from the image's base gave the
    /// image's own bytes, byte for byte.
    static func reEncodingNotes(_ image: DecodedImage) -> [String] {
        var notes: [String] = []
        let base = image.baseAddress
        let reproduced = (try? KHOImageWriter(base: base).encode(image.state)).map { encoded in
            encoded.fileSize == image.memory.fileSize && encoded.matches(image.memory)
        } ?? false
        if !reproduced {
            notes.append("its physical layout is not the one encode writes (a real kernel's, or an edited image):"
                + " encode lays the same state out anew; compare the two with diff")
        } else if base != KHOImageWriter.defaultBase {
            notes.append("laid out from base \(Hex.format(base)); encode with --base \(Hex.format(base)) to reproduce it byte for byte")
        }
        if !image.unreferencedBlocks.isEmpty {
            notes.append("\(image.unreferencedBlocks.count) preserved blocks no LUO structure refers to are not part of the manifest")
        }
        if !image.otherSubtrees.isEmpty {
            notes.append("KHO subtrees \(image.otherSubtrees.map { DisplayEscaping.quoted($0.name) }.joined(separator: ", ")) are not part of the manifest")
        }
        return notes
    }
}

/// The JSON `decode` prints for a bare FDT: what the FDT says, addresses
/// as `"0x…"` strings. It is not a manifest: the memory the addresses
/// name is not in the file.
enum BareFDTJSON {
    /// A bare KHO root FDT.
    static func khoRoot(_ contents: KHOv2RootFDT.Contents) -> String {
        let subtrees = contents.subtrees.map { "    {\n      \"name\": \(HandoverManifest.jsonStringLiteral($0.name)),\n      \"preserved_data\": \"\(Hex.format($0.phys))\"\n    }" }
        return """
        {
          "kind": "kho-root-fdt",
          "preserved_memory_map": "\(Hex.format(contents.memoryMapPhys))",
          "subtrees": \(subtrees.isEmpty ? "[]" : "[\n" + subtrees.joined(separator: ",\n") + "\n  ]")
        }

        """
    }

    /// A bare `luo-v5` `struct luo_ser` (32 bytes, not an FDT).
    static func luoSer(_ ser: LUOSer) -> String {
        """
        {
          "kind": "luo-ser",
          "compatible": \(HandoverManifest.jsonStringLiteral(ser.compatible)),
          "liveupdate_number": \(ser.liveupdateNumber),
          "sessions_pa": "\(Hex.format(ser.sessionsPhys))",
          "flbs_pa": "\(Hex.format(ser.flbsPhys))"
        }

        """
    }

    /// A bare LUO FDT.
    static func luo(_ contents: LUOv1FDT.Contents) -> String {
        """
        {
          "kind": "luo-fdt",
          "liveupdate_number": \(contents.liveupdateNumber),
          "luo_session_header": "\(Hex.format(contents.sessionHeaderPhys))",
          "luo_flb_header": "\(Hex.format(contents.flbHeaderPhys))"
        }

        """
    }
}
