import HandoverModel
import KHOImage

extension LiveUpdateOrchestrator {
    /// Hands the outgoing sessions over (`liveupdate_reboot`): freezes every
    /// file of every session, sessions in creation order and files in
    /// preservation order, then builds the KHO image from what each handler
    /// serialized, the FLBs with dependent files and the `liveupdate-number`.
    ///
    /// If a freeze fails, the files already frozen are unfrozen in reverse
    /// order and its error is thrown; if the image cannot be built, every
    /// file is unfrozen the same way and ``LiveUpdateError/image(_:)`` is
    /// thrown. Either way the sessions stay as they were and a later reboot
    /// may succeed. After a successful reboot the outgoing side is handed
    /// over and accepts no more changes.
    public func reboot() throws(LiveUpdateError) -> EncodedImage {
        try reboot(writingTo: nil)
    }

    /// Like ``reboot()``, and writes the image to `path` atomically; if the
    /// write fails every file is unfrozen and nothing is left at `path`.
    @discardableResult
    public func reboot(writingTo path: String?) throws(LiveUpdateError) -> EncodedImage {
        try requireNoCallback("reboot")
        guard !isHandedOver else { throw .alreadyHandedOver }
        var frozen: [(OutgoingSession, OutgoingFile)] = []
        for session in outgoing {
            for entry in session.files {
                var args = FileOperationArguments(handler: entry.handler, session: .outgoing(session),
                                                  token: entry.token, file: entry.file,
                                                  serialized: entry.serialized, privateState: entry.privateState)
                do {
                    try inCallback("freeze") { () throws(LiveUpdateError) in try entry.handler.freeze(&args) }
                } catch {
                    unfreeze(frozen)
                    throw error
                }
                entry.serialized = args.serialized
                entry.privateState = args.privateState
                frozen.append((session, entry))
            }
        }
        let image: EncodedImage
        do throws(KHOImageError) {
            image = try KHOImageWriter(base: imageBase).encode(handoverState())
            if let path { try image.write(to: path) }
        } catch {
            unfreeze(frozen)
            throw .image(error)
        }
        isHandedOver = true
        return image
    }

    /// What the next kernel receives, as the image writer's model, in the
    /// orchestrator's ``generation``: the outgoing sessions in creation
    /// order with their files in preservation order, the FLBs some file
    /// depends on, in registration order, and (where the generation has it)
    /// `kexec-metadata` counting this kexec: the incoming count plus one.
    public func handoverState() -> HandoverState {
        HandoverState(
            generation: generation,
            liveupdateNumber: liveupdateNumber,
            sessions: outgoing.map { session in
                SessionRecord(name: session.name, files: session.files.map {
                    FileRecord(token: $0.token, compatible: $0.handler.compatible, content: $0.serialized)
                })
            },
            flbs: flbs.filter { $0.outgoingCount > 0 }.map {
                FLBRecord(name: $0.flb.compatible, data: $0.outgoingData, count: $0.outgoingCount)
            },
            kexecMetadata: KexecMetadata.default(for: generation).map {
                KexecMetadata(previousRelease: $0.previousRelease, kexecCount: (incomingKexecCount ?? 0) + 1)
            })
    }

    /// `luo_file_unfreeze` for an aborted reboot: last frozen first.
    private func unfreeze(_ frozen: [(OutgoingSession, OutgoingFile)]) {
        for (session, entry) in frozen.reversed() {
            let args = FileOperationArguments(handler: entry.handler, session: .outgoing(session), token: entry.token,
                                              file: entry.file, serialized: entry.serialized,
                                              privateState: entry.privateState)
            inCallback("unfreeze") { entry.handler.unfreeze(args) }
        }
    }
}
