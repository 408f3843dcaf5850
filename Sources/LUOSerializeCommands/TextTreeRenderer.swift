import FDT
import HandoverModel
import KHOImage
import KernelABI
import HexFormat

/// `decode --format text`: the image as a readable tree, in the spirit of
/// fdtdump, with every structure decoded and every physical address shown.
enum TextTreeRenderer {
    /// The tree for a whole image read from `path` (or, `imported`,
    /// imported from the captured memory at `path`). Everything comes from
    /// `image`: the file is not opened again.
    static func render(_ image: DecodedImage, path: String, imported: Bool = false) -> String {
        var out = ""
        let layout = image.layout
        let state = image.state
        let fileSize = UInt64(image.memory.fileSize)
        let owners = blockOwners(image)
        out += "KHO image \(imported ? "imported from " : "")\(path) (\(fileSize) bytes, \(Hex.byteCount(fileSize)))\n"
        out += generationLine(state.generation)

        out += "image index (\(image.index.count) bytes; regions start at the next page boundary):\n"
        out += FDTDumpFormatter.dump(image.index, indent: "  ", u64: .bigEndianCells)
        out += "image regions (\(layout.regions.count)):\n"
        for region in layout.regions {
            out += "  region \(Hex.format(region.phys))..\(Hex.format(region.end)) size \(Hex.format(region.size))"
                + " (\(Hex.byteCount(region.size))) at file offset \(Hex.format(region.fileOffset))\n"
        }

        out += "KHO root FDT @ \(Hex.format(layout.khoRootFDTPhys)) (\(image.khoRootFDT.count) bytes, \(state.generation.khoRoot.compatible)):\n"
        out += FDTDumpFormatter.dump(image.khoRootFDT, indent: "  ")
        if let metadata = state.kexecMetadata, let format = state.generation.kexecMetadata {
            out += "\(format.nodeName): kho_kexec_metadata @ \(Hex.format(layout.kexecMetadataPhys)) (\(format.size) bytes):"
                + " version \(format.version), previous_release \(DisplayEscaping.quoted(metadata.previousRelease)), kexec_count \(metadata.kexecCount)\n"
        }
        if !image.otherSubtrees.isEmpty {
            out += "  other subtrees: "
                + image.otherSubtrees.map { "\(DisplayEscaping.quoted($0.name)) @ \(Hex.format($0.phys))" }.joined(separator: ", ") + "\n"
        }

        let mapKind = image.state.generation.khoRoot.memoryMap == .chunkedBitmaps
            ? "kho-v1 chunk list of per-order bitmaps" : "radix tree"
        out += "preserved-memory-map @ \(Hex.format(layout.memoryMapPhys)) (\(mapKind)): "
            + "\(layout.preservedBlocks.count) blocks, \(layout.preservedPages) pages\n"
        for block in layout.preservedBlocks {
            out += "  block \(Hex.format(block.phys))..\(Hex.format(block.phys + block.size)) order \(block.order)"
                + " (\(Hex.byteCount(block.size)))\(owners[block.phys].map { "  " + $0 } ?? "")\n"
        }

        if state.generation.luo.isFDT {
            out += "LUO FDT @ \(Hex.format(layout.luoFDTPhys)) (\(image.luoFDT.count) bytes, \(LUOv1.compatible)):\n"
            out += FDTDumpFormatter.dump(image.luoFDT, indent: "  ")
            out += "liveupdate-number: \(state.liveupdateNumber)\n"
            out += "sessions: luo_session_header_ser @ \(Hex.format(layout.sessionHeaderPhys)), count \(state.sessions.count)\n"
        } else {
            out += "LUO luo_ser @ \(Hex.format(layout.luoFDTPhys)) (\(image.luoFDT.count) bytes, \(state.generation.luo.compatible)):"
                + " liveupdate_num \(state.liveupdateNumber), sessions_pa \(Hex.format(layout.sessionHeaderPhys)),"
                + " flbs_pa \(Hex.format(layout.flbHeaderPhys))\n"
            out += "sessions: \(state.sessions.count) in \(layout.sessionBlocks.count) kho_block\(layout.sessionBlocks.count == 1 ? "" : "s")"
                + "\(layout.sessionBlocks.isEmpty ? "" : ": " + layout.sessionBlocks.map { Hex.format($0) }.joined(separator: " -> "))\n"
        }
        for (index, session) in image.sessions.enumerated() {
            let sessionLayout = session.layout
            out += "  session[\(index)] \(DisplayEscaping.quoted(session.name.bytes)): luo_session_ser @ \(Hex.format(sessionLayout.entryPhys))\n"
            out += "    file_set_ser: files @ \(Hex.format(sessionLayout.filesPhys)), count \(session.files.count)"
                + (sessionLayout.fileBlocks.count > 1
                    ? " in kho_blocks " + sessionLayout.fileBlocks.map { Hex.format($0) }.joined(separator: " -> ") : "") + "\n"
            for (slot, file) in session.files.enumerated() {
                let record = file.record
                out += "    file[\(slot)] luo_file_ser @ \(Hex.format(file.entryPhys)): token \(record.token) (\(Hex.format(record.token))),"
                    + " compatible \(DisplayEscaping.quoted(record.compatible)), data \(Hex.format(file.data))\n"
                out += contentLines(record.content, data: file.data, handler: state.generation.memfd, indent: "      ")
                if let structures = file.memfd { out += memfdLines(structures, indent: "        ") }
            }
        }

        out += "FLB: luo_flb_header_ser @ \(Hex.format(layout.flbHeaderPhys)), count \(state.flbs.count)\n"
        for (index, flb) in state.flbs.enumerated() {
            let entryPhys = layout.flbHeaderPhys + UInt64(LUOFLBHeaderSer.size + index * LUOFLBSer.size)
            out += "  flb[\(index)] luo_flb_ser @ \(Hex.format(entryPhys)): name \(DisplayEscaping.quoted(flb.name)), data \(Hex.format(flb.data)), count \(flb.count)\n"
        }

        if image.unreferencedBlocks.isEmpty {
            out += "unreferenced preserved blocks: none\n"
        } else {
            out += "unreferenced preserved blocks: \(image.unreferencedBlocks.count)\n"
            for block in image.unreferencedBlocks {
                out += "  block \(Hex.format(block.phys)) order \(block.order)\n"
            }
        }
        return out
    }

    /// What a file's handler preserved, summarised.
    private static func contentLines(_ content: FileContent, data: UInt64, handler: MemfdFormat, indent: String) -> String {
        switch content {
        case let .data(value):
            return "\(indent)raw data \(Hex.format(value)) (no pages)\n"
        case let .payload(bytes):
            return "\(indent)payload: \(bytes.count) bytes (\(Hex.byteCount(UInt64(bytes.count)))) in a preserved block @ \(Hex.format(data))\n"
                + "\(indent)  \(Hex.preview(bytes[...]))\n"
        case let .memfd(memfd):
            let pages = (memfd.size + 4095) / 4096
            let seals = handler.carriesSeals ? " seals \(Hex.format(UInt64(memfd.seals))) \(sealNames(memfd.seals))," : ""
            var lines = "\(indent)\(handler.compatible): memfd_luo_ser @ \(Hex.format(data)): size \(memfd.size), pos \(memfd.position),"
                + "\(seals) \(pages) folio\(pages == 1 ? "" : "s")\n"
            // The first bytes only (one past the preview, for its "..."):
            // the contents may be gigabytes of the image file.
            if memfd.source.count > 0, let head = try? memfd.source.bytes(in: 0..<min(memfd.source.count, 17)) {
                lines += "\(indent)  \(Hex.preview(head[...]))\n"
            }
            return lines
        }
    }

    /// Which generation an image is in and which kernels write it.
    static func generationLine(_ generation: KernelGeneration) -> String {
        let writers = generation.releases.isEmpty
            ? "no released kernel writes it (pre-release)"
            : "written by Linux \(generation.releases.joined(separator: ", "))"
        return "generation: \(generation.name); \(writers)\n"
    }

    /// `(SEAL|GROW)`-style names of memfd seals, `(none)` for 0.
    static func sealNames(_ seals: UInt32) -> String {
        let names: [(UInt32, String)] = [(0x1, "SEAL"), (0x2, "SHRINK"), (0x4, "GROW"), (0x8, "WRITE"),
                                         (0x10, "FUTURE_WRITE"), (0x20, "EXEC")]
        let set = names.filter { seals & $0.0 != 0 }.map(\.1)
        let unknown = seals & ~names.reduce(0) { $0 | $1.0 }
        let all = set + (unknown != 0 ? [Hex.format(UInt64(unknown))] : [])
        return "(" + (all.isEmpty ? "none" : all.joined(separator: "|")) + ")"
    }

    /// The memfd structures behind a file: the vmalloc chunks and the
    /// folio entries (the first few, when there are many).
    private static func memfdLines(_ memfd: MemfdStructures, indent: String) -> String {
        let area = memfd.ser.folios
        var out = ""
        if let extra = memfd.sealsAndFlags {
            out += "\(indent)seals \(Hex.format(UInt64(extra.seals))) \(sealNames(extra.seals)), flags \(Hex.format(UInt64(extra.flags)))\n"
        }
        out += "\(indent)folios: kho_vmalloc { first \(Hex.format(area.first)), total_pages \(area.totalPages),"
            + " flags \(Hex.format(UInt64(area.flags))), order \(area.order) }, nr_folios \(memfd.ser.folioCount)\n"
        for chunk in memfd.chunks {
            out += "\(indent)kho_vmalloc_chunk @ \(Hex.format(chunk.phys)): \(chunk.pages.count) folio array page"
                + "\(chunk.pages.count == 1 ? "" : "s"): \(chunk.pages.prefix(8).map { Hex.format($0) }.joined(separator: ", "))"
                + "\(chunk.pages.count > 8 ? ", ..." : "")\n"
        }
        let shown = 8
        for (slot, folio) in memfd.folios.prefix(shown).enumerated() {
            var flags: [String] = []
            if folio.flags & MemfdV1.folioDirty != 0 { flags.append("DIRTY") }
            if folio.flags & MemfdV1.folioUptodate != 0 { flags.append("UPTODATE") }
            out += "\(indent)folio[\(slot)] pfn \(Hex.format(folio.pfn)) (phys \(Hex.format(folio.pfn << UInt64(PageGeometry.pageShift))))"
                + " flags \(Hex.format(folio.flags))\(flags.isEmpty ? "" : " (" + flags.joined(separator: "|") + ")") index \(folio.index)\n"
        }
        if memfd.folios.count > shown { out += "\(indent)... \(memfd.folios.count - shown) more folios\n" }
        return out
    }

    /// Which structure each preserved block holds, by its address.
    private static func blockOwners(_ image: DecodedImage) -> [UInt64: String] {
        let layout = image.layout
        var owners: [UInt64: String] = [
            layout.khoRootFDTPhys: "KHO root FDT", layout.luoFDTPhys: "LUO FDT",
            layout.sessionHeaderPhys: "session block", layout.flbHeaderPhys: "FLB block",
        ]
        if layout.kexecMetadataPhys != 0 { owners[layout.kexecMetadataPhys] = "kexec-metadata" }
        if !image.state.generation.luo.isFDT { owners[layout.luoFDTPhys] = "luo_ser" }
        for (number, block) in layout.sessionBlocks.enumerated() { owners[block] = "session block \(number)" }
        for (index, session) in image.sessions.enumerated() {
            if session.layout.filesPhys != 0 { owners[session.layout.filesPhys] = "file array of session[\(index)]" }
            for (number, block) in session.layout.fileBlocks.enumerated() {
                owners[block] = "file block \(number) of session[\(index)]"
            }
            for (slot, file) in session.files.enumerated() {
                let name = "session[\(index)].file[\(slot)]"
                switch file.record.content {
                case .memfd:
                    owners[file.data] = "memfd_luo_ser of \(name)"
                    guard let structures = file.memfd else { continue }
                    for chunk in structures.chunks {
                        owners[chunk.phys] = "kho_vmalloc chunk of \(name)"
                        for page in chunk.pages { owners[page] = "folio array of \(name)" }
                    }
                    for folio in structures.folios where folio.pfn != 0 {
                        owners[folio.pfn << UInt64(PageGeometry.pageShift)] = "memfd folio (index \(folio.index)) of \(name)"
                    }
                case .payload:
                    owners[file.data] = "payload of \(name)"
                case .data:
                    break
                }
            }
        }
        return owners
    }

    /// The tree for a bare KHO root FDT.
    static func render(khoRoot contents: KHOv2RootFDT.Contents, bytes: [UInt8], path: String) -> String {
        var out = "bare KHO root FDT \(path) (\(bytes.count) bytes): addresses only, the memory they name is not in this file\n"
        if let compatible = try? FDTBlob(bytes: bytes).root.string("compatible"),
           let generation = KernelGeneration.supported.first(where: { $0.khoRoot.compatible == compatible }) {
            out += generationLine(generation)
        }
        out += FDTDumpFormatter.dump(bytes, indent: "  ")
        out += "preserved-memory-map @ \(Hex.format(contents.memoryMapPhys))\n"
        for subtree in contents.subtrees {
            out += "subtree \(DisplayEscaping.escaped(subtree.name)): preserved-data @ \(Hex.format(subtree.phys))\n"
        }
        return out
    }

    /// The tree for a bare `luo-v5` `struct luo_ser` (debugfs `sub_fdts/LUO` of v7.2+).
    static func render(luoSer ser: LUOSer, path: String) -> String {
        var out = "bare luo_ser \(path) (\(LUOSer.size) bytes, not an FDT): addresses only, the memory they name is not in this file\n"
        out += generationLine(.linux7_3)
        out += "compatible: \(DisplayEscaping.quoted(ser.compatible))\n"
        out += "liveupdate_num: \(ser.liveupdateNumber)\n"
        out += "sessions_pa: \(Hex.format(ser.sessionsPhys))\(ser.sessionsPhys == 0 ? " (no sessions)" : " (first session kho_block)")\n"
        out += "flbs_pa: \(Hex.format(ser.flbsPhys)) (luo_flb_header_ser)\n"
        return out
    }

    /// The tree for a bare LUO FDT.
    static func render(luo contents: LUOv1FDT.Contents, bytes: [UInt8], path: String) -> String {
        var out = "bare LUO FDT \(path) (\(bytes.count) bytes): addresses only, the memory they name is not in this file\n"
        out += FDTDumpFormatter.dump(bytes, indent: "  ")
        out += "liveupdate-number: \(contents.liveupdateNumber)\n"
        out += "sessions: luo_session_header_ser @ \(Hex.format(contents.sessionHeaderPhys))\n"
        out += "FLB: luo_flb_header_ser @ \(Hex.format(contents.flbHeaderPhys))\n"
        return out
    }
}
