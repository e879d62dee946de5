/// The broad state of a device, as XFS4IoT and UnifiedPOS name them.
public enum DeviceState: String, Hashable, Sendable, CaseIterable {
    /// Connected and ready for commands.
    case online
    /// Something answers at the port but the device is not usable (switched
    /// off, nothing listening at a TCP address, not answering).
    case offline
    /// Nothing is attached at the configured port (unplugged, never plugged).
    case noDevice
    /// The device reports a fault that needs a maintainer.
    case hardwareError
    /// The device needs something a resident or an agent can do (paper, cover, a stuck sheet).
    case userError
    /// The device is working on a long command and cannot take another now.
    case busy
}

/// A device-specific detail that qualifies the state: paper low on a printer
/// that is still online, a cover open on one that is in `userError`. An open
/// set, like ``DeviceKind``.
public struct DeviceCondition: Hashable, Sendable, CustomStringConvertible {
    /// The name used in `/healthz` and metrics.
    public let rawValue: String

    /// Creates a condition; prefer the static members.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Paper is running out; the device still prints.
    public static let paperLow = DeviceCondition("paper_low")
    /// No paper.
    public static let paperOut = DeviceCondition("paper_out")
    /// A cover or door is open.
    public static let coverOpen = DeviceCondition("cover_open")
    /// Paper is stuck in the path.
    public static let paperJam = DeviceCondition("paper_jam")
    /// The receipt cutter failed.
    public static let cutterError = DeviceCondition("cutter_error")
    /// The ID-card reader's security module reports a fault.
    public static let samFault = DeviceCondition("sam_fault")

    public var description: String { rawValue }
}

/// A device's status: its state, any conditions, and a sentence a maintainer
/// can act on. Drivers publish every *change* of it (see ``StatusBroadcaster``).
///
/// ```swift
/// let status = DeviceStatus(.userError, conditions: [.coverOpen],
///                           message: "receipt printer cover is open: close it")
/// ```
public struct DeviceStatus: Hashable, Sendable, CustomStringConvertible {
    /// The broad state.
    public var state: DeviceState
    /// Kind-specific details.
    public var conditions: Set<DeviceCondition>
    /// What is wrong and what to do; nil when there is nothing to say.
    public var message: String?

    /// Creates a status.
    public init(_ state: DeviceState, conditions: Set<DeviceCondition> = [], message: String? = nil) {
        self.state = state
        self.conditions = conditions
        self.message = message
    }

    /// Ready, nothing to report.
    public static let online = DeviceStatus(.online)

    public var description: String {
        var text = state.rawValue
        if !conditions.isEmpty { text += " [" + conditions.map(\.rawValue).sorted().joined(separator: ", ") + "]" }
        if let message { text += ": " + message }
        return text
    }
}
