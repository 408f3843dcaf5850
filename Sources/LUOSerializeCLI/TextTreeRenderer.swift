import HandoverModel
import KHOImage
import KernelABI

/// `decode --format text`: the image as a readable tree, in the spirit of
/// fdtdump, with every structure decoded and every physical address shown.
enum TextTreeRenderer {
    /// The tree for a whole image read from `path` (`fileSize` bytes).
    static func render(_ image: DecodedImage, path: String, fileSize: UInt64) -> String {
        var out = ""
        let layout = image.layout
        let state = image.state
        out += "KHO image \(path) (\(fileSize) bytes, \(Hex.byteCount(fileSize)))\n"

        out += "image regions (\(layout.regions.count)):\n"
        for region in layout.regions {
            out += "  region \(Hex.format(region.phys))..\(Hex.format(region.end)) size \(Hex.format(region.size))"
                + " (\(Hex.byteCount(region.size))) at file offset \(Hex.format(region.fileOffset))\n"
        }

        out += "KHO root FDT @ \(Hex.format(layout.khoRootFDTPhys)) (\(image.khoRootFDT.count) bytes, \(KHOv2RootFDT.compatible)):\n"
        out += FDTDumpFormatter.dump(image.khoRootFDT, indent: "  ")
        if !image.otherSubtrees.isEmpty {
            out += "  other subtrees: "
                + image.otherSubtrees.map { "\($0.name) @ \(Hex.format($0.phys))" }.joined(separator: ", ") + "\n"
        }

        out += "preserved-memory-map @ \(Hex.format(layout.memoryMapPhys)) (radix tree): "
            + "\(layout.preservedBlocks.count) blocks, \(layout.preservedPages) pages\n"
        for block in layout.preservedBlocks {
            out += "  block \(Hex.format(block.phys))..\(Hex.format(block.phys + block.size)) order \(block.order)"
                + " (\(Hex.byteCount(block.size)))\(owner(of: block.phys, image))\n"
        }

        out += "LUO FDT @ \(Hex.format(layout.luoFDTPhys)) (\(image.luoFDT.count) bytes, \(LUOv1.compatible)):\n"
        out += FDTDumpFormatter.dump(image.luoFDT, indent: "  ")
        out += "liveupdate-number: \(state.liveupdateNumber)\n"

        out += "sessions: luo_session_header_ser @ \(Hex.format(layout.sessionHeaderPhys)), count \(state.sessions.count)\n"
        for (index, session) in state.sessions.enumerated() {
            let sessionLayout = layout.sessions[index]
            out += "  session[\(index)] \"\(session.name)\": luo_session_ser @ \(Hex.format(sessionLayout.entryPhys))\n"
            out += "    file_set_ser: files @ \(Hex.format(sessionLayout.filesPhys)), count \(session.files.count)\n"
            for (slot, file) in session.files.enumerated() {
                let data = sessionLayout.fileData[slot]
                let entryPhys = sessionLayout.filesPhys + UInt64(slot * LUOFileSer.size)
                out += "    file[\(slot)] luo_file_ser @ \(Hex.format(entryPhys)): token \(file.token) (\(Hex.format(file.token))),"
                    + " compatible \"\(file.compatible)\", data \(Hex.format(data))\n"
                out += contentLines(file.content, data: data, indent: "      ")
            }
        }

        out += "FLB: luo_flb_header_ser @ \(Hex.format(layout.flbHeaderPhys)), count \(state.flbs.count)\n"
        for (index, flb) in state.flbs.enumerated() {
            let entryPhys = layout.flbHeaderPhys + UInt64(LUOFLBHeaderSer.size + index * LUOFLBSer.size)
            out += "  flb[\(index)] luo_flb_ser @ \(Hex.format(entryPhys)): name \"\(flb.name)\", data \(Hex.format(flb.data)), count \(flb.count)\n"
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
    private static func contentLines(_ content: FileContent, data: UInt64, indent: String) -> String {
        switch content {
        case let .data(value):
            return "\(indent)raw data \(Hex.format(value)) (no pages)\n"
        case let .payload(bytes):
            return "\(indent)payload: \(bytes.count) bytes (\(Hex.byteCount(UInt64(bytes.count)))) in a preserved block @ \(Hex.format(data))\n"
                + "\(indent)  \(Hex.preview(bytes[...]))\n"
        case let .memfd(memfd):
            let pages = (memfd.size + 4095) / 4096
            var lines = "\(indent)memfd-v1: memfd_luo_ser @ \(Hex.format(data)): size \(memfd.size), pos \(memfd.position),"
                + " \(pages) folio\(pages == 1 ? "" : "s")\n"
            if !memfd.contents.isEmpty { lines += "\(indent)  \(Hex.preview(memfd.contents[...]))\n" }
            return lines
        }
    }

    /// Which structure a preserved block holds, when the layout says.
    private static func owner(of phys: UInt64, _ image: DecodedImage) -> String {
        let layout = image.layout
        if phys == layout.khoRootFDTPhys { return "  KHO root FDT" }
        if phys == layout.luoFDTPhys { return "  LUO FDT" }
        if phys == layout.sessionHeaderPhys { return "  session block" }
        if phys == layout.flbHeaderPhys { return "  FLB block" }
        for (index, session) in layout.sessions.enumerated() {
            if phys == session.filesPhys { return "  file array of session[\(index)]" }
            if let slot = session.fileData.firstIndex(of: phys) {
                switch image.state.sessions[index].files[slot].content {
                case .memfd: return "  memfd_luo_ser of session[\(index)].file[\(slot)]"
                case .payload: return "  payload of session[\(index)].file[\(slot)]"
                case .data: break
                }
            }
        }
        return ""
    }

    /// The tree for a bare KHO root FDT.
    static func render(khoRoot contents: KHOv2RootFDT.Contents, bytes: [UInt8], path: String) -> String {
        var out = "bare KHO root FDT \(path) (\(bytes.count) bytes): addresses only, the memory they name is not in this file\n"
        out += FDTDumpFormatter.dump(bytes, indent: "  ")
        out += "preserved-memory-map @ \(Hex.format(contents.memoryMapPhys))\n"
        for subtree in contents.subtrees {
            out += "subtree \(subtree.name): preserved-data @ \(Hex.format(subtree.phys))\n"
        }
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
