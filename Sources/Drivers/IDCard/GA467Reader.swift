import Foundation
import KioskCore
import Logging
import Synchronization

/// The GA 467 (SAM-V) second-generation ID-card reader, over any transport
/// (`serial:` for USB-serial and RS-232 readers, `usb:` for bulk ones).
///
/// It polls: *find card*; when a card enters the field, *select* and *read*
/// (and the extra address). While the same card stays, *find* fails and
/// *select* still succeeds, so nothing is reported twice; when *select* fails
/// too, the card is gone. A reader that re-finds a card it has read is
/// handled too: the same number again is not a new presentation.
///
/// A SAM fault (self-test failed, not authorised, …) sets the status to
/// `hardwareError` with the `sam_fault` condition, resets the SAM once and
/// polls with backoff until it answers again.
public final class GA467Reader: CardReader, ConnectionDriver {
    /// Polling and timing settings.
    public struct Settings: Sendable, Equatable {
        /// Time between *find* polls while the reader is empty: a card placed
        /// waits at most this long for its read to start.
        public var pollInterval = Duration.milliseconds(25)
        /// Time between polls while a card lies on the reader, to notice it taken.
        public var presencePollInterval = Duration.milliseconds(300)
        /// How long the empty reader's polling runs as one command. Another
        /// command (a health check) does not wait for it: the polling gives
        /// way at its next poll.
        public var idleWatch = Duration.seconds(10)
        /// Longest wait between polls while the SAM reports a fault.
        public var faultBackoffMax = Duration.seconds(5)
        /// How long one command may wait for its reply.
        public var replyTimeout = Duration.seconds(2)
        /// Read the fingerprint block too (30 10 instead of 30 01).
        public var readFingerprint = false

        /// The defaults.
        public init() {}
    }

    private enum Presence: Equatable {
        case empty
        case present(number: String)
        case unreadable
    }

    private struct State {
        var presence = Presence.empty
        var samFaulted = false
        /// Whether select has looked for a card that find cannot see (left on the
        /// reader, or selected by a poll that failed); false again after a failed poll.
        var checkedForLeftoverCard = false
        var shutDown = false
        var reads = 0
        var failures = 0
    }

    /// The port and its supervision.
    public let connection: DeviceConnection
    private let settings: Settings
    private let today: @Sendable () -> CalendarDate
    private let logger: Logger
    private let events = EventBroadcaster<CardEvent>()
    private let state = Mutex(State())

    /// Creates a reader on `connection`; nothing runs before ``run()``.
    /// - Parameter today: The local date, for card validity (injected by tests).
    public init(
        connection: DeviceConnection, settings: Settings = Settings(),
        today: @escaping @Sendable () -> CalendarDate = { ChinaTime.date(Date().timeIntervalSince1970) }, logger: Logger = Logger(label: "kioskd.idcard")
    ) {
        self.connection = connection
        self.settings = settings
        self.today = today
        var logger = logger
        logger[metadataKey: "device"] = "idcard_reader"
        self.logger = logger
    }

    public func cardEvents() -> AsyncStream<CardEvent> { events.subscribe() }

    /// Cards read and read failures since start, for health reports.
    public var counters: (reads: Int, failures: Int) { state.withLock { ($0.reads, $0.failures) } }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.connection.run() }
            group.addTask { await self.pollUntilShutdown() }
        }
    }

    public func shutdown(grace: Duration) async {
        state.withLock { $0.shutDown = true }
        await connection.shutdown(grace: grace)
        events.finish()
    }

    // MARK: Polling

    private func pollUntilShutdown() async {
        var interval = settings.pollInterval
        while !Task.isCancelled, !state.withLock({ $0.shutDown }) {
            if connection.isConnected {
                let completion = await connection.perform("poll for a card", timeout: settings.idleWatch + settings.replyTimeout * 6) { transport in
                    try await self.pollOnce(transport)
                }.completion
                interval = handle(completion, interval: interval)
            } else {
                let hadCard = state.withLock { state -> Bool in
                    defer {
                        state.presence = .empty
                        state.checkedForLeftoverCard = false
                    }
                    return state.presence != .empty
                }
                if hadCard { emit(.removed) }
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Reacts to one poll's ending and returns the interval until the next.
    private func handle(_ completion: CommandCompletion<[CardEvent]>, interval: Duration) -> Duration {
        switch completion {
        case .success(let found):
            if state.withLock({ state -> Bool in
                defer { state.samFaulted = false }
                return state.samFaulted
            }) {
                logger.notice("the SAM answers again")
                connection.report(.online)
            }
            for event in found { emit(event) }
            return nextPoll
        case .failed(let error) where error.code == .hardwareError:
            let first = state.withLock { state -> Bool in
                defer { state.samFaulted = true }
                return !state.samFaulted
            }
            connection.report(DeviceStatus(.hardwareError, conditions: [.samFault], message: error.message))
            if first {
                logger.error("\(error.message)")
                _ = connection.perform("reset SAM", timeout: settings.replyTimeout * 2) { transport in
                    try await self.exchange(.resetSAM, on: transport)
                }
            }
            return min(interval * 2, settings.faultBackoffMax)
        case .failed(let error) where error.code == .disconnected || error.code == .noDevice:
            if state.withLock({ $0.presence != .empty }) {
                state.withLock { $0.presence = .empty }
                emit(.removed)
            }
            return nextPoll
        case .failed(let error):
            // A garbled or missing reply: the next poll starts afresh (after a
            // flush), and looks with select too, in case the SAM had already
            // selected a card this poll never got to read.
            state.withLock { $0.checkedForLeftoverCard = false }
            logger.warning("poll failed: \(error.message)")
            return nextPoll
        case .timedOut(let after):
            state.withLock { $0.checkedForLeftoverCard = false }
            logger.warning("poll took longer than \(after.formatted): is this a GA 467 reader at the configured baud rate?")
            return nextPoll
        case .canceled:
            return nextPoll
        }
    }

    private var nextPoll: Duration {
        state.withLock { $0.presence } == .empty ? settings.pollInterval : settings.presencePollInterval
    }

    private func emit(_ event: CardEvent) {
        switch event {
        case .presented, .refused: state.withLock { $0.reads += 1 }
        case .unreadable: state.withLock { $0.failures += 1 }
        case .removed: break
        }
        logger.info("\(event)")
        events.send(event)
    }

    /// One poll: returns the events it found.
    private func pollOnce(_ transport: any ByteTransport) async throws -> [CardEvent] {
        let (presence, checked) = state.withLock { ($0.presence, $0.checkedForLeftoverCard) }
        let find: GA467Reply
        if presence == .empty, checked {
            // The reader at rest: polled on the port's own thread until a card answers.
            guard let answer = try await answering(.findCard, {
                try await transport.poll(
                    sending: GA467.encode(.findCard), every: settings.pollInterval, whileAnswer: GA467.noCardAnswer,
                    until: .now + settings.idleWatch, giveWay: { [commands = connection.commands] in commands.backlog > 1 },
                    replyTimeout: settings.replyTimeout)
            }) else { return [] }
            find = try await reply(to: .findCard, startingWith: answer, on: transport, deadline: .now + settings.replyTimeout)
        } else {
            find = try await exchange(.findCard, on: transport)
        }
        switch find.status.category {
        case .success:
            return try await readCard(on: transport, previously: presence)
        case .noCard:
            if presence == .empty {
                // A SAM reports a card once per placement, so one that was read
                // before this connection opened, or selected by a poll that
                // failed half-way, is seen only by select: read it then.
                guard !state.withLock({ $0.checkedForLeftoverCard }) else { return [] }
                let found = try await readCard(on: transport, previously: presence, selectOnly: true)
                state.withLock { $0.checkedForLeftoverCard = true }  // only once it has been answered
                return found
            }
            let select = try await exchange(.selectCard, on: transport)
            if select.status.category == .success { return [] }  // still on the reader
            state.withLock { $0.presence = .empty }
            return [.removed]
        default:
            throw find.status.error(for: .findCard)
        }
    }

    /// Selects and reads the card in the field. With `selectOnly`, no card found by select is not an event.
    private func readCard(on transport: any ByteTransport, previously: Presence, selectOnly: Bool = false) async throws -> [CardEvent] {
        let select = try await exchange(.selectCard, on: transport)
        guard select.status.category == .success else {
            if select.status.category == .noCard { return [] }  // it left between find and select (or there is none)
            return try unreadable(select.status.error(for: .selectCard), previously: previously)
        }
        let command: GA467Command = settings.readFingerprint ? .readBaseAndFingerprint : .readBaseAndPhoto
        let read = try await exchange(command, on: transport)
        guard read.status.category == .success else {
            if read.status.category == .samFault { throw read.status.error(for: command) }
            return try unreadable(read.status.error(for: command), previously: previously)
        }
        let blocks = try GA467CardText.decodeRead(read.data, withFingerprint: settings.readFingerprint)
        var extra: [UInt8]?
        let extraReply = try await exchange(.readExtraAddress, on: transport)
        if extraReply.status.category == .success, !extraReply.data.isEmpty { extra = extraReply.data }
        let resident = try GA467CardText.identity(text: blocks.text, photo: blocks.photo, extraAddress: extra)

        if case .present(let number) = previously, number == resident.number {
            return []  // the same card, re-found by a reader that does so: not a new presentation
        }
        state.withLock { $0.presence = .present(number: resident.number) }
        var found: [CardEvent] = []
        if case .present = previously { found.append(.removed) }  // a different card replaced it
        do {
            try resident.validate(on: today())
            found.append(.presented(resident))
        } catch {
            found.append(.refused(resident, error))
        }
        return found
    }

    private func unreadable(_ error: DeviceError, previously: Presence) throws -> [CardEvent] {
        // Report once per presentation; keep retrying quietly.
        state.withLock { $0.presence = .unreadable }
        return previously == .unreadable ? [] : [.unreadable(error)]
    }

    // MARK: Exchanges

    /// Sends `command` and waits for its reply. A garbled or missing reply is
    /// retried once after discarding stale input.
    func exchange(_ command: GA467Command, on transport: any ByteTransport) async throws -> GA467Reply {
        do {
            return try await exchangeOnce(command, on: transport)
        } catch let error as DeviceError where error.code == .protocolError || error.code == .timedOut {
            logger.debug("retrying \(command.name): \(error.message)")
            return try await exchangeOnce(command, on: transport)
        }
    }

    private func exchangeOnce(_ command: GA467Command, on transport: any ByteTransport) async throws -> GA467Reply {
        let deadline = ContinuousClock.now + settings.replyTimeout
        let start = try await answering(command) {
            try await transport.exchange(GA467.encode(command), replyMaxCount: 4096, deadline: deadline)
        }
        return try await reply(to: command, startingWith: start, on: transport, deadline: deadline)
    }

    /// Reads the rest of the reply to `command` whose first bytes are `start`.
    private func reply(to command: GA467Command, startingWith start: [UInt8], on transport: any ByteTransport, deadline: ContinuousClock.Instant) async throws -> GA467Reply {
        var decoder = GA467ReplyDecoder()
        decoder.append(start)
        while true {
            switch decoder.next() {
            case .success(let reply)?: return reply
            case .failure(let error)?: throw DeviceError(.protocolError, "ID-card reader: \(error.description)")
            case nil: decoder.append(try await answering(command) { try await transport.read(maxCount: 4096, deadline: deadline) })
            }
        }
    }

    /// Runs `io`, saying what a missing answer to `command` means.
    private func answering<Answer>(_ command: GA467Command, _ io: () async throws -> Answer) async throws -> Answer {
        do {
            return try await io()
        } catch let error as DeviceError where error.code == .timedOut {
            throw DeviceError(.timedOut, "ID-card reader did not answer \"\(command.name)\" within \(settings.replyTimeout.formatted): check that it is a GA 467 reader and the baud rate is right")
        }
    }

    // MARK: Health

    public func healthCheck(_ level: HealthCheckLevel) async -> HealthReport {
        switch level {
        case .internal:
            var report = await connection.healthCheck(.internal)
            let (reads, failures) = counters
            report.items.append(HealthReport.Item("cards read", .passed, "\(reads) read, \(failures) unreadable since start"))
            return report
        case .external:
            var report = await connection.healthCheck(.external)
            guard report.outcome == .passed else { return report }
            let sam = await connection.perform("health check", timeout: settings.replyTimeout * 3) { transport in
                (try await self.exchange(.samStatus, on: transport), try await self.exchange(.samID, on: transport))
            }.completion
            switch sam {
            case .success(let (status, id)):
                let ok = status.status == .success
                report.items.append(HealthReport.Item("SAM status", ok ? .passed : .failed, ok ? "ready" : "\(status.status); \(status.status.advice)"))
                if id.status == .success {
                    report.items.append(HealthReport.Item("SAM id", .passed, id.data.map { hex(Int($0), digits: 2) }.joined()))
                }
            default:
                report.items.append(HealthReport.Item("SAM status", .failed, "no GA 467 answer (\(sam.outcome)): check the reader and the baud rate"))
            }
            return report
        case .interactive:
            let stream = cardEvents()
            let outcome = await withTaskGroup(of: HealthReport.Item?.self) { group -> HealthReport.Item in
                group.addTask {
                    for await event in stream {
                        switch event {
                        case .presented(let resident): return .init("read a card", .passed, "read \(resident.maskedNumber)")
                        case .refused(let resident, let error): return .init("read a card", .passed, "read \(resident.maskedNumber) (\(error.message))")
                        case .unreadable(let error): return .init("read a card", .failed, error.message)
                        case .removed: continue
                        }
                    }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? .init("read a card", .failed, "no card was placed within 30 s")
            }
            return HealthReport(device: identity, level: .interactive, items: [outcome])
        }
    }
}
