import CLibFDT

/// One of libfdt's `FDT_ERR_*` codes, by the name libfdt gives it.
public enum LibFDTErrorCode: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case notFound = 1
    case exists = 2
    case noSpace = 3
    case badOffset = 4
    case badPath = 5
    case badPhandle = 6
    case badState = 7
    case truncated = 8
    case badMagic = 9
    case badVersion = 10
    case badStructure = 11
    case badLayout = 12
    case `internal` = 13
    case badNCells = 14
    case badValue = 15
    case badOverlay = 16
    case noPhandles = 17
    case badFlags = 18
    case alignment = 19

    /// Maps a negative libfdt return value to its code; unknown values map to `.internal`.
    public init(returnValue: Int32) {
        self = LibFDTErrorCode(rawValue: -returnValue) ?? .internal
    }

    /// The C macro's name, e.g. `FDT_ERR_BADMAGIC`.
    public var name: String {
        switch self {
        case .notFound: "FDT_ERR_NOTFOUND"
        case .exists: "FDT_ERR_EXISTS"
        case .noSpace: "FDT_ERR_NOSPACE"
        case .badOffset: "FDT_ERR_BADOFFSET"
        case .badPath: "FDT_ERR_BADPATH"
        case .badPhandle: "FDT_ERR_BADPHANDLE"
        case .badState: "FDT_ERR_BADSTATE"
        case .truncated: "FDT_ERR_TRUNCATED"
        case .badMagic: "FDT_ERR_BADMAGIC"
        case .badVersion: "FDT_ERR_BADVERSION"
        case .badStructure: "FDT_ERR_BADSTRUCTURE"
        case .badLayout: "FDT_ERR_BADLAYOUT"
        case .internal: "FDT_ERR_INTERNAL"
        case .badNCells: "FDT_ERR_BADNCELLS"
        case .badValue: "FDT_ERR_BADVALUE"
        case .badOverlay: "FDT_ERR_BADOVERLAY"
        case .noPhandles: "FDT_ERR_NOPHANDLES"
        case .badFlags: "FDT_ERR_BADFLAGS"
        case .alignment: "FDT_ERR_ALIGNMENT"
        }
    }

    /// The C macro's name.
    public var description: String { name }
}
