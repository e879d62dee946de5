import KioskCore
import Logging
import Synchronization

/// How a ``DeviceConnection`` watches and reopens its port.
public struct ReconnectPolicy: Sendable, Hashable {
    /// How often an open port is checked for a hang-up while idle.
    public var probeInterval: Duration
    /// First wait before reopening a port that failed to open.
    public var retryInitial: Duration
    /// Longest wait between reopen attempts.
    public var retryMax: Duration

    /// Creates a policy.
    public init(probeInterval: Duration = .milliseconds(500), retryInitial: Duration = .milliseconds(200), retryMax: Duration = .seconds(2)) {
        self.probeInterval = probeInterval
        self.retryInitial = retryInitial
        self.retryMax = retryMax
    }
}

/// Owns one device's transport: opens it, runs commands on it one at a time,
/// notices when the device disappears (unplug, EOF, I/O error), publishes
/// `noDevice`, and reopens it by itself when it is back.
///
/// Protocol drivers (the GA 467 reader, the ESC/POS printer) sit on a
/// connection and run their exchanges through ``perform(_:timeout:_:)``.
/// A connection on its own is also a ``Device``: kioskd uses it for a device
/// whose protocol driver is not configured, so `/healthz` still shows whether
/// the device is there.
///
/// ```swift
/// let reader = DeviceConnection(identity: identity, logger: logger)
/// Task { await reader.run() }
/// let reply = await reader.perform("find card", timeout: .seconds(1)) { transport in
///     try await transport.write(findCard, deadline: .now + .milliseconds(200))
///     return try await transport.read(maxCount: 64, deadline: .now + .milliseconds(500))
/// }.completion
/// ```
public final class DeviceConnection: Device {
    public typealias Opener = @Sendable (DevicePort) async throws -> any ByteTransport

    private struct State {
        var transport: (any ByteTransport)?
        var lastError: DeviceError?
        /// When a command last finished with the device's answer.
        var lastAnswered: ContinuousClock.Instant?
        var connectedSince: ContinuousClock.Instant?
        var supervising = false
        var shutDown = false
    }

    public let identity: DeviceIdentity
    /// The device's commands, one at a time.
    public let commands: DeviceCommandQueue
    private let broadcaster: StatusBroadcaster<DeviceStatus>
    private let opener: Opener
    private let policy: ReconnectPolicy
    private let logger: Logger
    private let state = Mutex(State())
    /// Wakes the supervisor early: a loss, a shutdown, a hotplug arrival.
    private let nudge = Wakeup()

    /// Creates a connection; nothing is opened until ``run()``.
    /// - Parameters:
    ///   - identity: The device.
    ///   - policy: How to watch and reopen the port.
    ///   - logger: Where connection changes are logged.
    ///   - opener: Opens the port; tests and simulators may inject their own.
    public init(
        identity: DeviceIdentity,
        policy: ReconnectPolicy = ReconnectPolicy(),
        logger: Logger = Logger(label: "kioskd.device"),
        opener: @escaping Opener = { try await Transports.open($0) }
    ) {
        self.identity = identity
        self.policy = policy
        self.opener = opener
        var logger = logger
        logger[metadataKey: "device"] = .string(identity.kind.rawValue)
        logger[metadataKey: "port"] = .string(identity.port.description)
        self.logger = logger
        self.commands = DeviceCommandQueue(device: identity.kind.displayName)
        self.broadcaster = StatusBroadcaster(DeviceStatus(.noDevice, message: "not opened yet"))
    }

    public var status: DeviceStatus { broadcaster.current }

    public func statusChanges() -> AsyncStream<DeviceStatus> { broadcaster.changes() }

    /// Whether the port is open now.
    public var isConnected: Bool { state.withLock { $0.transport != nil } }

    /// The last failure seen on this device, for `/healthz` and `kioskctl devices`.
    public var lastError: DeviceError? { state.withLock { $0.lastError } }

    /// Lets a protocol driver report what the device says of itself (paper
    /// out, SAM fault). Ignored while the port is not open: then the
    /// connection's own status stands.
    public func report(_ status: DeviceStatus) {
        guard isConnected else { return }
        broadcaster.update(status)
    }

    /// Runs `body` on the open transport as one command with `timeout`.
    ///
    /// Fails at once with `noDevice` when the port is not open. When the body
    /// fails with `disconnected`, the transport is closed, the status becomes
    /// `noDevice` and the connection starts reopening the port.
    public func perform<Value: Sendable>(
        _ name: String,
        timeout: Duration,
        _ body: @escaping @Sendable (any ByteTransport) async throws -> Value
    ) -> DeviceCommand<Value> {
        commands.submit(name, timeout: timeout) { [self] in
            let transport = try self.currentTransport()
            do {
                let value = try await body(transport)
                self.state.withLock { $0.lastAnswered = .now }
                return value
            } catch let error as DeviceError where error.code == .disconnected {
                self.lost(transport, error)
                throw DeviceError(.disconnected, "\(self.identity.kind.displayName) went away during \"\(name)\": \(error.message)")
            }
        }
    }

    private func currentTransport() throws -> any ByteTransport {
        let (transport, lastError) = state.withLock { ($0.transport, $0.lastError) }
        if let transport { return transport }
        let reason = lastError?.message ?? "the port is not open yet"
        throw DeviceError(.noDevice, "\(identity.kind.displayName) is not connected: \(reason)")
    }

    // MARK: Lifecycle

    public func run() async {
        let alreadyRunning = state.withLock { state -> Bool in
            defer { state.supervising = true }
            return state.supervising || state.shutDown
        }
        guard !alreadyRunning else { return }
        // Where the platform reports arrivals (USB hotplug), reopen at once.
        let presence = Transports.presenceChanges(at: identity.port).map { changes in
            Task { [nudge] in for await _ in changes { nudge.signal() } }
        }
        defer { presence?.cancel() }
        var retry = policy.retryInitial
        while !Task.isCancelled, !state.withLock({ $0.shutDown }) {
            if !isConnected {
                do {
                    let transport = try await opener(identity.port)
                    if !install(transport) { break }
                    retry = policy.retryInitial
                } catch {
                    recordOpenFailure(error)
                    await pause(retry)
                    retry = min(retry * 2, policy.retryMax)
                    continue
                }
            }
            await pause(policy.probeInterval)
            // A device that has just answered, or is busy with a command (which
            // meets a hang-up itself), needs no check: a reader polled many times a
            // second would otherwise pay for two more checks a second at rest.
            let (open, answered) = state.withLock { ($0.transport, $0.lastAnswered) }
            let recently = answered.map { ContinuousClock.now - $0 < policy.probeInterval } ?? false
            if let transport = open, !recently, commands.backlog == 0 {
                // On the transport itself, not as a queued command (three tasks and a
                // timer, several times a second at rest): the transport runs one
                // operation at a time anyway, and a hang-up check reads no input.
                if !(await transport.isConnected()) {
                    lost(transport, DeviceError(.disconnected, "\(identity.port) hung up (unplugged, or the far end closed)"))
                }
            }
        }
        state.withLock { $0.supervising = false }
    }

    public func shutdown(grace: Duration) async {
        state.withLock { $0.shutDown = true }
        nudge.signal()
        await commands.shutdown(grace: grace)
        let transport = state.withLock { state -> (any ByteTransport)? in
            defer { state.transport = nil }
            return state.transport
        }
        transport?.close()
        broadcaster.update(DeviceStatus(.offline, message: "kioskd stopped"))
        broadcaster.finish()
        logger.info("closed")
    }

    public func healthCheck(_ level: HealthCheckLevel) async -> HealthReport {
        var items: [HealthReport.Item] = []
        switch level {
        case .internal:
            let noop = await commands.run("health check", timeout: .seconds(2)) { () }
            items.append(HealthReport.Item(
                "command queue", noop.outcome == "success" ? .passed : .failed,
                noop.outcome == "success" ? "takes commands" : "a no-op command ended \(noop.outcome): restart kioskd"))
            let supervising = state.withLock { $0.supervising }
            items.append(HealthReport.Item(
                "connection supervisor", supervising ? .passed : .failed,
                supervising ? "watching \(identity.port)" : "not running: restart kioskd"))
        case .external:
            if state.withLock({ $0.transport }) == nil {
                items.append(HealthReport.Item("port open", .failed, lastError?.message ?? "not opened yet"))
            } else {
                let alive = await perform("health check", timeout: .seconds(2)) { await $0.isConnected() }.completion
                let ok: Bool = if case .success(true) = alive { true } else { false }
                items.append(HealthReport.Item("port open", ok ? .passed : .failed,
                                               ok ? "\(identity.port) is open" : "\(identity.port) stopped answering: check the cable"))
            }
        case .interactive:
            items.append(HealthReport.Item("interactive check", .skipped, "no protocol driver for this device yet, so only the port is checked"))
        }
        return HealthReport(device: identity, level: level, items: items)
    }

    // MARK: Transitions

    private func install(_ transport: any ByteTransport) -> Bool {
        let installed = state.withLock { state -> Bool in
            guard !state.shutDown else { return false }
            state.transport = transport
            state.connectedSince = .now
            return true
        }
        guard installed else {
            transport.close()
            return false
        }
        broadcaster.update(.online)
        logger.info("connected")
        return true
    }

    private func recordOpenFailure(_ error: any Error) {
        let deviceError = error as? DeviceError ?? DeviceError(.offline, "\(error)")
        let changed = state.withLock { state -> Bool in
            defer { state.lastError = deviceError }
            return state.lastError != deviceError
        }
        let status = DeviceStatus(deviceError.impliedState ?? .offline, message: deviceError.message)
        if broadcaster.update(status) || changed {
            logger.warning("cannot open: \(deviceError.message)")
        }
    }

    /// Closes `transport` if it is still the current one and starts reopening.
    private func lost(_ transport: any ByteTransport, _ error: DeviceError) {
        let wasCurrent = state.withLock { state -> Bool in
            guard let current = state.transport, current === transport else { return false }
            state.transport = nil
            state.connectedSince = nil
            state.lastError = error
            return true
        }
        guard wasCurrent else { return }
        transport.close()
        broadcaster.update(DeviceStatus(.noDevice, message: error.message))
        logger.warning("lost: \(error.message)")
        nudge.signal()
    }

    /// Sleeps for `duration`, or less when nudged (a loss, a shutdown).
    private func pause(_ duration: Duration) async {
        await nudge.wait(for: duration)
    }
}

/// A protocol driver that sits on a ``DeviceConnection``: its identity and
/// status are the connection's (the driver reports what the device says of
/// itself through ``DeviceConnection/report(_:)``).
public protocol ConnectionDriver: Device {
    /// The port and its supervision.
    var connection: DeviceConnection { get }
}

extension ConnectionDriver {
    public var identity: DeviceIdentity { connection.identity }
    public var status: DeviceStatus { connection.status }
    public func statusChanges() -> AsyncStream<DeviceStatus> { connection.statusChanges() }
}
