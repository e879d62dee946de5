import Drivers
import Foundation
import KioskCore
import Logging
import Outbox
import ServiceLifecycle
import Synchronization

/// What `kioskctl` asks over the admin socket: one JSON object on one line
/// (docs/operations.md has the protocol).
struct AdminRequest: Decodable, Sendable {
    var command: String
    /// `logs`: how many past lines, and whether to keep sending new ones.
    var lines: Int?
    var follow: Bool?
    /// `selftest`: also ask for a card on the reader; run even while someone uses the kiosk.
    var withCard: Bool?
    var force: Bool?
    /// `drain`: give up after this many seconds.
    var timeout: Double?

    enum CodingKeys: String, CodingKey {
        case command, lines, follow, force, timeout
        case withCard = "with_card"
    }
}

/// The answers to `kioskctl status`, `devices`, `selftest`, `logs` and
/// `metrics`. Each answer is a sequence of JSON lines; the last one has
/// `"end": true` and `"ok"`.
struct AdminCommands: Sendable {
    let config: KioskConfig
    let health: HealthSource
    let watches: [DeviceWatch]
    let session: SessionRuntime
    let uplink: StationUplink
    let services: StationServices
    let metrics: KioskMetrics
    let logs: LogRing
    /// The screen's address with its key (`kioskctl screen-url`): for the maintainer who starts a screen by hand.
    let screenURL: @Sendable () -> String
    let heartbeat = HeartbeatRecord()

    typealias Write = @Sendable ([String: Any]) async throws -> Void

    /// The bounds of the numbers a request may carry: a number from the socket is input like any other.
    static let drainTimeout = 0.0...86_400.0, logLines = 0...10_000

    func handle(_ request: AdminRequest, write: Write) async throws {
        if let timeout = request.timeout, !Self.drainTimeout.contains(timeout) {
            try await write(["end": true, "ok": false, "error": "timeout must be from 0 to 86400 seconds (a day), not \(timeout)"])
            return
        }
        if let lines = request.lines, !Self.logLines.contains(lines) {
            try await write(["end": true, "ok": false, "error": "lines must be from 0 to 10000, not \(lines)"])
            return
        }
        switch request.command {
        case "status":
            try await write(["status": try encoded(status())])
            try await write(["end": true, "ok": true])
        case "devices":
            try await write(["devices": try encoded(devices())])
            try await write(["end": true, "ok": true])
        case "metrics":
            try await write(["metrics": refreshedMetrics()])
            try await write(["end": true, "ok": true])
        case "screen-url":
            try await write(["url": screenURL()])
            try await write(["end": true, "ok": true])
        case "logs":
            let count = request.lines ?? 50
            if request.follow == true {
                for await line in logs.follow(last: count) { try await write(["log": try encoded(line)]) }
            } else {
                for line in logs.last(count) { try await write(["log": try encoded(line)]) }
            }
            try await write(["end": true, "ok": true])
        case "drain":
            var last = try await drain(timeout: request.timeout ?? 300, write: write)
            last["end"] = true
            try await write(last)
        case "selftest":
            if request.force != true, await session.inUse {
                try await write(["end": true, "ok": false, "error": "someone is using the kiosk now: run the self-test when the attract screen shows (or --force, which prints and scans in the middle of their visit)"])
                return
            }
            let passed = try await selftest(withCard: request.withCard == true, write: write)
            try await write(["end": true, "ok": passed])
        default:
            try await write(["end": true, "ok": false, "error": "unknown command \"\(request.command)\": this kioskd knows status, devices, selftest, drain, logs, metrics and screen-url (is kioskctl newer than kioskd?)"])
        }
    }

    private func encoded<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: KioskJSON.encoder.encode(value))
    }

    // MARK: status

    struct Status: Codable, Sendable {
        var version: String
        var uptimeSeconds: Int
        var health: String
        var station: String
        var catalogueVersion: String
        var screen: String
        /// Seconds someone at the kiosk has waited for staff (呼叫工作人员); absent when nobody calls.
        var staffCalledSeconds: Int?
        /// Agents locked out by wrong PINs now, and for how many more seconds; absent when none is.
        var agentsLocked: [LockedAgent]?
        var link: Link
        var queue: Queue?
        var components: [ComponentHealth]
        var auditHead: String?
        /// The last heartbeat to the platform (none yet in the first seconds).
        var lastHeartbeat: HeartbeatRecord.Outcome?
        struct LockedAgent: Codable, Sendable {
            var agent: String
            var secondsLeft: Int
        }
        struct Link: Codable, Sendable {
            var url: String
            var up: Bool
            var problem: String?
        }
        struct Queue: Codable, Sendable {
            var queued: Int
            var acknowledged: Int
            var deadLetters: Int
            var flagged: Int
            var oldestQueuedSeconds: Double?
            var bytesWaiting: Int
            var lastError: String?
        }
    }

    func status() async -> Status {
        // One read of the queue for both the components and the queue's own lines.
        let read = Result { try uplink.outbox.summary() }
        let summary = health.summary(queue: read)
        let queue = try? read.get()
        return Status(
            version: summary.version, uptimeSeconds: summary.uptimeSeconds, health: summary.status,
            station: "\(config.station.code) \(config.station.name)", catalogueVersion: services.catalogue.version,
            screen: await session.screenName.rawValue, staffCalledSeconds: await session.staffCalledSeconds, agentsLocked: lockedAgents(),
            link: .init(url: uplink.platformURL, up: uplink.forwarder.linkUp, problem: uplink.forwarder.linkUp ? nil : uplink.forwarder.linkProblem),
            queue: queue.map {
                .init(queued: $0.counts[.queued] ?? 0, acknowledged: $0.counts[.acknowledged] ?? 0, deadLetters: $0.counts[.deadLetter] ?? 0,
                      flagged: $0.flagged, oldestQueuedSeconds: $0.oldestQueuedSeconds, bytesWaiting: $0.bytesWaiting, lastError: $0.lastError)
            },
            components: summary.components,
            auditHead: (try? uplink.outbox.auditHead()).flatMap { $0.map { "\($0.sequence):\($0.hash)" } },
            lastHeartbeat: heartbeat.outcome)
    }

    // MARK: devices

    struct DeviceEntry: Codable, Sendable {
        var name: String
        var kind: String
        var model: String
        var port: String
        var status: String
        var conditions: [String]
        var detail: String?
        var lastError: DeviceWatch.LastError?
        var lastHealthCheck: DeviceWatch.Check?
    }

    func devices() -> [DeviceEntry] {
        watches.map { watch in
            let status = watch.device?.status
            return DeviceEntry(
                name: watch.name, kind: watch.settings.kind.displayName, model: watch.device?.identity.model ?? watch.settings.model,
                port: watch.device?.identity.port.description ?? "none", status: status?.state.rawValue ?? "disabled",
                conditions: status?.conditions.map(\.rawValue).sorted() ?? [], detail: status?.message,
                lastError: watch.lastError, lastHealthCheck: watch.lastCheck)
        }
    }

    // MARK: drain

    /// Sends everything queued now, reporting progress each half second until
    /// nothing is queued or `timeout` passes; the last line's fields.
    func drain(timeout: Double, write: Write) async throws -> [String: Any] {
        let outbox = uplink.outbox
        let total = try outbox.makeQueuedDue()
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        var queued = total
        while queued > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            queued = try outbox.summary().counts[.queued] ?? 0
            var progress: [String: Any] = ["sent": max(0, total - queued), "of": total, "queued": queued, "link_up": uplink.forwarder.linkUp]
            if !uplink.forwarder.linkUp { progress["problem"] = uplink.forwarder.linkProblem ?? "not reached yet" }
            try await write(["progress": progress])
        }
        let dead = try outbox.summary().counts[.deadLetter] ?? 0
        guard queued > 0 else {
            return ["ok": true, "sent": total, "dead_letters": dead]
        }
        let why = uplink.forwarder.linkUp ? "the platform is answering slowly or refusing some (see `kioskctl queue`)" : "the platform does not answer: \(uplink.forwarder.linkProblem ?? "not reached yet")"
        return ["ok": false, "sent": total - queued, "queued": queued, "error": "\(queued) of \(total) still queued after \(Int(timeout)) s: \(why). They go on their own when it answers"]
    }

    /// Agents locked out by wrong PINs now.
    func lockedAgents() -> [Status.LockedAgent]? {
        let now = Date().timeIntervalSince1970
        let locked = services.pinChecker.lockedAgents(now: now).map { Status.LockedAgent(agent: $0.agentID, secondsLeft: Int(($0.until - now).rounded(.up))) }
        return locked.isEmpty ? nil : locked
    }

    // MARK: metrics

    func refreshedMetrics() -> String {
        metrics.refresh(queue: try? uplink.outbox.summary(), link: uplink.forwarder.linkUp,
                        devices: watches.map { ($0.name, $0.device?.status) }, agentsLocked: lockedAgents()?.count ?? 0)
        return metrics.exposition()
    }

    // MARK: selftest

    /// Runs every check, writing each item as it ends; true when none failed.
    func selftest(withCard: Bool, write: Write) async throws -> Bool {
        var steps: [(String, @Sendable () async -> [SelfTestItem])] = []
        for watch in watches {
            guard watch.device != nil else { continue }
            steps.append(("\(watch.name): checking the device", { await Self.items(of: watch, level: .external) }))
            switch watch.settings.kind {
            case .receiptPrinter:
                steps.append(("\(watch.name): printing a test receipt", { await Self.items(of: watch, level: .interactive) }))
            case .scanner:
                steps.append(("\(watch.name): scanning a test page", { await Self.items(of: watch, level: .interactive) }))
            case .idCardReader where withCard:
                steps.append(("\(watch.name): waiting for a card on the reader (30 s)", { await Self.items(of: watch, level: .interactive) }))
            default:
                break
            }
        }
        steps.append(("platform: checking the link and its clock", { await platformItems() }))
        steps.append(("screen: speaking a sentence, reading a character written on the pad", { await health.aids.selfTest() }))
        steps.append(("station: checking the state directory, the outbox and the catalogue", { stationItems() }))
        var passed = true
        for (index, step) in steps.enumerated() {
            try await write(["progress": ["step": index + 1, "of": steps.count, "doing": step.0]])
            for item in await step.1() {
                if item.outcome == HealthReport.Outcome.failed.rawValue { passed = false }
                try await write(["item": try encoded(item)])
            }
        }
        return passed
    }

    private static func items(of watch: DeviceWatch, level: HealthCheckLevel) async -> [SelfTestItem] {
        guard let report = await watch.check(level) else { return [] }
        return report.items.map { item in
            SelfTestItem(component: watch.name, check: item.name, outcome: item.outcome.rawValue, detail: item.detail,
                 fix: item.outcome == .failed ? fix(for: item.detail, device: watch) : nil)
        }
    }

    /// The drivers' messages say what to do after a colon or a dash ("…out of
    /// paper: load a new roll…"); when one does not, say where to look.
    static func fix(for detail: String, device watch: DeviceWatch) -> String {
        let lower = detail.lowercased()
        if lower.contains("paper") && (lower.contains("out") || lower.contains("no paper")) { return "load a new paper roll into the \(watch.settings.kind.displayName), close the cover, and run the self-test again" }
        if lower.contains("cover") { return "close the \(watch.settings.kind.displayName)'s cover and run the self-test again" }
        if lower.contains("no device") || lower.contains("not attached") || lower.contains("nodevice") {
            return "check the \(watch.settings.kind.displayName)'s cable and power; `kioskctl devices --attached` lists what this machine sees, and the port configured is \(watch.device?.identity.port.description ?? "none")"
        }
        return "see the detail; `kioskctl logs` has what kioskd saw, and docs/operations.md lists what to try for each device"
    }

    private func platformItems() async -> [SelfTestItem] {
        let url = uplink.platformURL
        do {
            let platformTime = try await uplink.client.clock()
            var items = [SelfTestItem(component: "platform", check: "link", outcome: "passed", detail: "\(url) answers")]
            if let platformTime {
                let skew = Date().timeIntervalSince(platformTime)
                let ok = abs(skew) <= 60
                items.append(SelfTestItem(component: "platform", check: "clock", outcome: ok ? "passed" : "failed",
                                  detail: String(format: "the station's clock is %+.0f s from the platform's", skew),
                                  fix: ok ? nil : "set the clock: `timedatectl set-ntp true` (or set it by hand); receipts and promised dates carry it"))
            } else {
                items.append(SelfTestItem(component: "platform", check: "clock", outcome: "skipped", detail: "the platform's answer carries no Date the station can read"))
            }
            return items
        } catch {
            return [SelfTestItem(component: "platform", check: "link", outcome: "failed", detail: "\(url): \(error)",
                         fix: "check the network cable or 4G modem and platform.url; applications queue meanwhile and go when the link is back")]
        }
    }

    private func stationItems() -> [SelfTestItem] {
        var items: [SelfTestItem] = []
        for component in health.summary().components where ["state_dir", "services", "outbox"].contains(component.name) {
            let ok = component.isHealthy
            items.append(SelfTestItem(component: component.name, check: component.name == "outbox" ? "queue" : "health", outcome: ok ? "passed" : "failed",
                              detail: component.detail ?? component.status, fix: ok ? nil : "see the detail; `kioskctl queue` for the outbox"))
        }
        do {
            let audit = try uplink.outbox.verifyAudit()
            let problem = audit.problems.first?.description
            items.append(SelfTestItem(component: "audit", check: "chain", outcome: problem == nil ? "passed" : "failed",
                              detail: problem ?? "\(audit.entries) entries intact, head \(audit.headSequence):\(audit.head.prefix(16))…",
                              fix: problem == nil ? nil : "the audit trail was altered: leave the kiosk as it is and tell the county's security officer (`kioskctl audit verify`)"))
        } catch {
            items.append(SelfTestItem(component: "audit", check: "chain", outcome: "failed", detail: "\(error)", fix: "see `kioskctl audit verify`"))
        }
        return items
    }
}
