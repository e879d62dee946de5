import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KioskCore
import Logging
import ServiceLifecycle

/// What kioskd serves while the outbox cannot be opened (a folder with the
/// wrong owner, a disk remounted read-only): the screen's page on an attract
/// screen that says 暂停服务 and why, and `/healthz` saying what to fix. No
/// visit can start, since none could end in a saved application. Every
/// `interval` kioskd tries the outbox again; once it opens, this server stops
/// and the kiosk starts as usual on the same address, where the page's
/// WebSocket finds it again (it reconnects every second).
struct PausedStart {
    let config: KioskConfig
    let screenKey: ScreenKey
    let stateDirectory: StateDirectory
    /// The outbox's problem, for the maintainer.
    let problem: String
    let screen: SessionScreen
    let notifier: SystemdNotifier
    let logger: Logger

    init(config: KioskConfig, screenKey: ScreenKey, stateDirectory: StateDirectory, problem: String, reducer: SessionReducer,
         phrasebooks: Phrasebooks, notifier: SystemdNotifier, logger: Logger) {
        self.config = config
        self.notifier = notifier
        self.screenKey = screenKey
        self.stateDirectory = stateDirectory
        self.problem = problem
        self.logger = logger
        var state = SessionState()
        state.outOfService = SessionText(.outOfServiceUnopened)
        screen = reducer.screen(state, prompt: nil, speech: 0, words: phrasebooks[state.language])
    }

    static let connections = 64

    /// Serves the paused screen until `retry` gives a value, tried every
    /// `interval`; nil when kioskd was told to stop meanwhile.
    func serve<Value: Sendable>(every interval: Duration, retry: @escaping @Sendable () -> Value?) async throws -> Value? {
        let ready = Latch()
        let notifier = notifier, listen = config.listen
        let app = Application(router: router(), server: webSocket(),
                              // A paused screen needs few connections: past these, new ones wait, and nothing runs out of descriptors.
                              configuration: .init(address: .hostname(config.listen.host, port: config.listen.port), serverName: "kioskd",
                                                   availableConnectionsDelegate: MaximumAvailableConnections(Self.connections)),
                              onServerRunning: { _ in
                                  // systemd is told kioskd is up (else it would stop it for not starting): it is, paused.
                                  notifier.notify("READY=1\nSTATUS=paused: the outbox cannot be opened; a paused screen on \(listen)\nMAINPID=\(getpid())")
                                  ready.open()
                              },
                              logger: HTTPRoutes.serverLogger(logger))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: notifier.watchdogService(ready: ready, logger: logger))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        return try await withThrowingTaskGroup(of: Value?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                while true {
                    do { try await Task.sleep(for: interval) } catch { return nil }
                    if let value = retry() {
                        await group.triggerGracefulShutdown()
                        return value
                    }
                }
            }
            // The server ends first on SIGTERM (then the retrying stops), the retry first when the outbox opens
            // (then the server stops, freeing the address for the kiosk's own).
            var found: Value?
            for try await result in tasks {
                if let result { found = result } else { tasks.cancelAll() }
            }
            return found
        }
    }

    private func router() -> Router<BasicRequestContext> {
        let (router, _) = HTTPRoutes.screenRouter(uiDirectory: config.uiDirectory, screenKey: screenKey)
        let screen = screen
        router.get("/api/screen") { _, _ in try HTTPRoutes.json(screen) }
        router.get("/healthz") { _, _ -> Response in
            let components = [
                ComponentHealth(name: "http", status: "paused", detail: "serving a paused screen on \(config.listen): no visit can start until the outbox opens"),
                stateDirectory.check(),
                ComponentHealth(name: "outbox", status: "cannot_open", detail: "\(problem); kioskd tries again every few seconds and starts by itself once it opens"),
            ]
            return try HTTPRoutes.healthz(HealthSummary(status: "degraded", version: KioskVersion.current, uptimeSeconds: 0, components: components))
        }
        return router
    }

    /// `/ws` pushes the paused screen once and stays open until the page or kioskd closes it.
    private func webSocket() -> HTTPServerBuilder {
        let key = screenKey, text = (try? HTTPRoutes.encoder.encode(screen)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return .http1WebSocketUpgrade { request, _, _ in
            guard request.path == "/ws", ScreenOnly.admitsWebSocket(request, key: key) else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                try await outbound.write(.text(text))
                for try await _ in inbound.messages(maxSize: 64 * 1024) {}
            }
        }
    }
}
