/// How deep a health check goes (the XFS4IoT levels).
public enum HealthCheckLevel: String, Hashable, Sendable, CaseIterable {
    /// The driver's own state: its queue takes commands, its supervisor runs. No I/O.
    case `internal`
    /// Talks to the device: the port is present and open, the device answers.
    case external
    /// Needs a person at the kiosk: place a card, take a test receipt.
    case interactive
}

/// One device's answer to a health check, readable by a maintainer.
///
/// ```swift
/// let report = await reader.healthCheck(.external)
/// print(report)
/// // ID-card reader SS628-100 at serial:/dev/ttyUSB0 — external check: FAILED
/// //   ✗ port present: no device at /dev/ttyUSB0 — check the USB cable
/// ```
public struct HealthReport: Sendable, CustomStringConvertible {
    /// One thing checked.
    public struct Item: Sendable, Hashable {
        /// What was checked.
        public var name: String
        /// The outcome.
        public var outcome: Outcome
        /// What was seen, or what to do about it.
        public var detail: String

        /// Creates an item.
        public init(_ name: String, _ outcome: Outcome, _ detail: String = "") {
            self.name = name
            self.outcome = outcome
            self.detail = detail
        }
    }

    /// How a check ended.
    public enum Outcome: String, Sendable, Hashable {
        /// It passed.
        case passed
        /// It failed; the detail says what to do.
        case failed
        /// It was not run; the detail says why.
        case skipped
    }

    /// The device checked.
    public var device: DeviceIdentity
    /// How deep.
    public var level: HealthCheckLevel
    /// What was checked.
    public var items: [Item]

    /// Creates a report.
    public init(device: DeviceIdentity, level: HealthCheckLevel, items: [Item]) {
        self.device = device
        self.level = level
        self.items = items
    }

    /// Failed if any item failed; skipped if every item was skipped; passed otherwise.
    public var outcome: Outcome {
        if items.contains(where: { $0.outcome == .failed }) { return .failed }
        if !items.isEmpty, items.allSatisfy({ $0.outcome == .skipped }) { return .skipped }
        return .passed
    }

    public var description: String {
        var lines = ["\(device) — \(level.rawValue) check: \(outcome.rawValue.uppercased())"]
        for item in items {
            let mark = switch item.outcome {
            case .passed: "✓"
            case .failed: "✗"
            case .skipped: "-"
            }
            lines.append("  \(mark) \(item.name)" + (item.detail.isEmpty ? "" : ": \(item.detail)"))
        }
        return lines.joined(separator: "\n")
    }
}
