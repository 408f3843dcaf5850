// LUOBenchmark: the Swift side of tools/benchmark.sh.
//
// Every mode prints `key value` lines (times in nanoseconds, the median of
// the repetitions; memory in KiB from getrusage's ru_maxrss, the process's
// high-water mark), the same keys as the C baseline in tools/c-baseline, so
// the script can divide one by the other. Run one size per process so that
// maxrss_kb belongs to that size alone.
//
//   LUOBenchmark records SESSIONS FILES IMAGES REPS DIR [GENERATION]
//       encode IMAGES images of SESSIONS sessions x FILES raw-data files
//       (KHOImageWriter.encode), write them to DIR/swift-<i>.kho, decode
//       them from their paths (KHOImageReader.readImage: mmap, validate,
//       every record); prints generation, encode_ns, decode_ns, files,
//       maxrss_kb. GENERATION is a release ("7.1") or a generation name
//       ("kho-v2+luo-v1+memfd-v1"), as KernelGeneration.lookup takes it;
//       without it, the newest (the writer's default).
//   LUOBenchmark memfd BYTES REPS DIR
//       a memfd of BYTES through the library: into the image (read the memfd,
//       FileContent.memfd, encode) and back out (readImage, a new memfd with
//       the decoded contents), both through the model API (the newest
//       generation, its memfd handler) and through the LiveUpdate
//       orchestrator with its MemfdHandler (memcpy of the same bytes is
//       measured by the C baseline). Prints model_in_ns, model_out_ns,
//       lu_in_ns, lu_out_ns, maxrss_kb.
//   LUOBenchmark limits SESSIONS FILES REPS DIR
//       luo-v5 (generation 7.3) at its limits: one image of SESSIONS
//       sessions x FILES raw-data files encoded REPS times (the model to
//       the image in memory), written to DIR/swift-limits.kho, mapped, and
//       decoded REPS times from that mapping (the image in memory to the
//       model; no token lookup: its first(where:) side is quadratic in
//       sessions). Every block the allocator frees stays in the heap
//       (M_MMAP_MAX 0), so repetitions after the first reuse memory at every
//       size alike. Prints encode_ns and decode_ns (medians: the steady
//       state), encode_first_ns and decode_first_ns (the first repetition:
//       fresh pages, the mapping's faults, first calls), every repetition
//       (encode_all_ns, decode_all_ns), write_ns, map_ns, files,
//       image_bytes (the image's physical memory: blocks, entries, radix
//       tree; raw-data files have no contents), session_blocks,
//       longest_file_chain, and the process's peak RSS after each phase:
//       rss_start_kb (runtime only), rss_model_kb (the model built),
//       rss_encode_kb, maxrss_kb (decode, after the encoder's memory was
//       given back).
//   LUOBenchmark stream encode|verify|retrieve COUNT BYTES IMAGE
//       one step on COUNT memfds of BYTES each through MemfdHandler:
//       encode (preserve + reboot writing IMAGE, the memfds filled untimed),
//       verify (readImage) or retrieve (loadIncoming + retrieveFile each).
//       Prints ns, maxrss_kb (tools/benchmark.sh puts cp beside it).
//   LUOBenchmark golden DIR
//       varied images of every supported generation, to cmp before and
//       after a library change.

import ABIGeneration
import FDT
import HandoverModel
import KernelABI
import KHOImage
import LiveUpdate
import CBenchmarkSupport
#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The median of `values`.
func median(_ values: [UInt64]) -> UInt64 {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The process's peak resident set in KiB.
func maxRSSKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

/// Prints `message` on stderr and exits with status 1.
func fail(_ message: String) -> Never {
    let line = Array("LUOBenchmark: \(message)\n".utf8)
    _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    exit(1)
}

/// The handler compatible of the benchmark's raw-data files (not
/// `memfd-v1`, so the reader keeps them as raw `data`).
let benchCompatible = "bench-data-v1"

/// The benchmark's model, identical to the C baseline's `make_model`:
/// sessions `session-<s>` (`image<i>-session-<s>` when there are several
/// images), files with tokens 1...F, `data` = token * 3, in `generation`
/// with its default `kexec-metadata` (the C baseline writes v7.1's).
func makeState(generation: KernelGeneration, image: Int, images: Int, sessions: Int, files: Int) -> HandoverState {
    HandoverState(generation: generation, liveupdateNumber: 1, sessions: (0..<sessions).map { s in
        SessionRecord(name: images > 1 ? "image\(image)-session-\(s)" : "session-\(s)",
                      files: (0..<files).map { f in
                          FileRecord(token: UInt64(f + 1), compatible: benchCompatible, content: .data(UInt64(f + 1) * 3))
                      })
    })
}

/// The allocator settings of every timed mode, the C baseline's too:
/// freed blocks stay in the heap between repetitions (no trimming), so a
/// repetition measures the work, not the kernel handing out and clearing
/// fresh pages. glibc still maps blocks of 32 MiB and more on their own
/// and unmaps them when freed; `heapOnly` keeps those in the heap too
/// (`M_MMAP_MAX` 0), which the limits mode needs for its arenas of up to
/// gigabytes to be reused at every size alike.
func keepFreedMemory(heapOnly: Bool = false) {
    _ = luo_bench_set_mmap_threshold(32 << 20)
    _ = luo_bench_set_trim_threshold(1 << 30)
    if heapOnly { _ = luo_bench_set_mmap_max(0) }
}

func runRecords(generation: KernelGeneration, sessions: Int, files: Int, images: Int, reps: Int,
                directory: String) throws {
    // The same allocator settings as the C baseline's records mode: freed
    // arenas stay in the heap between repetitions (no trimming, no per-arena
    // mmap), so both sides measure encoding, not the kernel handing out
    // fresh pages (glibc otherwise trims the heap once two or more images
    // are freed at a time, and every repetition faults its arenas in again).
    keepFreedMemory()
    let states = (0..<images).map {
        makeState(generation: generation, image: $0, images: images, sessions: sessions, files: files)
    }
    let writer = KHOImageWriter()
    var encoded: [EncodedImage] = []
    var encodeTimes: [UInt64] = []
    for _ in 0..<reps {
        encoded = []
        let start = now()
        for state in states { encoded.append(try writer.encode(state)) }
        encodeTimes.append(now() - start)
    }
    let paths = (0..<images).map { "\(directory)/swift-\($0).kho" }
    // LUO_BENCH_ONLY=encode or =decode narrows a run to one side, for profiling.
    let only = getenv("LUO_BENCH_ONLY").map { String(cString: $0) }
    if only == "encode" {
        print("encode_ns \(median(encodeTimes))")
        return
    }
    for (image, path) in zip(encoded, paths) { try image.write(to: path) }
    encoded = []

    var decoded: [DecodedImage] = []
    var decodeTimes: [UInt64] = []
    for _ in 0..<reps {
        decoded = []
        let start = now()
        for path in paths { decoded.append(try KHOImageReader.readImage(path: path)) }
        decodeTimes.append(now() - start)
    }
    for (image, state) in zip(decoded, states) where image.state != state {
        fail("decoded state differs from the encoded one")
    }
    // Token lookup: find every file of the first decoded image by
    // (session name, token), walking the arrays front to back as a
    // first(where:) would, and through a HandoverIndex (built inside the
    // timed region).
    let probe = decoded[0].state
    var linearTimes: [UInt64] = [], indexTimes: [UInt64] = []
    var found = 0
    for _ in 0..<max(1, min(reps, 5)) {
        var start = now()
        for session in probe.sessions {
            for file in session.files {
                if let s = probe.sessions.firstIndex(where: { $0.name == session.name }),
                   probe.sessions[s].files.contains(where: { $0.token == file.token }) { found += 1 }
            }
        }
        linearTimes.append(now() - start)
        start = now()
        let index = HandoverIndex(probe)
        for session in probe.sessions {
            for file in session.files where index.file(session: session.name, token: file.token) != nil { found += 1 }
        }
        indexTimes.append(now() - start)
    }
    guard found == 2 * linearTimes.count * probe.fileCount else { fail("token lookup missed files") }
    print("generation \(generation.name)")
    print("encode_ns \(median(encodeTimes))")
    print("decode_ns \(median(decodeTimes))")
    print("lookup_linear_ns \(median(linearTimes))")
    print("lookup_index_ns \(median(indexTimes))")
    print("files \(decoded.reduce(0) { $0 + $1.state.fileCount })")
    print("maxrss_kb \(maxRSSKiB())")
}

/// A memfd of `bytes` bytes filled with a pattern.
func makeSourceMemfd(bytes: Int) throws -> MemfdFile {
    let memfd = try MemfdFile(name: "bench-source")
    try memfd.truncate(to: UInt64(bytes))
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: min(chunk, bytes))
    var offset = 0
    while offset < bytes {
        let count = min(chunk, bytes - offset)
        for i in 0..<count { buffer[i] = UInt8(truncatingIfNeeded: (offset + i) &* 131 &+ ((offset + i) >> 12)) }
        try memfd.write(Array(buffer[..<count]), at: UInt64(offset))
        offset += count
    }
    return memfd
}

/// Whether the memfd `fd` holds exactly what `source` holds (compared
/// through read-only mappings, untimed).
func sameContents(_ fd: Int32, _ source: Int32, bytes: Int) -> Bool {
    guard bytes > 0 else { return true }
    guard let a = mmap(nil, bytes, PROT_READ, MAP_SHARED, fd, 0), a != MAP_FAILED,
          let b = mmap(nil, bytes, PROT_READ, MAP_SHARED, source, 0), b != MAP_FAILED else { return false }
    defer { munmap(a, bytes); munmap(b, bytes) }
    return memcmp(a, b, bytes) == 0
}

func runMemfd(bytes: Int, reps: Int, directory: String) throws {
    let source = try makeSourceMemfd(bytes: bytes)
    let path = "\(directory)/swift-memfd.kho"
    var modelIn: [UInt64] = [], modelOut: [UInt64] = [], luIn: [UInt64] = [], luOut: [UInt64] = []
    for _ in 0..<reps {
        // The model API: FileContent.memfd through encode and decode.
        do {
            var start = now()
            let contents = try MemfdContents(readingDescriptor: source.fd)
            let state = HandoverState(generation: .newest, liveupdateNumber: 1, sessions: [
                SessionRecord(name: "vm0", files: [
                    FileRecord(token: 1, compatible: KernelGeneration.newest.memfd.compatible, content: .memfd(contents)),
                ]),
            ])
            var image: EncodedImage? = try KHOImageWriter().encode(state)
            modelIn.append(now() - start)
            try image!.write(to: path)
            image = nil
            start = now()
            let decoded = try KHOImageReader.readImage(path: path)
            guard case let .memfd(memfd)? = decoded.state.sessions.first?.files.first?.content else {
                fail("the decoded file is not a memfd")
            }
            let copy = try MemfdFile(name: "bench-copy")
            try copy.truncate(to: memfd.size)
            try copy.write(contentsOf: memfd.source)
            modelOut.append(now() - start)
            guard sameContents(copy.fd, source.fd, bytes: bytes) else { fail("model path: contents differ") }
        }
        // The lifecycle: MemfdHandler preserve + freeze, reboot, load, retrieve.
        if getenv("LUO_BENCH_ONLY").map({ String(cString: $0) }) == "model" { continue }
        do {
            var start = now()
            let outgoing = LiveUpdateOrchestrator()
            try outgoing.register(MemfdHandler())
            try outgoing.createSession(named: "vm0").preserve(source, token: 1)
            var image: EncodedImage? = try outgoing.reboot()
            luIn.append(now() - start)
            try image!.write(to: path)
            image = nil
            start = now()
            let incoming = LiveUpdateOrchestrator()
            try incoming.register(MemfdHandler())
            try incoming.loadIncoming(path: path)
            guard let copy = try incoming.retrieveSession(named: "vm0").retrieveFile(token: 1) as? MemfdFile else {
                fail("the retrieved file is not a memfd")
            }
            luOut.append(now() - start)
            guard sameContents(copy.fd, source.fd, bytes: bytes) else { fail("lifecycle path: contents differ") }
        }
    }
    unlink(path)

    print("model_in_ns \(median(modelIn))")
    print("model_out_ns \(median(modelOut))")
    if !luIn.isEmpty {
        print("lu_in_ns \(median(luIn))")
        print("lu_out_ns \(median(luOut))")
    }
    print("maxrss_kb \(maxRSSKiB())")
}

/// luo-v5 at its limits: one image of `sessions` x `files` raw-data files.
/// `encode` is the model to the image in memory (KHOImageWriter.encode),
/// `decode` the image in memory to the model (KHOImageReader.decode of the
/// file's one mapping: every check and record); writing the file and
/// mapping it are timed on their own. Each is repeated `reps` times and the
/// median kept: the steady state, in memory the allocator hands back (see
/// ``keepFreedMemory(heapOnly:)``) and pages already mapped. The first
/// repetition of each is printed too: it pays for fresh pages (encode) and
/// for the mapping's page faults (decode), as a one-off handover does. The
/// peak RSS is read after each phase so that the script can relate its
/// growth to the image's size.
func runLimits(sessions: Int, files: Int, reps: Int, directory: String) throws {
    keepFreedMemory(heapOnly: true)
    let rssStart = maxRSSKiB()
    let state = makeState(generation: .linux7_3, image: 0, images: 1, sessions: sessions, files: files)
    let rssModel = maxRSSKiB()
    let writer = KHOImageWriter()
    var encoded: EncodedImage?
    var encodeTimes: [UInt64] = []
    for _ in 0..<reps {
        encoded = nil
        let start = now()
        encoded = try writer.encode(state)
        encodeTimes.append(now() - start)
    }
    // The encoded image is released before decoding (no copy of it may
    // outlive this block), so the decode's peak is its own.
    let path = "\(directory)/swift-limits.kho"
    let imageBytes = encoded!.layout.regions.reduce(UInt64(0)) { $0 + $1.size }
    let sessionBlocks = encoded!.layout.sessionBlocks.count
    let longestFileChain = encoded!.layout.sessions.reduce(0) { max($0, $1.fileBlocks.count) }
    var start = now()
    try encoded!.write(to: path)
    let writeTime = now() - start
    encoded = nil
    let rssEncode = maxRSSKiB()
    // The encoder's memory goes back to the kernel, so that the decode's
    // peak is its own and not the two phases' sum.
    _ = luo_bench_trim()

    start = now()
    let (storage, file) = try KHOImageReader.map(path: path)
    let mapTime = now() - start
    var decoded: DecodedImage?
    var decodeTimes: [UInt64] = []
    for _ in 0..<reps {
        decoded = nil
        let start = now()
        guard case let .image(image) = try KHOImageReader.decode(storage, file: file) else { fail("not an image") }
        decoded = image
        decodeTimes.append(now() - start)
    }
    guard decoded!.state == state else { fail("decoded state differs from the encoded one") }
    unlink(path)
    print("generation \(KernelGeneration.linux7_3.name)")
    print("encode_ns \(median(encodeTimes))")
    print("decode_ns \(median(decodeTimes))")
    print("encode_first_ns \(encodeTimes[0])")
    print("decode_first_ns \(decodeTimes[0])")
    print("encode_all_ns \(encodeTimes.map(String.init).joined(separator: ","))")
    print("decode_all_ns \(decodeTimes.map(String.init).joined(separator: ","))")
    print("write_ns \(writeTime)")
    print("map_ns \(mapTime)")
    print("files \(decoded!.state.fileCount)")
    print("image_bytes \(imageBytes)")
    print("session_blocks \(sessionBlocks)")
    print("longest_file_chain \(longestFileChain)")
    print("rss_start_kb \(rssStart)")
    print("rss_model_kb \(rssModel)")
    print("rss_encode_kb \(rssEncode)")
    print("maxrss_kb \(maxRSSKiB())")
}

/// One step of the streaming benchmark on COUNT memfds of BYTES each, in
/// its own process so its peak RSS is its own: `encode` fills the memfds
/// (untimed), then preserves them with MemfdHandler and writes the image
/// (reboot); `verify` reads the image (every structure checked, contents
/// not touched); `retrieve` loads it and retrieves every memfd.
func runStream(step: String, count: Int, bytes: Int, path: String) throws {
    var keep: [MemfdFile] = []
    let start: UInt64
    switch step {
    case "encode":
        let sources = try (0..<count).map { _ in try makeSourceMemfd(bytes: bytes) }
        start = now()
        let outgoing = LiveUpdateOrchestrator()
        try outgoing.register(MemfdHandler())
        let session = try outgoing.createSession(named: "vm0")
        for (token, source) in sources.enumerated() { try session.preserve(source, token: UInt64(token + 1)) }
        _ = try outgoing.reboot(writingTo: path)
    case "verify":
        start = now()
        let decoded = try KHOImageReader.readImage(path: path)
        guard decoded.state.fileCount == count else { fail("expected \(count) files") }
    case "retrieve":
        start = now()
        let incoming = LiveUpdateOrchestrator()
        try incoming.register(MemfdHandler())
        try incoming.loadIncoming(path: path)
        let session = try incoming.retrieveSession(named: "vm0")
        for token in 1...count {
            guard let file = try session.retrieveFile(token: UInt64(token)) as? MemfdFile else { fail("not a memfd") }
            keep.append(file)
        }
    default:
        fail("unknown step \(step)")
    }
    let elapsed = now() - start
    print("ns \(elapsed)")
    print("maxrss_kb \(maxRSSKiB())")
    // Untimed check: the retrieved memfds hold the pattern's bytes (first and last MiB of each).
    if step == "retrieve" {
        let reference = try makeSourceMemfd(bytes: bytes)
        for file in keep {
            for offset in [0, max(0, bytes - (1 << 20))] {
                var a = [UInt8](repeating: 0, count: min(1 << 20, bytes)), b = a
                _ = pread(file.fd, &a, a.count, off_t(offset))
                _ = pread(reference.fd, &b, b.count, off_t(offset))
                guard a == b else { fail("retrieved contents differ at \(offset)") }
            }
        }
    }
}

/// Writes a few varied images (raw data, payloads, memfds of several sizes,
/// empty sessions, FLBs, the kernel's limits) of every supported generation
/// to DIR (`golden-<generation>-<i>.kho`) and decodes each back, so that a
/// change to the library can be checked byte for byte against the images an
/// earlier build wrote (`cmp`).
func runGolden(directory: String) throws {
    for generation in KernelGeneration.supported {
        let memfd = generation.memfd.compatible
        var states: [HandoverState] = [makeState(generation: generation, image: 0, images: 1, sessions: 819, files: 128)]
        states.append(HandoverState(generation: generation, liveupdateNumber: 7, sessions: [
            SessionRecord(name: "vm0", files: [
                FileRecord(token: 1, compatible: memfd,
                           content: .memfd(MemfdContents(contents: (0..<5000).map { UInt8(truncatingIfNeeded: $0) }, position: 17))),
                FileRecord(token: 2, compatible: "vfio-v1", content: .data(0xdead_beef)),
                FileRecord(token: 3, compatible: "blob-v1", content: .payload(Array(repeating: 7, count: 8192))),
                FileRecord(token: 4, compatible: memfd, content: .memfd(MemfdContents(contents: []))),
                FileRecord(token: 5, compatible: memfd,
                           content: .memfd(MemfdContents(contents: (0..<(4096 * 600 + 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }))),
            ]),
            SessionRecord(name: "empty"),
            SessionRecord(name: "ünïcode-ß", files: [FileRecord(token: .max, compatible: "x", content: .payload(Array(repeating: 1, count: 4096)))]),
        ], flbs: [FLBRecord(name: "iommu-core-v1", data: 0x1234, count: 2), FLBRecord(name: "b", data: 0, count: 1)]))
        states.append(HandoverState(generation: generation, liveupdateNumber: 1))
        for (index, state) in states.enumerated() {
            let name = "golden-\(generation.manifestName)-\(index).kho"
            let path = "\(directory)/\(name)"
            try KHOImageWriter(base: index == 2 ? 0x4000_0000_0000 : KHOImageWriter.defaultBase).encode(state).write(to: path)
            guard try KHOImageReader.readImage(path: path).state == state else { fail("\(name) does not round-trip") }
            print(name)
        }
    }
}

let arguments = CommandLine.arguments
do {
    switch (arguments.count, arguments.count > 1 ? arguments[1] : "") {
    case (7, "records"), (8, "records"):
        guard let sessions = Int(arguments[2]), let files = Int(arguments[3]), let images = Int(arguments[4]),
              let reps = Int(arguments[5]), reps > 0, images > 0 else { fail("bad numbers") }
        let generation: KernelGeneration
        do {
            generation = arguments.count == 8 ? try KernelGeneration.lookup(arguments[7]) : .newest
        } catch {
            fail("\(error)")
        }
        try runRecords(generation: generation, sessions: sessions, files: files, images: images, reps: reps,
                       directory: arguments[6])
    case (5, "memfd"):
        guard let bytes = Int(arguments[2]), let reps = Int(arguments[3]), reps > 0 else { fail("bad numbers") }
        try runMemfd(bytes: bytes, reps: reps, directory: arguments[4])
    case (6, "limits"):
        guard let sessions = Int(arguments[2]), let files = Int(arguments[3]), let reps = Int(arguments[4]), reps > 0 else {
            fail("bad numbers")
        }
        try runLimits(sessions: sessions, files: files, reps: reps, directory: arguments[5])
    case (6, "stream"):
        guard let count = Int(arguments[3]), let bytes = Int(arguments[4]), count > 0 else { fail("bad numbers") }
        try runStream(step: arguments[2], count: count, bytes: bytes, path: arguments[5])
    case (3, "golden"):
        try runGolden(directory: arguments[2])
    default:
        fail("usage: LUOBenchmark records SESSIONS FILES IMAGES REPS DIR [GENERATION] | memfd BYTES REPS DIR"
            + " | limits SESSIONS FILES REPS DIR | stream encode|verify|retrieve COUNT BYTES IMAGE | golden DIR")
    }
} catch {
    fail("\(error)")
}
