import Foundation
import KioskCore
import Logging
import ServiceLifecycle
import Synchronization

/// Sends the station's health to the platform (POST /v1/heartbeat) every
/// `interval`, and at once when someone calls for staff: what `kioskctl
/// status` shows, plus the audit trail's head so a cut-off tail shows at
/// the platform. Nothing personal is in it.
struct HeartbeatService: KioskService {
    let commands: AdminCommands
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // The first soon after start (the platform learns the kiosk is back), then every interval.
            try? await Task.sleep(for: .seconds(2))
            while !Task.isCancelled {
                await beat()
                await commands.metrics.staffCallRaised.wait(for: interval)  // a call for staff goes at once
            }
        }
    }

    func beat() async {
        do {
            try await commands.uplink.client.heartbeat(try KioskJSON.encoder.encode(await commands.status()))
            commands.heartbeat.record(nil)
        } catch {
            commands.heartbeat.record("\(error)")
            logger.debug("heartbeat not sent: \(error)")
        }
    }
}

/// The last heartbeat's outcome, for `kioskctl status`.
final class HeartbeatRecord: Sendable {
    struct Outcome: Codable, Sendable {
        var at: String
        var sent: Bool
        var problem: String?
    }
    private let last = Mutex<Outcome?>(nil)

    var outcome: Outcome? { last.withLock { $0 } }

    func record(_ problem: String?) {
        last.withLock { $0 = Outcome(at: Date().formatted(.iso8601), sent: problem == nil, problem: problem) }
    }
}
