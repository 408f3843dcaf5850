import FDT
import KernelABI
import Testing

/// SplitMix64: a fixed-seed generator, so every run checks the same trees.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Random call sequences through libfdt (the FDT layer) and through the
/// reference encoder must give the same bytes. Property names are drawn
/// from a set where some are tails of others ("name" in "node-name"), the
/// case where libfdt reuses part of an existing string.
@Suite struct GeneratedTreeTests {
    static let propertyNames = ["node-name", "name", "me", "compatible", "patible", "reg", "x", "preserved-data", "data"]
    static let nodeNames = ["a", "bb", "ccc", "dddd", "node@1000", "LUO", "x-y-z"]

    static func value(_ rng: inout SplitMix64, lengths: ClosedRange<Int> = 0...13, multipleOf step: Int = 1) -> [UInt8] {
        let length = Int.random(in: lengths, using: &rng) / step * step
        return (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    @Test(arguments: 1...40)
    func sequentialWriterMatchesTheReference(seed: UInt64) throws {
        var rng = SplitMix64(state: seed)
        let writer = try FDTSequentialWriter(capacity: 8192)
        var reference = ReferenceSequentialWriter()
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let address = UInt64.random(in: 0...UInt64.max, using: &rng)
            let size = UInt64.random(in: 0...UInt64.max, using: &rng)
            try writer.addReservation(address: address, size: size)
            reference.addReservation(address: address, size: size)
        }
        try writer.finishReservemap()
        try writer.beginNode("")
        reference.beginNode("")
        var depth = 1
        var steps = 0
        // Properties of a node come before its subnodes, as in every kernel sequence.
        var mayAddProperty = true
        while depth > 0 {
            steps += 1
            let choice = steps > 60 ? 9 : Int.random(in: 0..<10, using: &rng)
            if choice < 4 && mayAddProperty {
                let name = Self.propertyNames.randomElement(using: &rng)!
                let bytes = Self.value(&rng)
                try writer.property(name, bytes: bytes)
                reference.property(name, bytes)
            } else if choice < 7 && depth < 4 {
                let name = Self.nodeNames.randomElement(using: &rng)!
                try writer.beginNode(name)
                reference.beginNode(name)
                depth += 1
                mayAddProperty = true
            } else {
                try writer.endNode()
                reference.endNode()
                depth -= 1
                mayAddProperty = false
            }
        }
        try writer.finish()
        let expected = reference.finish().bytes
        #expect(writer.blob == expected)
        _ = try FDTBlob(bytes: expected)
    }

    @Test(arguments: 1...40)
    func editorMatchesTheReference(seed: UInt64) throws {
        var rng = SplitMix64(state: seed &* 7919)
        let writer = try FDTSequentialWriter(capacity: 4096)
        var sequential = ReferenceSequentialWriter()
        try writer.finishReservemap()
        try writer.beginNode("")
        sequential.beginNode("")
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let name = Self.propertyNames.randomElement(using: &rng)!
            let bytes = Self.value(&rng)
            try writer.property(name, bytes: bytes)
            sequential.property(name, bytes)
        }
        try writer.endNode()
        sequential.endNode()
        try writer.finish()
        var reference = sequential.finish()
        let editor = FDTEditor(editing: writer.buffer)
        var used: Set<String> = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            // kho_add_subtree's steps, with random names and values.
            let name = Self.nodeNames.randomElement(using: &rng)!
            guard used.insert(name).inserted else { continue }
            try editor.openInPlace(capacity: 4096)
            let node = try editor.addSubnode(parentOffset: 0, name: name)
            let referenceNode = reference.addSubnode(parent: 0, name: name)
            #expect(Int(node) == referenceNode)
            let count = Int.random(in: 1...2, using: &rng)
            for property in Self.propertyNames.shuffled(using: &rng).prefix(count) {
                // Whole cells only: libfdt 1.6.1's fdt_setprop leaves the padding after
                // a shorter value as whatever bytes were moved there before (the
                // kernel's only fdt_setprop, of a u64, has no padding).
                let bytes = Self.value(&rng, lengths: 0...16, multipleOf: 4)
                try editor.setProperty(nodeOffset: node, name: property, bytes: bytes)
                reference.addProperty(node: referenceNode, name: property, value: bytes)
            }
            try editor.pack()
            reference.pack()
            #expect(editor.blob == reference.bytes)
        }
    }
}

/// The parsers' errors on FDTs the reference encoder builds.
@Suite struct ParserErrorTests {
    static func luo(_ body: (inout ReferenceSequentialWriter) -> Void) throws -> FDTBlob {
        var w = ReferenceSequentialWriter()
        w.beginNode("")
        body(&w)
        w.endNode()
        return try FDTBlob(bytes: w.finish().bytes)
    }

    @Test func luoFDTMissingPieces() throws {
        let noFLB = try Self.luo { w in
            w.property("compatible", string: "luo-v1")
            w.property("liveupdate-number", rawU64: 1)
            w.beginNode("luo-session")
            w.property("compatible", string: "luo-session-v2")
            w.property("luo-session-header", rawU64: 0x1000)
            w.endNode()
        }
        #expect(throws: ABIError.fdt(.missingNode(path: "/luo-flb"))) { try LUOv1FDT.parse(noFLB) }
        let shortNumber = try Self.luo { w in
            w.property("compatible", string: "luo-v1")
            w.property("liveupdate-number", [1, 0, 0, 0])
        }
        #expect(throws: ABIError.fdt(.badPropertyLength(node: "/", property: "liveupdate-number", expected: 8, actual: 4))) {
            try LUOv1FDT.parse(shortNumber)
        }
        let noNumber = try Self.luo { w in w.property("compatible", string: "luo-v1") }
        #expect(throws: ABIError.fdt(.missingProperty(node: "/", property: "liveupdate-number"))) { try LUOv1FDT.parse(noNumber) }
        let twoStrings = try Self.luo { w in w.property("compatible", Array("luo-v1\0luo-v0\0".utf8)) }
        #expect(throws: ABIError.fdt(.badString(node: "/", property: "compatible"))) { try LUOv1FDT.parse(twoStrings) }
        let noSessionHeader = try Self.luo { w in
            w.property("compatible", string: "luo-v1")
            w.property("liveupdate-number", rawU64: 1)
            w.beginNode("luo-session")
            w.property("compatible", string: "luo-session-v2")
            w.endNode()
        }
        #expect(throws: ABIError.fdt(.missingProperty(node: "/luo-session", property: "luo-session-header"))) {
            try LUOv1FDT.parse(noSessionHeader)
        }
    }

    @Test func khoRootMissingPieces() throws {
        let noData = try Self.luo { w in
            w.property("compatible", string: "kho-v2")
            w.property("preserved-memory-map", rawU64: 0x1000)
            w.beginNode("LUO")
            w.endNode()
        }
        // Like kho_retrieve_subtree, a subnode without preserved-data only
        // fails when it is asked for.
        let parsed = try KHOv2RootFDT.parse(noData)
        #expect(parsed.subtrees.isEmpty)
        #expect(parsed.lookup("LUO") == .failure(.fdt(.missingProperty(node: "/LUO", property: "preserved-data"))))
        #expect(parsed.lookup("other") == nil)
        let shortMap = try Self.luo { w in
            w.property("compatible", string: "kho-v2")
            w.property("preserved-memory-map", [0, 0x10, 0, 0])
        }
        #expect(throws: ABIError.fdt(.badPropertyLength(node: "/", property: "preserved-memory-map", expected: 8, actual: 4))) {
            try KHOv2RootFDT.parse(shortMap)
        }
        let later = try Self.luo { w in w.property("compatible", string: "kho-v4") }
        #expect(throws: ABIError.unsupportedGeneration(node: "/", found: "kho-v4", supported: "kho-v2")) { try KHOv2RootFDT.parse(later) }
    }

    @Test func knownGenerations() {
        #expect(KnownGenerations.khoRoot == ["kho-v1", "kho-v2", "kho-v3", "kho-v4"])
        #expect(KnownGenerations.luoRoot == ["luo-v1", "luo-v2", "luo-v3", "luo-v4", "luo-v5"])
        #expect(KnownGenerations.luoSession == ["luo-session-v1", "luo-session-v2", "luo-session-v3"])
        #expect(KnownGenerations.luoFLB == ["luo-flb-v1", "luo-flb-v2"])
    }
}
