import HandoverModel

/// One preserved file of an outgoing session (`struct luo_file` before the
/// reboot).
final class OutgoingFile: TokenIdentified {
    let token: UInt64
    let file: any LiveFile
    let handler: any FileHandler
    var serialized: FileContent
    var privateState: Any?

    init(token: UInt64, file: any LiveFile, handler: any FileHandler, serialized: FileContent, privateState: Any?) {
        self.token = token
        self.file = file
        self.handler = handler
        self.serialized = serialized
        self.privateState = privateState
    }
}
