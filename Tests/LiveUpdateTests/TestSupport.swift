import Testing
import LiveUpdate

/// A plain live object for handler tests.
final class TestFile: LiveFile {
    let label: String
    var value: UInt64

    init(_ label: String, value: UInt64 = 0) {
        self.label = label
        self.value = value
    }
}

/// Records every callback as "operation:session:token" in call order.
final class CallLog {
    var entries: [String] = []

    func record(_ operation: String, _ args: FileOperationArguments) {
        entries.append("\(operation):\(args.session.name):\(args.token)")
    }

    /// The entries for one operation.
    func of(_ operation: String) -> [String] {
        entries.filter { $0.hasPrefix(operation + ":") }
    }
}

/// A handler for ``TestFile``s whose label starts with its prefix; it
/// preserves the file's value as `.data` and can be told to fail.
final class RecordingHandler: FileHandler {
    let compatible: String
    let prefix: String
    let log: CallLog
    var failPreserve: Set<String> = []
    var failFreeze: Set<String> = []
    var failRetrieve: Set<String> = []
    var refuseFinish: Set<UInt64> = []
    /// Optional hooks run inside the callbacks.
    var onPreserve: ((FileOperationArguments) throws(LiveUpdateError) -> Void)?
    var onFreeze: ((inout FileOperationArguments) throws(LiveUpdateError) -> Void)?
    var onRetrieve: ((FileOperationArguments) throws(LiveUpdateError) -> Void)?
    var onCanFinish: ((FileOperationArguments) -> Bool)?
    /// What can-finish and finish saw: token -> (retrieved, retrievedByUser).
    var finishSaw: [UInt64: (retrieved: Bool, byUser: Bool)] = [:]
    var canFinishSaw: [UInt64: (retrieved: Bool, byUser: Bool)] = [:]

    init(compatible: String = "test-v1", prefix: String = "", log: CallLog = CallLog()) {
        self.compatible = compatible
        self.prefix = prefix
        self.log = log
    }

    func canPreserve(_ args: FileOperationArguments) -> Bool {
        guard let file = args.file as? TestFile else { return false }
        return file.label.hasPrefix(prefix)
    }

    func preserve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        log.record("preserve", args)
        let file = args.file as! TestFile
        if failPreserve.contains(file.label) {
            throw args.failure("preserve", errno: 5, reason: "told to fail")
        }
        try onPreserve?(args)
        args.serialized = .data(file.value)
        args.privateState = "private-\(file.label)"
    }

    func unpreserve(_ args: FileOperationArguments) {
        log.record("unpreserve", args)
    }

    func freeze(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        log.record("freeze", args)
        let file = args.file as! TestFile
        #expect(args.privateState as? String == "private-\(file.label)")
        if failFreeze.contains(file.label) {
            throw args.failure("freeze", errno: 16, reason: "told to fail")
        }
        args.serialized = .data(file.value)
        try onFreeze?(&args)
    }

    func unfreeze(_ args: FileOperationArguments) {
        log.record("unfreeze", args)
    }

    func retrieve(_ args: inout FileOperationArguments) throws(LiveUpdateError) {
        log.record("retrieve", args)
        if failRetrieve.contains("\(args.token)") {
            throw args.failure("retrieve", errno: 5, reason: "told to fail")
        }
        try onRetrieve?(args)
        guard case let .data(value) = args.serialized else {
            throw args.failure("retrieve", errno: 22, reason: "no data")
        }
        args.file = TestFile("restored-\(args.token)", value: value)
    }

    func canFinish(_ args: FileOperationArguments) -> Bool {
        log.record("canFinish", args)
        canFinishSaw[args.token] = (args.retrieved, args.retrievedByUser)
        if let onCanFinish { return onCanFinish(args) }
        return !refuseFinish.contains(args.token)
    }

    func finish(_ args: FileOperationArguments) {
        log.record("finish", args)
        finishSaw[args.token] = (args.retrieved, args.retrievedByUser)
    }
}

/// An FLB that records its callbacks and hands over a fixed `data`.
final class RecordingFLB: FLB {
    let compatible: String
    let data: UInt64
    var calls: [String] = []
    var failPreserve = false

    init(_ compatible: String, data: UInt64 = 0xf1b) {
        self.compatible = compatible
        self.data = data
    }

    func preserve(_ args: inout FLBOperationArguments) throws(LiveUpdateError) {
        calls.append("preserve")
        if failPreserve {
            throw .flbFailed(flb: compatible, operation: "preserve", errno: 12, reason: "told to fail")
        }
        args.data = data
        args.object = "outgoing-\(compatible)"
    }

    func unpreserve(_ args: FLBOperationArguments) {
        calls.append("unpreserve:\(args.data):\(args.object as? String ?? "nil")")
    }

    func retrieve(_ args: inout FLBOperationArguments) throws(LiveUpdateError) {
        calls.append("retrieve:\(args.data)")
        args.object = "incoming-\(args.data)"
    }

    func finish(_ args: FLBOperationArguments) {
        calls.append("finish:\(args.object as? String ?? "nil")")
    }
}

/// Runs `body` and returns the ``LiveUpdateError`` it throws, or `nil`;
/// any other error is a test failure.
func error(of body: () throws -> Void) -> LiveUpdateError? {
    do {
        try body()
        return nil
    } catch let error as LiveUpdateError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// An orchestrator with `handlers` registered.
func orchestrator(_ handlers: any FileHandler...) throws -> LiveUpdateOrchestrator {
    let luo = LiveUpdateOrchestrator()
    for handler in handlers { try luo.register(handler) }
    return luo
}

/// Reboots `luo` and loads its image into a fresh orchestrator with `handlers`.
func handOver(_ luo: LiveUpdateOrchestrator, to handlers: [any FileHandler]) throws -> LiveUpdateOrchestrator {
    let image = try luo.reboot()
    let next = LiveUpdateOrchestrator()
    for handler in handlers { try next.register(handler) }
    try next.loadIncoming(bytes: image.bytes)
    return next
}
