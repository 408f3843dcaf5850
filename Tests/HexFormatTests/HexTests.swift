import HexFormat
import Testing

/// The one hexadecimal spelling every layer prints.
@Suite struct HexTests {
    @Test func digitsAndWidths() {
        #expect(Hex.digits(0) == "0")
        #expect(Hex.digits(UInt64(0xabc)) == "abc")
        #expect(Hex.digits(10, width: 2) == "0a")
        #expect(Hex.digits(UInt32(255), width: 4) == "00ff")
        #expect(Hex.digits(UInt64(0x1_0000_0000)) == "100000000")
        #expect(Hex.digits(UInt64.max) == "ffffffffffffffff")
        #expect(Hex.digits(UInt64.max, width: 20) == "0000ffffffffffffffff")
        #expect(Hex.digits(UInt64(0), width: 0) == "0")
        #expect(Hex.format(0x1000) == "0x1000")
        #expect(Hex.range(0x1000, 0x3000) == "0x1000-0x3000")
    }

    @Test func valuesOutsideSixtyFourBitsTakeTheStandardLibrarysSpelling() {
        #expect(Hex.digits(-1) == "-1")
    }

    @Test func agreesWithTheStandardLibraryEverywhere() {
        var value: UInt64 = 1
        for shift in 0..<64 {
            for candidate in [value, value &- 1, value | 0x5a5a] {
                #expect(Hex.digits(candidate) == String(candidate, radix: 16))
                #expect(Hex.digits(candidate, width: 17).count == max(17, String(candidate, radix: 16).count))
            }
            value = UInt64(1) << UInt64(shift + 1 < 64 ? shift + 1 : 63)
        }
    }
}
