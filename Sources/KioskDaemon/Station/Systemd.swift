import Foundation
import KioskCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Talks to systemd through `$NOTIFY_SOCKET` (sd_notify's protocol: one
/// datagram of `KEY=VALUE` lines): readiness, status, stopping, and watchdog
/// keep-alives when `$WATCHDOG_USEC` asks for them. Without `NOTIFY_SOCKET`
/// every call does nothing, so kioskd runs the same outside systemd.
public struct SystemdNotifier: Sendable {
    private let socketPath: String?
    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, or nil when not asked.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if path != nil, forUs, let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Whether kioskd runs under a supervisor that listens.
    public var isActive: Bool { socketPath != nil }

    /// Sends one notification, e.g. `"READY=1\nSTATUS=serving"`. Failures are ignored:
    /// a missing supervisor must not stop the kiosk.
    public func notify(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        // "@name" is an abstract socket: its address starts with a NUL byte.
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let payload = Array(message.utf8)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, payload, payload.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
    }

    /// A service that sends `WATCHDOG=1` at the asked interval once `ready`
    /// has fired, with `STATUS=` whenever `status` says something new (so
    /// `systemctl status kioskd` shows a part in trouble), and `STOPPING=1`
    /// when kioskd begins to shut down.
    func watchdogService(ready: Latch, status: @escaping @Sendable () -> String? = { nil }, logger: Logger) -> some Service {
        WatchdogService(notifier: self, ready: ready, status: status, logger: logger)
    }
}

struct WatchdogService: KioskService {
    let notifier: SystemdNotifier
    let ready: Latch
    let status: @Sendable () -> String?
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            guard let interval = notifier.watchdogInterval else {
                try? await gracefulShutdown()
                return
            }
            await cancelWhenGracefulShutdownOrReady()
            logger.info("systemd watchdog: keep-alive every \(interval.formatted)")
            var said: String?
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                let now = status()
                if let now, now != said {
                    logger.warning("systemd status: \(now)")
                    notifier.notify("WATCHDOG=1\nSTATUS=\(now)")
                } else {
                    notifier.notify("WATCHDOG=1")
                }
                said = now
                try? await Task.sleep(for: interval)
            }
        } onGracefulShutdown: {
            notifier.notify("STOPPING=1\nSTATUS=shutting down")
        }
    }

    private func cancelWhenGracefulShutdownOrReady() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await ready.wait() }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}

