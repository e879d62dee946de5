/// What `/healthz`, `kioskctl status` and the heartbeat say of each part.

/// One line of `/healthz`.
public struct ComponentHealth: Codable, Sendable, Equatable {
    /// The component: `http`, `state_dir`, `systemd`, or a device's config name.
    public var name: String
    /// `ok`, or a device state (`online`, `noDevice`, …), or `disabled`, or a problem word.
    public var status: String
    /// What was seen and, when something is wrong, what to do.
    public var detail: String?
    /// For devices: model, port and conditions.
    public var model: String?
    public var port: String?
    public var conditions: [String]?

    init(name: String, status: String, detail: String? = nil, model: String? = nil, port: String? = nil, conditions: [String]? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.model = model
        self.port = port
        self.conditions = conditions
    }

    /// Whether this component is as it should be.
    var isHealthy: Bool { ["ok", "online", "disabled"].contains(status) }
}

/// The body of `GET /healthz`.
public struct HealthSummary: Codable, Sendable {
    /// `ok` when every component is healthy, otherwise `degraded` (kioskd
    /// itself is up either way: the endpoint answers 200).
    public var status: String
    /// kioskd's version.
    public var version: String
    /// Seconds since start.
    public var uptimeSeconds: Int
    /// Every component, devices in configuration order.
    public var components: [ComponentHealth]

    enum CodingKeys: String, CodingKey {
        case status, version, components
        case uptimeSeconds = "uptime_seconds"
    }
}
