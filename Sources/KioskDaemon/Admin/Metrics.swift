import Foundation
import KioskCore
import Outbox
import Prometheus
import Uplink

/// kioskd's Prometheus metrics (docs/operations.md lists them). Events are
/// counted where they happen; what is a state (queue depth, device status,
/// paper) is read when the metrics are asked for, so it is never stale.
///
/// Nothing personal is ever a label: sessions are counted by who started them
/// and why they ended, applications by what happened to them.
public final class KioskMetrics: Sendable {
    /// Where everything is registered; kioskd also bootstraps swift-metrics
    /// with it, so libraries' metrics land in the same exposition.
    public let registry: PrometheusCollectorRegistry

    private let sessionsStarted: [String: Counter]
    private let sessionsCompleted: Counter
    private let sessionsAbandoned: [SessionEndReason: Counter]
    private let enqueued: Counter
    private let enqueueFailed: Counter
    private let forwarded: Counter
    private let deadLettered: Counter
    private let retried: Counter
    private let uploadBytes: Counter
    private let cardReads: [String: Counter]
    private let screenLatency: DurationHistogram
    private let queueDepth: [ApplicationState: Gauge]
    private let queueOldest: Gauge
    private let queueBytes: Gauge
    private let linkUp: Gauge

    /// Registers every metric (at zero) in a registry of its own.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        sessionsStarted = Dictionary(uniqueKeysWithValues: ["resident", "agent"].map {
            ($0, registry.makeCounter(name: "kioskd_sessions_started_total", labels: [("by", $0)], help: "Sessions started, by who started them."))
        })
        sessionsCompleted = registry.makeCounter(name: "kioskd_sessions_completed_total", help: "Sessions in which at least one application was saved.")
        sessionsAbandoned = Dictionary(uniqueKeysWithValues: [SessionEndReason.finished, .idleTimeout, .cardRemoved, .agentLogout].map {
            ($0, registry.makeCounter(name: "kioskd_sessions_abandoned_total", labels: [("reason", $0.rawValue)],
                                      help: "Sessions that ended with no application saved, by why they ended."))
        })
        enqueued = registry.makeCounter(name: "kioskd_applications_enqueued_total", help: "Applications saved in the outbox (a receipt may follow).")
        enqueueFailed = registry.makeCounter(name: "kioskd_applications_enqueue_failed_total", help: "Applications the outbox could not save (no receipt printed).")
        forwarded = registry.makeCounter(name: "kioskd_applications_forwarded_total", help: "Applications the platform acknowledged.")
        deadLettered = registry.makeCounter(name: "kioskd_applications_dead_lettered_total", help: "Applications the platform refused for good.")
        retried = registry.makeCounter(name: "kioskd_upload_retries_total", help: "Uploads that failed and were scheduled again.")
        uploadBytes = registry.makeCounter(name: "kioskd_upload_bytes_total", help: "Attachment bytes the platform acknowledged.")
        cardReads = Dictionary(uniqueKeysWithValues: ["read", "refused", "unreadable"].map {
            ($0, registry.makeCounter(name: "kioskd_card_reads_total", labels: [("result", $0)],
                                      help: "ID cards placed on the reader: read, refused (expired, inconsistent) or unreadable."))
        })
        screenLatency = registry.makeDurationHistogram(
            name: "kioskd_screen_transition_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)],
            help: "From a touch to the next screen pushed to the touchscreen.")
        queueDepth = Dictionary(uniqueKeysWithValues: ApplicationState.allCases.map {
            ($0, registry.makeGauge(name: "kioskd_queue_applications", labels: [("state", $0.rawValue)], help: "Applications in the outbox, by state."))
        })
        queueOldest = registry.makeGauge(name: "kioskd_queue_oldest_age_seconds", help: "Age of the oldest application waiting for the platform (0 when none).")
        queueBytes = registry.makeGauge(name: "kioskd_queue_bytes_waiting", help: "Sealed bytes waiting for the platform.")
        linkUp = registry.makeGauge(name: "kioskd_platform_link_up", help: "1 when the platform answered last time.")
    }

    // MARK: Events

    func sessionStarted(byAgent: Bool) { sessionsStarted[byAgent ? "agent" : "resident"]?.increment() }

    func sessionEnded(_ reason: SessionEndReason, saved: Bool) {
        if saved { sessionsCompleted.increment() } else { sessionsAbandoned[reason]?.increment() }
    }

    func applicationEnqueued(_ ok: Bool) { (ok ? enqueued : enqueueFailed).increment() }

    func cardRead(_ result: String) { cardReads[result]?.increment() }

    func screenChanged(after duration: Duration) { screenLatency.record(duration) }

    /// What the forwarder reports.
    @Sendable func forwarder(_ event: Forwarder.Event) {
        switch event {
        case .forwarded: forwarded.increment()
        case .deadLettered: deadLettered.increment()
        case .retried: retried.increment()
        case .uploaded(let bytes): uploadBytes.increment(by: Int64(bytes))
        case .caughtUp: break
        }
    }

    /// A device fault began (a condition appeared, or the state left `online`).
    /// The registry hands back the counter it already holds for these labels.
    func fault(device: String, kind: String) {
        registry.makeCounter(name: "kioskd_device_faults_total", labels: [("device", device), ("kind", kind)],
                             help: "Device faults by device and kind (a condition such as paper_out, or a state such as noDevice).").increment()
    }

    // MARK: States, read on request

    /// Sets the state gauges from the queue, the link and each device.
    func refresh(queue: Outbox.Summary?, link: Bool, devices: [(name: String, status: DeviceStatus?)]) {
        if let queue {
            for (state, gauge) in queueDepth { gauge.set(to: Double(queue.counts[state] ?? 0)) }
            queueOldest.set(to: queue.oldestQueuedSeconds ?? 0)
            queueBytes.set(to: Double(queue.bytesWaiting))
        }
        linkUp.set(to: link ? 1 : 0)
        for (name, status) in devices {
            for state in DeviceState.allCases {
                registry.makeGauge(name: "kioskd_device_state", labels: [("device", name), ("state", state.rawValue)],
                                   help: "1 for the state each device is in now (none for a disabled device).")
                    .set(to: status?.state == state ? 1 : 0)
            }
            guard let status, name.contains("printer") else { continue }
            let paper = status.conditions.contains(.paperOut) ? "out" : status.conditions.contains(.paperLow) ? "low" : "ok"
            for state in ["ok", "low", "out"] {
                registry.makeGauge(name: "kioskd_printer_paper", labels: [("device", name), ("paper", state)],
                                   help: "1 for each printer's paper state now: ok, low or out.")
                    .set(to: state == paper ? 1 : 0)
            }
        }
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        registry.emitToString()
    }
}
