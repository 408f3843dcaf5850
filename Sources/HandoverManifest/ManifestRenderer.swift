import Foundation
import HandoverModel
import HexFormat

/// A JSON value whose object members keep the order they were given in.
enum OrderedJSON {
    /// An object, members in order.
    case object([(key: String, value: OrderedJSON)])
    /// An array.
    case array([OrderedJSON])
    /// A string, escaped when written.
    case string(String)
    /// A number, written as given.
    case number(String)
}

/// Writes a ``HandoverState`` as canonical manifest JSON: keys in schema
/// order, two-space indentation, `data` as a `"0x…"` string, every other
/// number as an exact integer, bytes as base64, one trailing newline.
enum ManifestRenderer {
    static func render(_ state: HandoverState, contentsFile: (_ session: Int, _ file: Int) -> String? = { _, _ in nil }) -> String {
        var output = ""
        write(document(state, contentsFile: contentsFile), indent: 0, into: &output)
        output += "\n"
        return output
    }

    static func document(_ state: HandoverState,
                         contentsFile: (_ session: Int, _ file: Int) -> String? = { _, _ in nil }) -> OrderedJSON {
        let seals = state.generation.memfd.carriesSeals
        var members: [(key: String, value: OrderedJSON)] = [
            (ManifestKeys.kernel, .string(state.generation.manifestName)),
            (ManifestKeys.liveupdateNumber, .number(String(state.liveupdateNumber))),
            (ManifestKeys.sessions, .array(state.sessions.enumerated().map { index, record in
                session(record, seals: seals) { contentsFile(index, $0) }
            })),
            (ManifestKeys.flb, .array(state.flbs.map(flb))),
        ]
        if let metadata = state.kexecMetadata {
            members.append((ManifestKeys.kexecMetadata, .object([
                (ManifestKeys.previousRelease, .string(metadata.previousRelease)),
                (ManifestKeys.kexecCount, .number(String(metadata.kexecCount))),
            ])))
        }
        return .object(members)
    }

    private static func session(_ session: SessionRecord, seals: Bool, contentsFile: (_ file: Int) -> String?) -> OrderedJSON {
        .object([
            nameKey(session.name),
            (ManifestKeys.files, .array(session.files.enumerated().map { file($1, seals: seals, contentsFile: contentsFile($0)) })),
        ])
    }

    /// `name` for a name whose bytes are UTF-8, `name_hex` for any other,
    /// and for one holding U+FEFF, which a YAML reader drops as a byte
    /// order mark: either way the name reads back as the same bytes.
    private static func nameKey(_ name: SessionName) -> (key: String, value: OrderedJSON) {
        if let text = name.string, !text.unicodeScalars.contains("\u{feff}") { return (ManifestKeys.name, .string(text)) }
        return (ManifestKeys.nameHex, .string(name.hexSpelling))
    }

    private static func file(_ file: FileRecord, seals: Bool, contentsFile: String?) -> OrderedJSON {
        var members: [(key: String, value: OrderedJSON)] = [
            (ManifestKeys.token, .number(String(file.token))),
            (ManifestKeys.compatible, .string(file.compatible)),
        ]
        switch file.content {
        case let .data(value):
            members.append((ManifestKeys.data, .string(Hex.format(value))))
        case let .payload(bytes):
            if let contentsFile {
                members.append((ManifestKeys.payloadFile, .string(contentsFile)))
            } else {
                members.append((ManifestKeys.payloadBase64, .string(Data(bytes).base64EncodedString())))
            }
        case let .memfd(memfd):
            var section: [(key: String, value: OrderedJSON)] = [
                (ManifestKeys.size, .number(String(memfd.size))),
                (ManifestKeys.position, .number(String(memfd.position))),
            ]
            // Seals only where the handler carries them (a memfd-v1 state
            // has none; the writer refuses any).
            if seals || memfd.seals != 0 { section.append((ManifestKeys.seals, .string(Hex.format(UInt64(memfd.seals))))) }
            if let contentsFile {
                section.append((ManifestKeys.contentsFile, .string(contentsFile)))
            } else {
                section.append((ManifestKeys.contentsBase64, .string(Data(memfd.contents).base64EncodedString())))
            }
            members.append((ManifestKeys.memfd, .object(section)))
        }
        return .object(members)
    }

    private static func flb(_ flb: FLBRecord) -> OrderedJSON {
        .object([
            (ManifestKeys.name, .string(flb.name)),
            (ManifestKeys.data, .string(Hex.format(flb.data))),
            (ManifestKeys.count, .number(String(flb.count))),
        ])
    }


    static func write(_ value: OrderedJSON, indent: Int, into output: inout String) {
        let inner = String(repeating: "  ", count: indent + 1)
        switch value {
        case let .object(members):
            guard !members.isEmpty else { output += "{}"; return }
            output += "{"
            for (index, member) in members.enumerated() {
                output += index == 0 ? "\n" : ",\n"
                output += inner
                writeString(member.key, into: &output)
                output += ": "
                write(member.value, indent: indent + 1, into: &output)
            }
            output += "\n" + String(repeating: "  ", count: indent) + "}"
        case let .array(elements):
            guard !elements.isEmpty else { output += "[]"; return }
            output += "["
            for (index, element) in elements.enumerated() {
                output += index == 0 ? "\n" : ",\n"
                output += inner
                write(element, indent: indent + 1, into: &output)
            }
            output += "\n" + String(repeating: "  ", count: indent) + "]"
        case let .string(text):
            writeString(text, into: &output)
        case let .number(text):
            output += text
        }
    }

    /// Writes `text` as a JSON string: `"` and `\` escaped, control
    /// characters as short escapes or `\uXXXX`, everything else as UTF-8.
    /// The characters a YAML reader refuses or takes as a line break (DEL,
    /// C1, U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF) are escaped too, so any
    /// UTF-8 name reads back as the same bytes in either format.
    static func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028
                    || scalar.value == 0x2029 || scalar.value == 0xfeff || scalar.value >= 0xfffe && scalar.value <= 0xffff {
                    output += "\\u" + Hex.digits(scalar.value, width: 4)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
