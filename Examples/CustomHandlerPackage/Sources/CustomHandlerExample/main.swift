import LiveUpdate
#if canImport(Glibc)
import Glibc
#endif

// Usage: CustomHandlerExample preserve IMAGE   (the kernel before the kexec)
//        CustomHandlerExample restore IMAGE    (the kernel after it)
// Exits 1, naming the step, if anything is not as expected.

func check(_ condition: Bool, _ what: String) {
    if !condition {
        print("FAILED: \(what)")
        exit(1)
    }
}

/// Registration is the same on both sides: handlers first, then the FLB
/// for each handler that depends on it.
func makeOrchestrator(_ flb: DomainFLB) throws(LiveUpdateError) -> LiveUpdateOrchestrator {
    let luo = LiveUpdateOrchestrator(generation: .linux7_3)
    let vms = VMHandler()
    let memories = GuestMemoryHandler()
    try luo.register(vms)
    try luo.register(memories)
    try luo.register(flb, for: vms)
    try luo.register(flb, for: memories)
    return luo
}

func preserve(to path: String) throws(LiveUpdateError) {
    let flb = DomainFLB()
    let luo = try makeOrchestrator(flb)
    let vm = VM(name: "guest-0")
    let memory = GuestMemory(vm: vm, bytes: Array("guest RAM contents".utf8))
    let session = try luo.createSession(named: "vmm")
    // The dependent file first: preservation order is never enforced.
    try session.preserve(memory, token: 0x20)
    try session.preserve(vm, token: 0x10)
    check(luo.flbOutgoingCount(flb) == 2, "both files depend on the FLB")
    try luo.reboot(writingTo: path)          // freeze: the guest memory records the VM's token
    check(flb.events == ["preserve"], "the FLB was preserved once")
    print("preserved session vmm (tokens \(session.tokens)) to \(path)")
}

func restore(from path: String) throws(LiveUpdateError) {
    let flb = DomainFLB()
    let luo = try makeOrchestrator(flb)
    // The loader: read the image (every reader check), look at the model,
    // load it. Captured memory works the same way: `luo.loadIncoming(memory:
    // RawMemoryFile(...))` or `KHOImageReader.read(memory:)`.
    let image: DecodedImage
    do { image = try KHOImageReader.readImage(path: path) } catch { throw .image(error) }
    let state: HandoverState = image.state
    check(state.flbs == [FLBRecord(name: "example-domain-v1", data: 0x1d0, count: 2)], "the FLB entry")
    check(state.sessions.first?.files.map(\.compatible) == ["example-guest-memory-v1", "example-vm-v1"],
          "the files name their handlers")
    try luo.loadIncoming(image)

    // Boot-time code looks without taking the session.
    guard let peek = luo.peekIncomingSession(named: "vmm") else { return check(false, "session vmm is in the image") }
    check(peek.files.map(\.token) == [0x20, 0x10], "peek lists the files in preservation order")
    check(!peek.isRetrieved, "peeking does not retrieve")

    // Userspace (the VMM) takes the session and its guest memory; the
    // handler fetches the VM itself.
    let session = try luo.retrieveSession(named: "vmm")
    guard let memory = try session.retrieveFile(token: 0x20) as? GuestMemory else {
        return check(false, "token 0x20 is guest memory")
    }
    check(String(decoding: memory.bytes, as: UTF8.self) == "guest RAM contents", "guest memory survived")
    check(memory.vm.name == "guest-0", "the dependency came back")
    let vmRetrieved = try session.isFileRetrieved(token: 0x10)
    let vmTakenByUser = try session.wasRetrievedByUser(token: 0x10)
    check(vmRetrieved && !vmTakenByUser, "the VM was retrieved for the handler, not by userspace")

    // can-finish enforces the dependency: the VMM has not taken the VM yet.
    do {
        try session.finish()
        check(false, "finish must be refused while the VM is not retrieved by userspace")
    } catch {
        check(error == .cannotFinish(session: "vmm", token: 0x20, compatible: "example-guest-memory-v1"),
              "finish refused for the guest memory (\(error))")
        check(error.errno == EBUSY, "refusal is EBUSY")
    }

    let vm = try session.retrieveFile(token: 0x10)
    check(vm === memory.vm, "retrieving again returns the same object")
    check(try luo.flbIncoming(flb) as? String == "domain 464", "the FLB came back with its data")
    check(try session.close() == .finished, "close finishes every file")
    check(flb.events == ["retrieve 464", "finish domain 464"], "the FLB finished with its last file")
    check(luo.incomingSessionNames.isEmpty, "the session is gone")
    print("restored session vmm: guest memory of \(memory.vm.name), FLB \(flb.events)")
}

let arguments = CommandLine.arguments
guard arguments.count == 3, ["preserve", "restore"].contains(arguments[1]) else {
    print("usage: CustomHandlerExample preserve|restore IMAGE")
    exit(2)
}
do {
    if arguments[1] == "preserve" { try preserve(to: arguments[2]) } else { try restore(from: arguments[2]) }
} catch {
    print("FAILED: \(error) (errno \(error.errno))")
    exit(1)
}
