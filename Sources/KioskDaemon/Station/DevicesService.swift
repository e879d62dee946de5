import Drivers
import KioskCore
import Logging
import ServiceLifecycle

/// One of kioskd's services, described by its name. ServiceLifecycle
/// describes each service as the group is made; reflected field by field,
/// kioskd's spelled out the configuration, the catalogue and the writing
/// pad's tables at every start (two thirds of a 300 ms start, and the heap
/// it left 4 MB larger at rest).
protocol KioskService: Service, CustomStringConvertible {}

extension KioskService {
    var description: String { String(describing: Self.self) }
}

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
