/// What every device driver offers its callers, whatever the hardware: who it
/// is, its status and the changes to it, a health check, and a lifecycle.
///
/// Callers hold a device through this port (or a kind-specific one built on
/// it); drivers in the Drivers module implement it.
public protocol Device: AnyObject, Sendable {
    /// Which device this is.
    var identity: DeviceIdentity { get }
    /// The status now.
    var status: DeviceStatus { get }
    /// The current status, then every change.
    func statusChanges() -> AsyncStream<DeviceStatus>
    /// Checks the device at the given depth.
    func healthCheck(_ level: HealthCheckLevel) async -> HealthReport
    /// Opens the device and keeps it open until ``shutdown(grace:)``, reconnecting
    /// when it disappears. Returns when shut down.
    func run() async
    /// Lets running commands finish for up to `grace`, cancels the rest, closes the device.
    func shutdown(grace: Duration) async
}
