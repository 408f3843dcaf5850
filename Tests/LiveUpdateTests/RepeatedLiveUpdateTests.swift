import Glibc
import Testing
import LiveUpdate

/// The selftests' kexec stages: a state memfd carries the stage number
/// through several live updates while liveupdate-number counts up.
@Suite struct RepeatedLiveUpdateTests {
    @Test func aStateMemfdCarriesTheStageThroughThreeUpdates() throws {
        var luo = try orchestrator(MemfdHandler())
        let state = try MemfdFile(name: "state")
        try state.write(Array("1".utf8))
        try luo.createSession(named: "kexec_multi_state").preserve(state, token: 998)
        var image = try luo.reboot()

        for expectedStage in 2...4 {
            luo = try orchestrator(MemfdHandler())
            try luo.loadIncoming(bytes: image.bytes)
            #expect(luo.incomingLiveupdateNumber == UInt64(expectedStage - 1))
            let incoming = try luo.retrieveSession(named: "kexec_multi_state")
            let restored = try #require(try incoming.retrieveFile(token: 998) as? MemfdFile)
            let stage = Int(String(decoding: try restored.contents(), as: UTF8.self))
            #expect(stage == expectedStage - 1)
            try incoming.finish()
            try incoming.close()
            // The next stage: same session name, a new outgoing session.
            let next = try MemfdFile(name: "state")
            try next.write(Array("\(expectedStage)".utf8))
            try luo.createSession(named: "kexec_multi_state").preserve(next, token: 998)
            image = try luo.reboot()
        }
        let last = try orchestrator(MemfdHandler())
        try last.loadIncoming(bytes: image.bytes)
        #expect(last.incomingLiveupdateNumber == 4)
        let final = try #require(try last.retrieveSession(named: "kexec_multi_state").retrieveFile(token: 998) as? MemfdFile)
        #expect(try final.contents() == Array("4".utf8))
    }

    @Test func multiSessionHandover() throws {
        // luo_multi_session: two empty sessions, one with one memfd, one with two.
        let luo = try orchestrator(MemfdHandler())
        _ = try luo.createSession(named: "multi-test-empty-1")
        _ = try luo.createSession(named: "multi-test-empty-2")
        let files1 = try luo.createSession(named: "multi-test-files-1")
        let files2 = try luo.createSession(named: "multi-test-files-2")
        let data: [(OutgoingSession, UInt64, String)] = [
            (files1, 0x1001, "Data for session files 1"),
            (files2, 0x2002, "First file for session files 2"),
            (files2, 0x3003, "Second file for session files 2"),
        ]
        var keep: [MemfdFile] = []
        for (session, token, text) in data {
            let memfd = try MemfdFile(name: "m")
            try memfd.write(Array(text.utf8))
            try session.preserve(memfd, token: token)
            keep.append(memfd)
        }
        let next = try handOver(luo, to: [MemfdHandler()])
        #expect(next.incomingSessionNames == ["multi-test-empty-1", "multi-test-empty-2",
                                              "multi-test-files-1", "multi-test-files-2"])
        var sessions: [SessionName: IncomingSession] = [:]
        for name in next.incomingSessionNames { sessions[name] = try next.retrieveSession(named: name) }
        for (session, token, text) in data {
            let memfd = try #require(try sessions[session.name]!.retrieveFile(token: token) as? MemfdFile)
            #expect(try memfd.contents() == Array(text.utf8))
            #expect(try memfd.position() == UInt64(text.utf8.count))
        }
        for name: SessionName in ["multi-test-empty-1", "multi-test-empty-2", "multi-test-files-1", "multi-test-files-2"] {
            try sessions[name]!.finish()
            try sessions[name]!.close()
        }
        #expect(next.incomingSessionNames.isEmpty)
    }
}
