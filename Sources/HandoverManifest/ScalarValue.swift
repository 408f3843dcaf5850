import Yams

/// What one scalar of the document is, decided from its text and quoting
/// rather than through `Double` or `Int`, so every `u64` stays exact.
enum ScalarValue: Equatable {
    /// A quoted or block scalar, or (YAML only) a bare string.
    case string(String)
    /// A bare integer, as written (sign and `0x` / `0o` prefix included).
    case integer(String)
    /// A bare number with a fraction or exponent, or `.inf` / `.nan`.
    case float(String)
    /// `true` or `false`.
    case boolean(Bool)
    /// `null`, `~` or nothing.
    case null

    /// Classifies `scalar` by the rules of `format`; `nil` for a bare
    /// scalar JSON does not allow (an unquoted word).
    init?(_ scalar: Node.Scalar, format: ManifestFormat) {
        let text = scalar.string
        guard scalar.style == .plain || scalar.style == .any else {
            self = .string(text)
            return
        }
        switch format {
        case .json:
            switch text {
            case "true": self = .boolean(true)
            case "false": self = .boolean(false)
            case "null": self = .null
            default:
                if ScalarValue.isDecimalInteger(text, allowPlus: false) {
                    self = .integer(text)
                } else if ScalarValue.isJSONFloat(text) {
                    self = .float(text)
                } else {
                    return nil
                }
            }
        case .yaml:
            switch text {
            case "", "~", "null", "Null", "NULL": self = .null
            case "true", "True", "TRUE": self = .boolean(true)
            case "false", "False", "FALSE": self = .boolean(false)
            case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
                self = .float(text)
            default:
                if ScalarValue.isDecimalInteger(text, allowPlus: true)
                    || ScalarValue.hasDigits(text, prefix: "0x", digits: "0123456789abcdefABCDEF")
                    || ScalarValue.hasDigits(text, prefix: "0o", digits: "01234567") {
                    self = .integer(text)
                } else if ScalarValue.isJSONFloat(text.hasPrefix("+") ? String(text.dropFirst()) : text)
                            || ScalarValue.isYAMLLeadingDotFloat(text) {
                    self = .float(text)
                } else {
                    self = .string(text)
                }
            }
        }
    }

    /// How an error message names this value.
    var summary: String {
        switch self {
        case let .string(text): return "string \"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case let .integer(text): return "integer \(text)"
        case let .float(text): return "number \(text)"
        case let .boolean(value): return "boolean \(value)"
        case .null: return "null"
        }
    }

    private static func isDecimalInteger(_ text: String, allowPlus: Bool) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || (allowPlus && digits.first == "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return true
    }

    private static func hasDigits(_ text: String, prefix: String, digits: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let rest = text.dropFirst(prefix.count)
        return !rest.isEmpty && rest.allSatisfy { digits.contains($0) }
    }

    /// JSON's number grammar with a fraction or an exponent.
    private static func isJSONFloat(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        let integer = rest.prefix { $0.isASCII && $0.isNumber }
        guard !integer.isEmpty else { return false }
        rest = rest.dropFirst(integer.count)
        var sawFractionOrExponent = false
        if rest.first == "." {
            rest = rest.dropFirst()
            let fraction = rest.prefix { $0.isASCII && $0.isNumber }
            guard !fraction.isEmpty else { return false }
            rest = rest.dropFirst(fraction.count)
            sawFractionOrExponent = true
        }
        if rest.first == "e" || rest.first == "E" {
            rest = rest.dropFirst()
            if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
            let exponent = rest.prefix { $0.isASCII && $0.isNumber }
            guard !exponent.isEmpty else { return false }
            rest = rest.dropFirst(exponent.count)
            sawFractionOrExponent = true
        }
        return rest.isEmpty && sawFractionOrExponent
    }

    /// YAML's `.5`, `-.5e3` forms.
    private static func isYAMLLeadingDotFloat(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        guard rest.first == "." else { return false }
        return isJSONFloat("0" + rest)
    }
}
