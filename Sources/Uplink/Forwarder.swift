import Foundation
import KioskCore
import Logging
import Synchronization

/// Sends queued applications to the platform, exactly once in effect:
/// each goes with the idempotency key minted at enqueue, so a retry after an
/// answer that never arrived gets the platform's original answer.
///
/// - Attachments go first, in chunks, from the offset the platform last
///   acknowledged; a 409 carries the platform's own offset (after a reset
///   it keeps part of a chunk) and the upload resumes there. Then the application.
/// - Network errors, 408, 429, 5xx and answers that break the API are
///   retried with full-jitter exponential backoff (`base` doubling up to
///   `cap`), never sooner than `Retry-After`; they are never given up.
/// - Any other 4xx moves the application to the dead letters with the
///   platform's reason, for a maintainer (`kioskctl queue retry`).
/// - When the platform does not answer, the link is taken as down: nothing is
///   sent, and a cheap probe (`/v1/ping`, with its own backoff up to
///   `probeCap`) notices it come back, within seconds.
/// - Now and then it reads the station's case events from the platform (one
///   request, two when many changed, whatever the number of open cases) and
///   applies them with the cursor past them; and it purges what the platform
///   has had long enough.
public final class Forwarder: Sendable {
    /// Timing settings.
    public struct Settings: Sendable {
        /// Seconds the first retry waits at most; each attempt doubles it (full jitter).
        public var baseDelay: Double = 2
        /// The longest a retry waits, in seconds.
        public var maxDelay: Double = 600
        /// Bytes per upload request. The platform keeps what arrived of a cut
        /// request, so a drop costs nothing already sent: chunks can be large.
        public var chunkSize = 4 << 20
        /// Seconds between probes of a link that just went down.
        public var probeInitial: Double = 0.5
        /// The longest between probes of a link that stays down.
        public var probeCap: Double = 5
        /// How often the station's case events are asked for, in seconds.
        public var statusSyncInterval: Double = 60
        /// Events asked for in one request, and requests at most in one round: 10,000 cases
        /// that all changed since the last round are brought up to date in two.
        public var eventPageSize = 5000
        public var eventPagesPerRound = 2
        /// How often what the platform has had long enough is purged, in seconds.
        public var purgeInterval: Double = 600
        /// With nothing to send, the link is still checked this often, so `/healthz` tells the truth.
        public var idleProbeInterval: Double = 60
        /// The defaults.
        public init() {}
    }

    private let outbox: any ForwardingQueue
    private let platform: any PlatformAPI
    private let now: @Sendable () -> Double
    private let settings: Settings
    private let random: @Sendable () -> Double
    private let observe: @Sendable (Event) -> Void
    private let logger: Logger
    private let stopped = Mutex(false)
    // Unknown until the first probe: taken as down, so the first thing run() does is probe.
    private let link = Mutex(false)

    /// What the forwarder tells whoever counts (kioskd's metrics).
    public enum Event: Sendable {
        case forwarded
        case deadLettered
        case retried
        /// Attachment bytes the platform acknowledged.
        case uploaded(bytes: Int)
        /// Nothing more is due after a round of sending (or trying): the forwarder waits.
        case caughtUp
        /// The platform broke the API (a redirect, a bad offset, an answer too large …): `kind` names it.
        case platformFault(kind: String)
    }

    /// Creates a forwarder draining `outbox` to `platform`. `now` is the clock in
    /// Unix seconds and `random` returns a value in [0, 1) (both injected by
    /// tests); `observe` hears each ``Event``.
    public init(outbox: any ForwardingQueue, platform: any PlatformAPI, settings: Settings = Settings(),
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                observe: @escaping @Sendable (Event) -> Void = { _ in }, logger: Logger = Logger(label: "kioskd.uplink")) {
        self.outbox = outbox
        self.platform = platform
        self.now = now
        self.settings = settings
        self.random = random
        self.observe = observe
        self.logger = logger
    }

    /// Whether the platform answered last time.
    public var linkUp: Bool { link.withLock { $0 } }

    /// Why the link is taken as down, when it is.
    public var linkProblem: String? { problem.withLock { $0 } }
    private let problem = Mutex<String?>(nil)

    private func linkDown(_ reason: String) {
        link.withLock { $0 = false }
        problem.withLock { $0 = reason }
    }

    private func linkIsUp() {
        link.withLock { $0 = true }
        problem.withLock { $0 = nil }
    }

    /// Stops after the current application.
    public func stop() {
        stopped.withLock { $0 = true }
        outbox.changes.signal()
    }

    /// Forwards until ``stop()``.
    public func run() async {
        var lastSync = 0.0, lastPurge = 0.0, lastProbe = 0.0
        var probeDelay = settings.probeInitial
        var everUp = false
        var sentSinceCaughtUp = false
        while !stopped.withLock({ $0 }), !Task.isCancelled {
            var now = self.now()
            // Purging needs no link: payloads and old rows go on time even offline.
            if now - lastPurge >= settings.purgeInterval {
                if let (payloads, rows) = try? outbox.purge(), payloads + rows > 0 {
                    logger.info("purged \(payloads) sealed payload(s) the platform has had long enough, and \(rows) old row(s)")
                }
                lastPurge = now
            }
            if !linkUp || (now - lastProbe >= settings.idleProbeInterval && ((try? outbox.due(limit: 1)) ?? []).isEmpty) {
                // Down (or idle long enough that nobody would notice it went down): ask cheaply.
                lastProbe = now
                do {
                    try await platform.ping()
                    if !linkUp { logger.notice(everUp ? "the platform answers again: forwarding resumes" : "the platform answers") }
                    linkIsUp()
                    everUp = true
                    probeDelay = settings.probeInitial
                } catch {
                    if linkUp || linkProblem == nil { logger.warning("the platform does not answer (\(error)); applications queue until it does") }
                    linkDown("\(error)")
                    await outbox.changes.wait(for: .milliseconds(Int(probeDelay * 1000)))
                    probeDelay = min(probeDelay * 2, settings.probeCap)
                    continue
                }
            }
            let due = (try? outbox.due(limit: 20)) ?? []
            for tracking in due where linkUp && !stopped.withLock({ $0 }) {
                await forward(tracking)
                sentSinceCaughtUp = true
            }
            if linkUp { await sendRatings() }
            now = self.now()
            if linkUp, now - lastSync >= settings.statusSyncInterval {
                // More than a round's pages waiting: the next round comes at once, not an interval later.
                lastSync = await syncEvents() ? 0 : now
            }
            guard due.isEmpty else { continue }
            if sentSinceCaughtUp {
                sentSinceCaughtUp = false
                observe(.caughtUp)
            }
            let next = min((try? outbox.nextDueAt()).flatMap { $0 } ?? .infinity, lastProbe + settings.idleProbeInterval, lastPurge + settings.purgeInterval,
                           linkUp ? lastSync + settings.statusSyncInterval : .infinity)
            let wait = max(0.05, min(60, next - now))
            await outbox.changes.wait(for: .milliseconds(Int(wait * 1000)))
        }
    }

    /// Sends one application; on failure schedules the next attempt or dead-letters it.
    func forward(_ tracking: TrackingNumber) async {
        guard let upload = try? outbox.upload(tracking) else { return }
        do {
            for attachment in upload.attachments { try await send(attachment, of: upload) }
            logger.debug("\(tracking): submitting")
            let caseNumber = try await platform.submit(key: upload.idempotencyKey, body: Self.manifest(for: upload))
            try? outbox.acknowledge(tracking, caseNumber: caseNumber)
            observe(.forwarded)
            logger.info("forwarded \(tracking): platform case \(caseNumber)")
        } catch let failure as PlatformFailure {
            handle(failure, tracking)
        } catch {
            handle(.retryable(status: 0, retryAfter: nil, reason: "\(error)"), tracking)
        }
    }

    /// Uploads without progress (or offsets answered back) in a row before the attempt is given up, with backoff.
    static let stalledRounds = 3

    private func send(_ attachment: SealedAttachment, of upload: SealedUpload) async throws {
        // Start where the platform last acknowledged; if it holds more or less
        // (part of a cut chunk, or a crash before progress was recorded), its
        // 409 says how much, and the upload goes on from there. Every offset it
        // answers is checked first: within the file, and not below what it acknowledged before.
        let total = attachment.bytes
        let floor = min(max(0, attachment.uploadedBytes), total)
        var offset = floor
        guard offset < total else { return }
        logger.debug("\(upload.trackingNumber): uploading attachment \(attachment.position) from byte \(offset) of \(attachment.bytes)")
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: attachment.path))
        var complete = false
        // Progress is recorded (for the next attempt and `kioskctl queue show`) only
        // when an attempt fails: on success the acknowledgement follows at once.
        defer {
            try? file.close()
            if !complete, offset > attachment.uploadedBytes { try? outbox.recordUploaded(upload.trackingNumber, position: attachment.position, bytes: offset) }
        }
        var stalled = 0, highest = floor
        while offset < total {
            try file.seek(toOffset: UInt64(offset))
            let chunk = file.readData(ofLength: min(settings.chunkSize, total - offset))
            let answered = try await acknowledgedOffset(upload, attachment, offset: offset, chunk: chunk)
            guard (0...total).contains(answered), answered >= highest else {
                throw PlatformFailure.misbehaved(kind: "bad_offset", reason: "it answered Upload-Offset \(answered) for attachment \(attachment.position) of "
                                                 + "\(total) bytes, \(answered < 0 || answered > total ? "outside the file" : "below the \(highest) it acknowledged before")")
            }
            if answered > offset { observe(.uploaded(bytes: answered - offset)) }
            stalled = answered > highest ? 0 : stalled + 1
            guard stalled < Self.stalledRounds else {
                throw PlatformFailure.misbehaved(kind: "no_progress", reason: "the upload of attachment \(attachment.position) made no progress in "
                                                 + "\(Self.stalledRounds) requests (the platform holds \(answered) of \(total) bytes)")
            }
            highest = max(highest, answered)
            offset = answered
        }
        complete = true
    }

    /// The platform's offset after sending `chunk` at `offset`: its answer, or the offset its 409 says it holds.
    private func acknowledgedOffset(_ upload: SealedUpload, _ attachment: SealedAttachment, offset: Int, chunk: Data) async throws(PlatformFailure) -> Int {
        do {
            return try await platform.append(key: upload.idempotencyKey, index: attachment.position, offset: offset, total: attachment.bytes, chunk: chunk)
        } catch {
            guard case .offsetMismatch(let held) = error else { throw error }
            return held
        }
    }

    /// The body of `POST /v1/applications` for an upload (docs/platform-api.yaml, `Submission`).
    public static func manifest(for upload: SealedUpload) throws -> Data {
        let envelope = try JSONSerialization.jsonObject(with: Data(upload.envelope))
        let body: [String: Any] = [
            "tracking_number": upload.trackingNumber.value, "station_code": upload.trackingNumber.station, "service_code": upload.serviceCode,
            "envelope": envelope,
            "attachments": upload.attachments.map { ["index": $0.position, "bytes": $0.bytes, "sha256": $0.sha256] },
        ]
        return try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    }

    private func handle(_ failure: PlatformFailure, _ tracking: TrackingNumber) {
        let attempts = ((try? outbox.application(tracking))?.map { $0.attempts }) ?? 0
        let backoff = random() * min(settings.maxDelay, settings.baseDelay * pow(2, Double(attempts)))
        if case .final = failure {} else { observe(.retried) }
        switch failure {
        case .final(_, let reason):
            try? outbox.deadLetter(tracking, reason: failure.description)
            observe(.deadLettered)
            logger.error("\(tracking) moved to the dead letters: \(reason)")
        case .network:
            linkDown(failure.description)
            try? outbox.scheduleRetry(tracking, at: now() + backoff, error: failure.description)
            logger.warning("\(tracking): \(failure); the link looks down, probing")
        case .retryable(_, let retryAfter, _):
            // Retry-After is at most a day (the client reads no more); the backoff at most maxDelay.
            let delay = max(min(retryAfter ?? 0, 86_400), backoff)
            try? outbox.scheduleRetry(tracking, at: now() + delay, error: failure.description)
            logger.warning("\(tracking): \(failure); retrying in \(Int(delay)) s")
        case .misbehaved(let kind, _):
            observe(.platformFault(kind: kind))
            try? outbox.scheduleRetry(tracking, at: now() + backoff, error: failure.description)
            logger.error("\(tracking): \(failure); retrying in \(Int(backoff)) s")
        case .offsetMismatch:
            try? outbox.scheduleRetry(tracking, at: now(), error: failure.description)
        }
    }

    /// Sends the ratings whose cases have the platform's number.
    func sendRatings() async {
        for rating in (try? outbox.ratingsToSend(limit: 20)) ?? [] where !stopped.withLock({ $0 }) {
            do {
                try await platform.rate(caseNumber: rating.caseNumber, satisfaction: rating.satisfaction, reasons: rating.reasons,
                                        sealedComment: rating.sealedComment, commentID: rating.commentID, ratedAt: ChinaTime.timestamp(rating.ratedAt))
                try? outbox.ratingSent(rating.trackingNumber, error: nil)
            } catch {
                switch error {
                case .final(let status, let reason):
                    logger.warning("the platform refused the rating of \(rating.trackingNumber) (\(status)): \(reason)")
                    try? outbox.ratingSent(rating.trackingNumber, error: "\(status): \(reason)")
                case .network: linkDown(error.description); return
                default: return  // tried again on the next round
                }
            }
        }
    }

    /// Reads the station's case events after the cursor and applies them, a page at a time, at most
    /// `eventPagesPerRound` pages; returns whether the platform holds more. A page that does not hold
    /// together is asked for again next round (its events are not applied); a flawed event is flagged by the outbox and passed.
    @discardableResult
    public func syncEvents() async -> Bool {
        for _ in 0..<settings.eventPagesPerRound {
            do {
                let page = try await platform.events(station: outbox.stationCode, after: try outbox.caseEventCursor(), limit: settings.eventPageSize)
                for (id, flaw) in page.flawed { logger.warning("case event \(id.map(String.init) ?? "without an id") from the platform is flagged and skipped: \(flaw)") }
                logger.debug("applying \(page.events.count) case event(s) up to \(page.last)")
                let applied = try outbox.applyCaseEvents(page)
                if applied.applied + applied.flagged > 0 {
                    logger.info("case events up to \(page.last): \(applied.applied) applied, \(applied.flagged) flagged, \(applied.repeated) seen before")
                }
                guard page.more else { return false }
            } catch let error as PlatformFailure {
                if case .network = error { linkDown(error.description) }
                if case .misbehaved(let kind, _) = error { observe(.platformFault(kind: kind)) }
                logger.warning("the case events were not read: \(error)")
                return false
            } catch {
                logger.error("the case events could not be kept: \(error)")
                return false
            }
        }
        return true
    }
}
