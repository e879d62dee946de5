import Foundation
import KioskCore
import Logging
import Outbox
import ServiceLifecycle
import Synchronization
import SystemIO
import Uplink

/// The station's memory and its road to the platform: the outbox under
/// `STATE_DIR/outbox` and the forwarder that drains it.
final class StationUplink: Sendable {
    let outbox: Outbox
    let forwarder: Forwarder
    let platformURL: String
    let client: HTTPPlatformClient
    /// Why applications cannot be sealed while the platform's key is missing or unreadable; nil once it is installed.
    var keyProblem: String? { keyState.withLock { $0.problem } }
    private let keyState: Mutex<(problem: String?, lastTry: ContinuousClock.Instant)>
    private let keyPath: String
    private let stateDirectory: StateDirectory
    private let logger: Logger

    /// Why the kiosk takes no new visit, in the resident's words, or nil. A
    /// visit that could not end in a saved application does not start: the
    /// outbox went back, the platform's key is missing (looked for again every
    /// few seconds, so installing it resumes the kiosk), or the state disk is
    /// full or not writable (resumes when there is room).
    var outOfService: SessionText? {
        if outbox.wentBack != nil { return SessionText(.outOfServiceOutbox) }
        if lookForKey() != nil { return SessionText(.outOfServiceKey) }
        if stateDirectory.pauses { return SessionText(.outOfServiceDisk) }
        return nil
    }

    /// The key's problem, after reading its file again if the last try was a while ago.
    private func lookForKey() -> String? {
        let now = ContinuousClock.now
        let due = keyState.withLock { state -> Bool in
            guard state.problem != nil, now - state.lastTry >= Self.keyRetry else { return false }
            state.lastTry = now
            return true
        }
        guard due else { return keyProblem }
        guard let found = try? PlatformPublicKey(pemFile: keyPath) else { return keyProblem }
        outbox.install(platformKey: found)
        keyState.withLock { $0.problem = nil }
        logger.notice("the platform's public key is installed (\(keyPath)): new applications are taken again")
        return nil
    }

    static let keyRetry = Duration.seconds(5)

    /// Opens the outbox and prepares the platform client.
    /// - Throws: A ``StartupError`` that says what to do.
    /// `now` is the outbox's clock (the churn tool backdates its made-up applications with it).
    init(config: KioskConfig, stateDirectory: StateDirectory, metrics: KioskMetrics? = nil, now: (@Sendable () -> Double)? = nil, logger: Logger) throws {
        var keyProblem: String?
        let key: PlatformPublicKey?
        do {
            key = try PlatformPublicKey(pemFile: config.platform.publicKey)
        } catch {
            // Devices, the case list and forwarding what is queued still work; new applications are refused.
            keyProblem = "\(error)"
            logger.error("new applications will be refused until the platform's public key is installed: \(error)")
            key = nil
        }
        keyState = Mutex((keyProblem, ContinuousClock.now))
        keyPath = config.platform.publicKey
        self.stateDirectory = stateDirectory
        self.logger = logger
        var settings = Outbox.Settings(stationCode: config.station.code)
        settings.purgeAfter = config.outbox.purgeAfter.seconds
        settings.retention = config.outbox.retention.seconds
        settings.issuedMarkPath = stateDirectory.path + "/issued"
        if let now { settings.now = now }
        do {
            outbox = try Outbox(directory: stateDirectory.path + "/outbox", platformKey: key, settings: settings, logger: logger)
        } catch let error as OutboxError where error.code == .damagedDatabase {
            throw StartupError("\(error)", exitStatus: StartupError.damagedData)
        } catch let error as OutboxError where error.code == .cannotOpen || error.code == .diskFull {
            throw StartupError("the outbox cannot be opened: \(error)", pausesKiosk: true)
        } catch {
            throw StartupError("the outbox cannot be opened: \(error)")
        }
        do {
            client = try HTTPPlatformClient(baseURL: config.platform.url, tls: try Self.tls(config.platform))
        } catch {
            try? outbox.close()
            throw StartupError("\(error)")
        }
        platformURL = config.platform.url
        var forwarding = Forwarder.Settings()
        forwarding.baseDelay = config.platform.retryBase.seconds
        forwarding.maxDelay = config.platform.retryCap.seconds
        forwarding.statusSyncInterval = config.platform.statusSyncInterval.seconds
        // Purge at least as often as payloads fall due, and at most every 10 minutes.
        forwarding.purgeInterval = min(600, max(1, settings.purgeAfter))
        forwarder = Forwarder(outbox: outbox, platform: client, settings: forwarding, now: settings.now, observe: { event in
            metrics?.forwarder(event)
            // Uploads read sealed pages into memory: once the queue is sent, the allocator gives back what they used.
            if case .caughtUp = event { Allocator.releaseFreeMemory() }
        }, logger: logger)
    }

    private static func tls(_ platform: PlatformSettings) throws -> PlatformTLS? {
        guard let certificate = platform.clientCertificate, let key = platform.clientKey, let ca = platform.caCertificate else { return nil }
        func read(_ path: String, _ setting: String) throws -> String {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw StartupError("cannot read \(setting) \(path): check the path and that kioskd's user may read it")
            }
            return text
        }
        return PlatformTLS(
            certificateChainPEM: try read(certificate, "platform.client_certificate"),
            privateKeyPEM: try read(key, "platform.client_key"),
            caPEM: try read(ca, "platform.ca"), pins: platform.pins)
    }

    /// Closes the platform connections and the database (kioskd's last step).
    func close(logger: Logger) async {
        await client.shutdown()
        do {
            try outbox.close()
        } catch {
            logger.error("the outbox did not close cleanly: \(error); it recovers at next start")
        }
    }

    /// `/healthz` lines: the queue and the platform link.
    /// `queue` is the outbox's summary when the caller has just read it (read here otherwise).
    func health(queue summary: Result<Outbox.Summary, any Error>? = nil) -> [ComponentHealth] {
        let queue: ComponentHealth
        do {
            queue = Self.health(of: try (summary ?? Result { try outbox.summary() }).get(), keyProblem: keyProblem, wentBack: outbox.wentBack)
        } catch {
            queue = ComponentHealth(name: "outbox", status: "error", detail: "the outbox cannot be read: \(error)")
        }
        let link = forwarder.linkUp
            ? ComponentHealth(name: "platform", status: "online", detail: "forwarding to \(platformURL)")
            : ComponentHealth(name: "platform", status: "offline",
                              detail: "\(platformURL): \(forwarder.linkProblem ?? "not reached yet"); applications queue and go when it answers (probing)")
        return [queue, link] + (client.certificateExpiry.map { [Self.certificateHealth(expiry: $0, now: Date())] } ?? [])
    }

    /// The station's client certificate: a warning from 30 days before it expires, so a new one is asked for in time.
    static func certificateHealth(expiry: Date, now: Date) -> ComponentHealth {
        let days = Int((expiry.timeIntervalSince(now) / 86_400).rounded(.down))
        let date = ChinaTime.date(expiry.timeIntervalSince1970)
        if days < 0 {
            return ComponentHealth(name: "station_certificate", status: "expired",
                                   detail: "the station's client certificate (platform.client_certificate) expired on \(date): the platform refuses the station; install the new one the platform operator issues")
        }
        if days < 30 {
            return ComponentHealth(name: "station_certificate", status: "expiring",
                                   detail: "the station's client certificate (platform.client_certificate) expires on \(date), in \(days) day(s): ask the platform operator for a new one now")
        }
        return ComponentHealth(name: "station_certificate", status: "ok", detail: "the station's client certificate is valid until \(date)")
    }

    static func health(of summary: Outbox.Summary, keyProblem: String?, wentBack: String? = nil) -> ComponentHealth {
        let queued = summary.counts[.queued] ?? 0
        let dead = summary.counts[.deadLetter] ?? 0
        var parts = ["\(queued) queued"]
        if let oldest = summary.oldestQueuedSeconds, queued > 0 {
            parts[0] += " (oldest \(ageText(seconds: oldest)), \(byteText(summary.bytesWaiting)))"
        }
        parts.append("\(summary.counts[.acknowledged] ?? 0) acknowledged")
        if dead > 0 { parts.append("\(dead) refused by the platform (dead letters)") }
        if summary.flagged > 0 { parts.append("\(summary.flagged) with missing files") }
        var detail = parts.joined(separator: ", ")
        let status: String
        if let wentBack {
            status = "went_back"
            detail += "; new applications are refused: \(wentBack)"
        } else if let keyProblem {
            status = "no_platform_key"
            detail += "; new applications are refused: \(keyProblem)"
        } else if dead > 0 || summary.flagged > 0 {
            status = "attention"
            detail += "; see `kioskctl queue`"
        } else {
            status = "ok"
        }
        return ComponentHealth(name: "outbox", status: status, detail: detail)
    }
}

/// Runs the forwarder until graceful shutdown.
struct ForwarderService: KioskService {
    let forwarder: Forwarder

    func run() async throws {
        await withGracefulShutdownHandler {
            await forwarder.run()
        } onGracefulShutdown: {
            forwarder.stop()
        }
    }
}
