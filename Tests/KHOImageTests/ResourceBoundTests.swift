import Foundation
import Glibc
import HandoverModel
import KHOImage
import Testing
import TestSupport

/// Decoding a hostile image takes memory in proportion to the file, never
/// to a count or size the image claims: `luo-serialize verify` on images
/// claiming a 1 TiB memfd, 256 folios or 819 sessions peaks at about the
/// memory it needs for the intact image (the CLI's own peak, measured from a small Python parent).
@Suite struct ResourceBoundTests {
    /// Runs `luo-serialize verify PATH`; its exit status and peak RSS (KiB).
    ///
    /// The CLI is started from a small Python process, not from this one:
    /// a child spawned with vfork semantics counts the RSS of the process it
    /// was spawned from (until its exec) in its own `ru_maxrss`, and this
    /// test process may hold large buffers of tests running in parallel.
    /// Python's `RUSAGE_CHILDREN` then holds the CLI's own peak.
    static func verify(_ path: String) throws -> (status: Int32, peakKiB: Int, seconds: Double) {
        try measure(["verify", path])
    }

    /// Runs `luo-serialize ARGUMENTS` the same way; its exit status, peak
    /// RSS (KiB) and wall-clock seconds.
    static func measure(_ arguments: [String]) throws -> (status: Int32, peakKiB: Int, seconds: Double) {
        let cli = try BuiltProducts.path("luo-serialize")
        let script = """
        import resource, subprocess, sys, time
        start = time.monotonic()
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.monotonic() - start
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, seconds)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, cli] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "the measuring Python failed")
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        try #require(fields.count == 3, "unexpected measurement: \(text)")
        let status = try #require(Int32(fields[0])), peak = try #require(Int(fields[1])), seconds = try #require(Double(fields[2]))
        try #require(status >= 0, "luo-serialize \(arguments.first ?? "") was killed by signal \(-status)")
        return (status, peak, seconds)
    }

    @Test func hostileCountsDoNotDriveMemory() throws {
        let directory = try TemporaryDirectory()
        let good = try CraftedImage()
        let goodPath = directory.path("good.kho")
        try AtomicFileWriter.write(good.bytes, to: goodPath)
        let baseline = try Self.verify(goodPath)
        #expect(baseline.status == 0)

        var hostile: [(String, CraftedImage)] = []
        var image = good
        image.put(u64: 1 << 40, at: good.memfdSer + 8)          // size: 1 TiB
        hostile.append(("memfd-size", image))
        image = good
        image.put(u64: 1 << 30, at: good.memfdSer + 8)          // size: 1 GiB
        image.put(u64: 256, at: good.memfdSer + 16)             // nr_folios: a full array page
        hostile.append(("memfd-folios", image))
        image = good
        image.put(u64: 819, at: good.layout.sessionHeaderPhys)  // sessions: the kernel's maximum
        hostile.append(("sessions", image))
        image = good
        image.put(u64: 63, at: good.layout.flbHeaderPhys + 8)   // FLB entries: the maximum
        hostile.append(("flbs", image))

        for (name, image) in hostile {
            let path = directory.path("\(name).kho")
            try AtomicFileWriter.write(image.bytes, to: path)
            #expect(throws: KHOImageError.self, "\(name)") { try image.decodeMemfd() }
            let result = try Self.verify(path)
            #expect(result.status == 1, "\(name)")
            // A few MiB of slack for the error path; a buffer sized by the
            // claim would be a GiB or more.
            #expect(result.peakKiB < baseline.peakKiB + 16 * 1024,
                    "\(name): \(result.peakKiB) KiB against \(baseline.peakKiB) KiB for the intact image")
        }
    }

    /// Importing a 4 GiB capture (a sparse raw file with a handover near its
    /// top, found by scanning every page) streams through a small buffer:
    /// the CLI's peak stays far below the source's size.
    @Test func importOfAFourGiBSourceStaysSmall() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path("image.kho")
        try KHOImageWriter(base: 0xf000_0000).encode(HandoverState(liveupdateNumber: 1, sessions: [
            SessionRecord(name: "vm", files: [FileRecord(token: 1, compatible: "memfd-v2", content: .memfd(
                MemfdContents(size: 1 << 20, position: 0, contents: [UInt8](repeating: 0x5a, count: 1 << 20))))]),
        ])).write(to: image)
        let raw = directory.path("memory.raw")
        try SyntheticCapture.raw(ofImage: image, base: 0, size: 4 << 30, to: raw)
        let output = directory.path("imported.kho")
        let result = try Self.measure(["import", raw, "--source-format", "raw", "-o", output])
        #expect(result.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == (try Data(contentsOf: URL(fileURLWithPath: image))))
        #expect(result.peakKiB < 64 * 1024, "import of a 4 GiB source peaked at \(result.peakKiB) KiB")
    }

    /// Encoding a manifest whose two memfds name a 128 MiB file (sparse,
    /// with marks at its start, middle and end) sends the contents from the
    /// file to the image (the arena growing for the second memfd does not
    /// copy the first one's untouched pages), verifying it reads only its structures, and retrieving
    /// the memfd streams it back out: each CLI peak stays far below the
    /// contents' size, and the bytes arrive.
    @Test func encodeOfALargeContentsFileStaysSmall() throws {
        let directory = try TemporaryDirectory()
        let size = 128 << 20
        let contents = directory.path("guest.ram")
        FileManager.default.createFile(atPath: contents, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: contents))
        for offset in [0, size / 2, size - 4] {
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: Data("MARK".utf8))
        }
        try handle.close()
        let manifest = directory.path("m.json")
        try Data("""
            {"liveupdate_number": 1, "sessions": [{"name": "vm", "files": [{"token": 1, "compatible": "memfd-v2",
              "memfd": {"size": \(size), "pos": 0, "contents_file": "guest.ram"}},
              {"token": 2, "compatible": "memfd-v2", "memfd": {"size": \(size), "pos": 0, "contents_file": "guest.ram"}}]}]}
            """.utf8).write(to: URL(fileURLWithPath: manifest))
        let output = directory.path("image.kho")
        let result = try Self.measure(["encode", manifest, "-o", output])
        #expect(result.status == 0)
        // Reading the contents into memory, or copying the first memfd's
        // pages when the arena grows, would take 128 MiB at least.
        #expect(result.peakKiB < 48 * 1024, "encoding two 128 MiB memfds peaked at \(result.peakKiB) KiB")
        // The same state in process, its contents a range of the same file.
        let file = try ContentFile(opening: contents)
        let image = try KHOImageWriter().encode(HandoverState(liveupdateNumber: 1, sessions: [
            SessionRecord(name: "vm", files: [1, 2].map { FileRecord(token: $0, compatible: "memfd-v2", content: .memfd(
                MemfdContents(size: UInt64(size), position: 0, source: ByteSource(file: file, count: size)))) }),
        ]))
        let written = try MappedFile.map(path: output, limit: 2 << 30)
        #expect(written.count == image.fileSize)
        #expect(image.matches(written.rawBuffer))

        // verify touches only the structures; retrieve streams the contents
        // from the image into a memfd and out to a file.
        let verified = try Self.measure(["verify", output])
        #expect(verified.status == 0)
        #expect(verified.peakKiB < 48 * 1024, "verifying two 128 MiB memfds peaked at \(verified.peakKiB) KiB")
        // decode re-encodes the state to check it reproduces the image (the
        // contents are the image's own ranges, compared without reading)
        // and streams the contents out to files.
        try FileManager.default.createDirectory(atPath: directory.path("contents"), withIntermediateDirectories: true)
        let decoded = try Self.measure(["decode", output, "--contents-dir", directory.path("contents")])
        #expect(decoded.status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: directory.path("contents/s0-0x2.memfd"))[.size] as? Int == size)
        #expect(decoded.peakKiB < 48 * 1024, "decoding two 128 MiB memfds peaked at \(decoded.peakKiB) KiB")
        let restored = directory.path("restored.ram")
        let retrieved = try Self.measure(["retrieve", output, "--session", "vm", "--token", "2", "-o", restored])
        #expect(retrieved.status == 0)
        #expect(retrieved.peakKiB < 48 * 1024, "retrieving a 128 MiB memfd peaked at \(retrieved.peakKiB) KiB")
        let back = try FileHandle(forReadingFrom: URL(fileURLWithPath: restored))
        defer { try? back.close() }
        #expect(try back.seekToEnd() == UInt64(size))
        for offset in [0, size / 2, size - 4] {
            try back.seek(toOffset: UInt64(offset))
            #expect(try back.read(upToCount: 4) == Data("MARK".utf8))
        }
    }
}
