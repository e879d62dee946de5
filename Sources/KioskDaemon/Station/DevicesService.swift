import Drivers
import KioskCore
import Logging
import ServiceLifecycle

/// Runs every configured device's connection until graceful shutdown, then
/// lets in-flight commands finish for the grace period, cancels the rest and
/// closes each port.
struct DevicesService: KioskService {
    let devices: [any Device]
    let grace: Duration
    let logger: Logger

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for device in devices {
                group.addTask { await device.run() }
            }
            try? await gracefulShutdown()
            logger.info("shutting down devices (grace \(grace.formatted))")
            await withTaskGroup(of: Void.self) { closing in
                for device in devices {
                    closing.addTask { await device.shutdown(grace: grace) }
                }
            }
            group.cancelAll()
        }
    }
}
