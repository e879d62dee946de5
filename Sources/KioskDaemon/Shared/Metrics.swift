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
    private let staffCalled: Gauge
    private let agentsLocked: Gauge
    /// Signalled when someone calls for staff: the heartbeat goes at once.
    let staffCallRaised = Wakeup()

    /// Registers every metric (at zero) in a registry of its own.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        sessionsStarted = Dictionary(uniqueKeysWithValues: ["resident", "agent"].map {
            ($0, registry.makeCounter(descriptor: .named("kioskd_sessions_started_total",
                    help: "Sessions started, by who started them."), labels: [("by", $0)]))
        })
        sessionsCompleted = registry.makeCounter(descriptor: .named("kioskd_sessions_completed_total",
                help: "Sessions in which at least one application was saved."))
        sessionsAbandoned = Dictionary(uniqueKeysWithValues: [SessionEndReason.finished, .idleTimeout, .cardRemoved, .agentLogout].map {
            ($0, registry.makeCounter(descriptor: .named("kioskd_sessions_abandoned_total",
                    help: "Sessions that ended with no application saved, by why they ended."), labels: [("reason", $0.rawValue)]))
        })
        enqueued = registry.makeCounter(descriptor: .named("kioskd_applications_enqueued_total",
                help: "Applications saved in the outbox (a receipt may follow)."))
        enqueueFailed = registry.makeCounter(descriptor: .named("kioskd_applications_enqueue_failed_total",
                help: "Applications the outbox could not save (no receipt printed)."))
        forwarded = registry.makeCounter(descriptor: .named("kioskd_applications_forwarded_total", help: "Applications the platform acknowledged."))
        deadLettered = registry.makeCounter(descriptor: .named("kioskd_applications_dead_lettered_total",
                help: "Applications the platform refused for good."))
        retried = registry.makeCounter(descriptor: .named("kioskd_upload_retries_total", help: "Uploads that failed and were scheduled again."))
        uploadBytes = registry.makeCounter(descriptor: .named("kioskd_upload_bytes_total", help: "Attachment bytes the platform acknowledged."))
        cardReads = Dictionary(uniqueKeysWithValues: ["read", "refused", "unreadable"].map {
            ($0, registry.makeCounter(descriptor: .named("kioskd_card_reads_total",
                    help: "ID cards placed on the reader: read, refused (expired, inconsistent) or unreadable."), labels: [("result", $0)]))
        })
        screenLatency = registry.makeDurationHistogram(descriptor: .named("kioskd_screen_transition_seconds",
                help: "From a touch to the next screen pushed to the touchscreen."), buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        queueDepth = Dictionary(uniqueKeysWithValues: ApplicationState.allCases.map {
            ($0, registry.makeGauge(descriptor: .named("kioskd_queue_applications",
                    help: "Applications in the outbox, by state."), labels: [("state", $0.rawValue)]))
        })
        queueOldest = registry.makeGauge(descriptor: .named("kioskd_queue_oldest_age_seconds",
                help: "Age of the oldest application waiting for the platform (0 when none)."))
        queueBytes = registry.makeGauge(descriptor: .named("kioskd_queue_bytes_waiting", help: "Sealed bytes waiting for the platform."))
        linkUp = registry.makeGauge(descriptor: .named("kioskd_platform_link_up", help: "1 when the platform answered last time."))
        staffCalled = registry.makeGauge(descriptor: .named("kioskd_staff_called", help: "1 while someone at the kiosk waits for staff (呼叫工作人员)."))
        agentsLocked = registry.makeGauge(descriptor: .named("kioskd_agents_locked", help: "Agents locked out by wrong PINs now."))
    }

    // MARK: Events

    func sessionStarted(byAgent: Bool) { sessionsStarted[byAgent ? "agent" : "resident"]?.increment() }

    func sessionEnded(_ reason: SessionEndReason, saved: Bool) {
        if saved { sessionsCompleted.increment() } else { sessionsAbandoned[reason]?.increment() }
    }

    func applicationEnqueued(_ ok: Bool) { (ok ? enqueued : enqueueFailed).increment() }

    func cardRead(_ result: String) { cardReads[result]?.increment() }

    func staffCall(_ waiting: Bool) {
        staffCalled.set(to: waiting ? 1 : 0)
        if waiting { staffCallRaised.signal() }
    }

    func screenChanged(after duration: Duration) { screenLatency.record(duration) }

    /// What the forwarder reports.
    @Sendable func forwarder(_ event: Forwarder.Event) {
        switch event {
        case .forwarded: forwarded.increment()
        case .deadLettered: deadLettered.increment()
        case .retried: retried.increment()
        case .uploaded(let bytes): uploadBytes.increment(by: Int64(bytes))
        case .caughtUp: break
        case .platformFault(let kind):
            registry.makeCounter(descriptor: .named("kioskd_platform_faults_total",
                                                    help: "Answers from the platform that broke its API, by kind: redirect, bad_offset, no_progress, too_large, too_slow, garbage."),
                                 labels: [("kind", kind)]).increment()
        }
    }

    /// A device fault began (a condition appeared, or the state left `online`).
    /// The registry hands back the counter it already holds for these labels.
    func fault(device: String, kind: String) {
        registry.makeCounter(descriptor: .named("kioskd_device_faults_total",
                help: "Device faults by device and kind (a condition such as paper_out, or a state such as noDevice)."), labels: [("device", device), ("kind", kind)]).increment()
    }

    // MARK: States, read on request

    /// Sets the state gauges from the queue, the link and each device.
    func refresh(queue: Outbox.Summary?, link: Bool, devices: [(name: String, status: DeviceStatus?)], agentsLocked locked: Int = 0) {
        agentsLocked.set(to: Double(locked))
        if let queue {
            for (state, gauge) in queueDepth { gauge.set(to: Double(queue.counts[state] ?? 0)) }
            queueOldest.set(to: queue.oldestQueuedSeconds ?? 0)
            queueBytes.set(to: Double(queue.bytesWaiting))
        }
        linkUp.set(to: link ? 1 : 0)
        for (name, status) in devices {
            for state in DeviceState.allCases {
                registry.makeGauge(descriptor: .named("kioskd_device_state",
                        help: "1 for the state each device is in now (none for a disabled device)."), labels: [("device", name), ("state", state.rawValue)])
                    .set(to: status?.state == state ? 1 : 0)
            }
            guard let status, name.contains("printer") else { continue }
            let paper = status.conditions.contains(.paperOut) ? "out" : status.conditions.contains(.paperLow) ? "low" : "ok"
            for state in ["ok", "low", "out"] {
                registry.makeGauge(descriptor: .named("kioskd_printer_paper",
                        help: "1 for each printer's paper state now: ok, low or out."), labels: [("device", name), ("paper", state)])
                    .set(to: state == paper ? 1 : 0)
            }
        }
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        registry.emitToString()
    }
}

extension MetricNameDescriptor {
    /// A metric's whole name as written (kioskd's names carry their unit) and its help text.
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
