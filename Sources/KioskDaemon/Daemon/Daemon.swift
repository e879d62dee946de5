import Drivers
import AgentAuth
import Foundation
import Hummingbird
import HummingbirdCore
import KioskCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import SystemIO

/// kioskd: takes the state directory, opens the outbox, starts each
/// configured device and the forwarder, serves the local HTTP host, tells
/// systemd when it is ready, and on SIGTERM or SIGINT shuts down in order —
/// HTTP first, then the forwarder (after its current request) and the
/// devices, whose in-flight commands get the configured grace period to
/// finish before they are canceled and the ports closed; the outbox's
/// database is closed last.
public struct Daemon: Sendable {
    /// The configuration it runs.
    public let config: KioskConfig
    private let notifier: SystemdNotifier
    private let metrics: KioskMetrics
    private let logger: Logger

    /// Creates the daemon; nothing starts before ``run()``.
    public init(config: KioskConfig, notifier: SystemdNotifier = SystemdNotifier(), metrics: KioskMetrics = KioskMetrics(), logger: Logger = Logger(label: "kioskd")) {
        self.config = config
        self.notifier = notifier
        self.metrics = metrics
        self.logger = logger
    }

    /// Descriptors kept for everything but the local API's connections:
    /// devices, the databases, attachments, speech and printing children.
    static let descriptorReserve = 256
    /// Connections the guard may briefly hold past its limit while it closes one.
    static let connectionSlack = 32

    /// The local API's connection limits, from `http.max_connections` and the
    /// descriptor limit (raised to its hard ceiling first).
    func connectionGuard(screenKey: ScreenKey) throws -> ConnectionGuard {
        let descriptors = DescriptorLimit.raise()
        let fits = descriptors - Self.descriptorReserve - Self.connectionSlack
        guard fits >= 16 else {
            throw StartupError("kioskd may open only \(descriptors) files, too few to serve the screen: raise LimitNOFILE in kioskd.service (it sets 8192), or ulimit -n, to at least \(Self.descriptorReserve + Self.connectionSlack + 16)")
        }
        let limit = min(config.maxConnections, fits)
        if limit < config.maxConnections {
            logger.warning("kioskd may open only \(descriptors) files: the screen's API keeps \(limit) connections, not http.max_connections \(config.maxConnections). Raise LimitNOFILE to keep them all")
        }
        return ConnectionGuard(limit: limit, perClient: max(8, limit / 2), key: screenKey, logger: logger)
    }

    /// The outbox and the platform link; while the outbox cannot be opened,
    /// a paused screen (``PausedStart``) until it can. Nil when kioskd was
    /// stopped meanwhile.
    func openUplink(stateDirectory: StateDirectory, screenKey: ScreenKey, services: StationServices, phrasebooks: Phrasebooks) async throws -> StationUplink? {
        let open: @Sendable () throws -> StationUplink = { [config, metrics, logger] in try StationUplink(config: config, stateDirectory: stateDirectory, metrics: metrics, logger: logger) }
        do {
            return try open()
        } catch let error as StartupError where error.pausesKiosk {
            logger.critical("the kiosk is paused: \(error). kioskd tries again every \(Self.pausedRetry.formatted) and starts by itself once the outbox opens")
            let paused = PausedStart(config: config, screenKey: screenKey, stateDirectory: stateDirectory, problem: error.description,
                                     reducer: services.reducer(), phrasebooks: phrasebooks, notifier: notifier, logger: logger)
            let uplink = try await paused.serve(every: Self.pausedRetry) { try? open() }
            if uplink != nil { logger.notice("the outbox opened: the kiosk is no longer paused") }
            return uplink
        }
    }

    static let pausedRetry = Duration.seconds(5)

    /// Runs until SIGTERM or SIGINT.
    public func run() async throws {
        let startedAt = ContinuousClock.now
        let stateDirectory = try StateDirectory(path: config.stateDirectory)
        if let sane = config.saneConfigDirectory {
            // SANE reads it once, at its first call: before any device starts.
            setenv("SANE_CONFIG_DIR", sane, 1)
        }
        logger.info("kioskd \(KioskVersion.current) starting; state in \(stateDirectory.path)")
        // The local API is the screen's alone: a new key each start, readable only by kioskd and the screen.
        let screenKey = ScreenKey.random()
        try screenKey.write(to: config.screenKeyFile ?? stateDirectory.path + "/screen-key", group: config.screenKeyGroup)
        let services = try StationServices(config: config, stateDirectory: stateDirectory.path, logger: logger)
        let phrasebooks = try Phrasebooks.load(uiDirectory: config.uiDirectory, logger: logger)
        guard let uplink = try await openUplink(stateDirectory: stateDirectory, screenKey: screenKey, services: services, phrasebooks: phrasebooks) else {
            logger.notice("kioskd stopped while paused")
            return
        }
        // Agents locked out before a restart stay locked.
        do { try services.pinChecker.keep(in: uplink.outbox) } catch {
            throw StartupError("cannot read the agents' PIN lock-out from the outbox: \(error)")
        }

        var devices: [(name: String, device: (any Device)?, settings: DeviceSettings)] = []
        let found = await findPorts(for: config.devices.filter(\.findsPort).map(\.kind))
        for var settings in config.devices {
            if settings.findsPort { settings.port = found[settings.kind] }
            guard let port = settings.port else {
                if !settings.findsPort { logger.info("\(settings.kind.displayName): disabled (port: none)") }
                devices.append((settings.kind.rawValue, nil, settings))
                continue
            }
            devices.append((settings.kind.rawValue, driver(for: settings, at: port, journal: uplink.outbox), settings))
        }

        // The session runs against the real parts; the screen that drives it comes with the touchscreen.
        let session = SessionRuntime(
            reducer: services.reducer(), phrasebooks: phrasebooks, store: uplink.outbox,
            printer: devices.lazy.compactMap { $0.device as? any ReceiptPrinter }.first,
            documentPrinter: devices.lazy.compactMap { $0.device as? any DocumentPrinter }.first,
            scanner: devices.lazy.compactMap { $0.device as? any PageScanner }.first,
            pins: services.pinChecker, lookup: try ApplicantLookup(saltFile: stateDirectory.path + "/lookup-salt"), platform: uplink.client, metrics: metrics, logger: logger)
        let reader = devices.lazy.compactMap { $0.device as? any CardReader }.first

        let connections = try connectionGuard(screenKey: screenKey)
        let listening = Mutex<String>(config.listen.description)
        let aids = ScreenAids(config: config, speech: SpeechRenderer(reading: phrasebooks.reading, synthesizer: ESpeakNG()), logger: logger)
        let health = HealthSource(
            devices: devices, stateDirectory: stateDirectory, services: services, uplink: uplink, notifier: notifier, aids: aids,
            startedAt: startedAt, listening: { listening.withLock { $0 } })
        let watches = devices.map { DeviceWatch(name: $0.name, device: $0.device, settings: $0.settings) }
        let admin = AdminCommands(config: config, health: health, watches: watches, session: session, uplink: uplink,
                                  services: services, metrics: metrics, logs: LogRing.shared,
                                  screenURL: { "http://\(listening.withLock { $0 })/?key=\(screenKey.value)" })
        let notifier = self.notifier
        let logger = self.logger
        let host = config.listen.host
        let ready = Latch()
        let app = Application(
            router: HTTPRoutes.router(health: { health.summary() }, session: session, uiDirectory: config.uiDirectory, handwriting: aids.pad, speech: aids.speech,
                                      screenKey: screenKey, metrics: { admin.refreshedMetrics() }),
            server: HTTPRoutes.webSocket(session: session, screenKey: screenKey, connections: connections),
            // The guard keeps connections within the limit; this stops accepting if it ever could not.
            configuration: .init(address: .hostname(config.listen.host, port: config.listen.port), serverName: "kioskd",
                                 availableConnectionsDelegate: MaximumAvailableConnections(connections.limit + Self.connectionSlack)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let address = ListenAddress(host: host, port: port)
                listening.withLock { $0 = address.description }
                let elapsed = ContinuousClock.now - startedAt
                logger.notice("ready in \(elapsed.formatted): touchscreen UI on http://\(address)/ , health on http://\(address)/healthz")
                notifier.notify("READY=1\nSTATUS=serving on \(address)\nMAINPID=\(getpid())")
                ready.open()
            },
            logger: HTTPRoutes.serverLogger(logger))

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: DevicesService(devices: devices.compactMap(\.device), grace: config.shutdownGrace, logger: logger)),
                    .init(service: ForwarderService(forwarder: uplink.forwarder)),
                    .init(service: DeviceWatchService(watches: watches, metrics: metrics, session: session, interval: config.admin.healthCheck)),
                    .init(service: AdminService(path: config.admin.socket, group: config.admin.group, commands: admin, logger: logger)),
                    .init(service: HeartbeatService(commands: admin, interval: config.admin.heartbeat, logger: logger)),
                    .init(service: SessionService(runtime: session, reader: reader, linkUp: { [forwarder = uplink.forwarder] in forwarder.linkUp },
                                                  outOfService: { [uplink] in uplink.outOfService })),
                    .init(service: CatalogueRefresher(
                        services: services, session: session, client: uplink.client, region: String(config.station.code.prefix(9)),
                        interval: config.services.catalogueRefresh.seconds, retry: 300, logger: logger)),
                    .init(service: notifier.watchdogService(ready: ready, status: {
                        // Speech stuck is the one trouble kioskd keeps serving through (a stuck espeak-ng is killed, the screen shows its text).
                        aids.speech.synthesizer.recentTrouble.map { "serving on \(listening.withLock { $0 }); speech stuck: \($0)" }
                    }, logger: logger)),
                    .init(service: app),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await uplink.close(logger: logger)
        if let error = failure as? IOError, error.errnoCode == EADDRINUSE {
            throw StartupError("cannot listen on \(config.listen): the address is in use (another kioskd, or make demo, already running?). Stop it, or choose another address with --listen")
        }
        if let failure { throw failure }
        logger.notice("kioskd stopped cleanly")
    }
}

extension Daemon {
    /// The driver for a configured device. A kind kioskd speaks no protocol to
    /// (the touchscreen, any other) runs as the bare connection, so its port
    /// is still watched and reported.
    func driver(for device: DeviceSettings, at port: DevicePort, journal: any ReceiptJournal) -> any Device {
        if case .cups(let queue) = port {
            return CUPSPrinter(queue: queue, model: device.model, logger: logger)
        }
        if case .sane(let name) = port {
            return SANEScanner(device: name, model: device.model, logger: logger)
        }
        let connection = DeviceConnection(
            identity: DeviceIdentity(kind: device.kind, model: device.model, port: port),
            policy: config.reconnect.policy, logger: logger)
        switch device.kind {
        case .idCardReader:
            var settings = GA467Reader.Settings()
            settings.pollInterval = config.cardPollInterval
            return GA467Reader(connection: connection, settings: settings, logger: logger)
        case .receiptPrinter:
            var settings = ESCPOSPrinter.Settings()
            settings.profile = ESCPOSProfile.named(device.model) ?? .generic80
            // Which receipts printed is kept with the outbox: a reprint after a restart still says 重印.
            return ESCPOSPrinter(connection: connection, settings: settings, journal: journal, logger: logger)
        default:
            return connection
        }
    }
}

extension Daemon {
    /// `port: auto`: the ports that answer as each device (``DeviceProbe``), asked once at start:
    /// `devices.probe_ports` first, then the machine's serial ports and USB interfaces. A device
    /// no port, or more than one, answered for is left without one, with why in the log (and
    /// in `/healthz`).
    func findPorts(for kinds: [DeviceKind]) async -> [DeviceKind: DevicePort] {
        guard !kinds.isEmpty else { return [:] }
        let answered = await DeviceProbe.survey(given: config.probePorts).byDevice
        var found: [DeviceKind: DevicePort] = [:]
        for kind in kinds {
            let ports = answered[kind] ?? []
            switch ports.count {
            case 1:
                found[kind] = ports[0]
                logger.notice("\(kind.displayName): found at \(ports[0]) (port: auto)")
            case 0:
                logger.error("\(kind.displayName): no port answered as one (port: auto): check its cable and power, then restart kioskd; `kioskctl devices --probe` lists what answered")
            default:
                logger.error("\(kind.displayName): \(ports.count) ports answered as one (\(ports.map(\.description).joined(separator: ", "))), so none is used (port: auto): name the one to use in the configuration")
            }
        }
        return found
    }
}
