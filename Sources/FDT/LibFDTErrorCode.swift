import CLibFDT

/// One of libfdt's `FDT_ERR_*` codes: the positive number a libfdt call
/// returns negated, in the style of swift-system's `Errno`.
///
/// The named members are the codes libfdt defines; any other number (a
/// newer libfdt's, or a corrupted return value) is kept as it is, so an
/// error never says more or less than libfdt did.
public struct LibFDTErrorCode: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The code, positive (`FDT_ERR_NOTFOUND` is 1).
    public let rawValue: Int32

    /// The code `rawValue`, known or not.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The code of a negative libfdt return value.
    public init(returnValue: Int32) { self.init(rawValue: -returnValue) }

    /// `FDT_ERR_NOTFOUND`: the node or property does not exist.
    public static var notFound: Self { Self(rawValue: FDT_ERR_NOTFOUND) }
    /// `FDT_ERR_EXISTS`: the node or property already exists.
    public static var exists: Self { Self(rawValue: FDT_ERR_EXISTS) }
    /// `FDT_ERR_NOSPACE`: the buffer has no room for the change.
    public static var noSpace: Self { Self(rawValue: FDT_ERR_NOSPACE) }
    /// `FDT_ERR_BADOFFSET`: an offset is not where a tag of the right kind starts.
    public static var badOffset: Self { Self(rawValue: FDT_ERR_BADOFFSET) }
    /// `FDT_ERR_BADPATH`: a path is malformed.
    public static var badPath: Self { Self(rawValue: FDT_ERR_BADPATH) }
    /// `FDT_ERR_BADPHANDLE`: a phandle is 0 or -1.
    public static var badPhandle: Self { Self(rawValue: FDT_ERR_BADPHANDLE) }
    /// `FDT_ERR_BADSTATE`: a sequential-write tree used before it is finished.
    public static var badState: Self { Self(rawValue: FDT_ERR_BADSTATE) }
    /// `FDT_ERR_TRUNCATED`: the tree or a structure in it ends early.
    public static var truncated: Self { Self(rawValue: FDT_ERR_TRUNCATED) }
    /// `FDT_ERR_BADMAGIC`: no FDT magic at the start.
    public static var badMagic: Self { Self(rawValue: FDT_ERR_BADMAGIC) }
    /// `FDT_ERR_BADVERSION`: a version libfdt does not handle.
    public static var badVersion: Self { Self(rawValue: FDT_ERR_BADVERSION) }
    /// `FDT_ERR_BADSTRUCTURE`: the structure block is malformed.
    public static var badStructure: Self { Self(rawValue: FDT_ERR_BADSTRUCTURE) }
    /// `FDT_ERR_BADLAYOUT`: the blocks are not in the order a write needs.
    public static var badLayout: Self { Self(rawValue: FDT_ERR_BADLAYOUT) }
    /// `FDT_ERR_INTERNAL`: libfdt found itself in a state it should not reach.
    public static var `internal`: Self { Self(rawValue: FDT_ERR_INTERNAL) }
    /// `FDT_ERR_BADNCELLS`: a `#address-cells` / `#size-cells` value is invalid.
    public static var badNCells: Self { Self(rawValue: FDT_ERR_BADNCELLS) }
    /// `FDT_ERR_BADVALUE`: a property has an unexpected value.
    public static var badValue: Self { Self(rawValue: FDT_ERR_BADVALUE) }
    /// `FDT_ERR_BADOVERLAY`: an overlay is malformed.
    public static var badOverlay: Self { Self(rawValue: FDT_ERR_BADOVERLAY) }
    /// `FDT_ERR_NOPHANDLES`: no phandle is left to allocate.
    public static var noPhandles: Self { Self(rawValue: FDT_ERR_NOPHANDLES) }
    /// `FDT_ERR_BADFLAGS`: a flags argument is invalid.
    public static var badFlags: Self { Self(rawValue: FDT_ERR_BADFLAGS) }
    /// `FDT_ERR_ALIGNMENT`: the tree does not start on an 8-byte boundary.
    public static var alignment: Self { Self(rawValue: FDT_ERR_ALIGNMENT) }

    /// The codes libfdt defines, in numeric order.
    public static var allCases: [LibFDTErrorCode] {
        [.notFound, .exists, .noSpace, .badOffset, .badPath, .badPhandle, .badState, .truncated, .badMagic,
         .badVersion, .badStructure, .badLayout, .internal, .badNCells, .badValue, .badOverlay, .noPhandles,
         .badFlags, .alignment]
    }

    /// The C macro's name, e.g. `FDT_ERR_BADMAGIC`; for a code libfdt does
    /// not define, `FDT_ERR_<number>`.
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
        default: "FDT_ERR_\(rawValue)"
        }
    }

    /// The C macro's name (``name``).
    public var description: String { name }
}
