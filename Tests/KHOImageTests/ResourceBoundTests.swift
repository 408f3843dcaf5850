import Foundation
import Glibc
import HandoverModel
import Testing
@testable import KHOImage

/// Decoding a hostile image takes memory in proportion to the file, never
/// to a count or size the image claims: `luo-serialize verify` on images
/// claiming a 1 TiB memfd, 256 folios or 819 sessions peaks at about the
/// memory it needs for the intact image (measured per child with wait4).
@Suite struct ResourceBoundTests {
    /// Runs `luo-serialize verify PATH`; its exit status and peak RSS (KiB).
    static func verify(_ path: String) throws -> (status: Int32, peakKiB: Int) {
        let cli = try #require(AtomicOutputTests.cli, "luo-serialize not found beside the test executable")
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup(cli), strdup("verify"), strdup(path), nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, cli, &actions, nil, &argv, environ) == 0)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            try #require(errno == EINTR)
        }
        try #require(status & 0x7f == 0, "verify was killed by signal \(status & 0x7f)")
        return ((status >> 8) & 0xff, usage.ru_maxrss)
    }

    @Test func hostileCountsDoNotDriveMemory() throws {
        let directory = try AtomicOutputTests.Directory()
        let good = try CraftedImage()
        let goodPath = directory.file("good.kho")
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
            let path = directory.file("\(name).kho")
            try AtomicFileWriter.write(image.bytes, to: path)
            #expect(throws: KHOImageError.self, "\(name)") { try image.decode() }
            let result = try Self.verify(path)
            #expect(result.status == 1, "\(name)")
            // A few MiB of slack for the error path; a buffer sized by the
            // claim would be a GiB or more.
            #expect(result.peakKiB < baseline.peakKiB + 16 * 1024,
                    "\(name): \(result.peakKiB) KiB against \(baseline.peakKiB) KiB for the intact image")
        }
    }
}
