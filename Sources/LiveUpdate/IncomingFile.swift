import HandoverModel

/// One file of an incoming session (`struct luo_file` after the reboot).
final class IncomingFile: TokenIdentified {
    /// How far the handler's retrieve got.
    enum RetrieveStatus {
        case notAttempted
        case retrieved(any LiveFile)
        /// Retrieve failed; the kernel keeps the error and returns it again.
        case failed(LiveUpdateError)
    }

    let token: UInt64
    let compatible: String
    let handler: any FileHandler
    let serialized: FileContent
    let dataInImage: UInt64
    var status: RetrieveStatus = .notAttempted
    var retrievedByUser = false
    var privateState: Any?

    init(token: UInt64, compatible: String, handler: any FileHandler, serialized: FileContent, dataInImage: UInt64) {
        self.token = token
        self.compatible = compatible
        self.handler = handler
        self.serialized = serialized
        self.dataInImage = dataInImage
    }

    var liveFile: (any LiveFile)? {
        if case let .retrieved(file) = status { return file }
        return nil
    }
}
