import SystemIO
import Synchronization

/// A device at the far end of a pseudo-terminal, reachable by drivers as
/// `serial:LINK`.
///
/// ```swift
/// let wire = try PtyWire(link: "var/sim/idcard")
/// Task { await wire.serve(EchoDevice()) }
/// wire.unplug()   // the driver's next read fails; its status goes to noDevice
/// try wire.replug()
/// ```
public final class PtyWire: DeviceWire {
    public let faults = FaultInjector()
    private let terminal: PseudoTerminal
    private let stopped = Mutex(false)
    private let link: String
    private let bitsPerSecond: Int?

    /// Creates the pty and its link.
    /// - Parameter bitsPerSecond: Pace replies like a UART at this baud rate; nil sends at pty speed.
    public init(link: String, bitsPerSecond: Int? = nil) throws(IOFailure) {
        self.link = link
        self.bitsPerSecond = bitsPerSecond
        terminal = try PseudoTerminal(linkPath: link)
    }

    public var portString: String { "serial:\(link)" }

    /// The pty's slave path behind the link, while plugged in.
    public var slavePath: String? { terminal.slavePath }

    public func serve(_ device: any SimulatedDevice) async {
        var connected: PollingDescriptor?
        while !stopped.withLock({ $0 }), !Task.isCancelled {
            guard let master = terminal.master else {
                if connected != nil {
                    connected = nil
                    device.hostDisconnected()
                }
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            if connected !== master {
                connected = master
                device.hostConnected()
            }
            do {
                let bytes = try await master.read(maxCount: 4096, deadline: .now + .milliseconds(200))
                let link = HostLink(descriptor: master, faults: faults, bitsPerSecond: bitsPerSecond) { [terminal] in terminal.close() }
                await device.received(bytes, from: link)
            } catch .timedOut {
                continue
            } catch {
                // Closed by an unplug, or no slave open (EIO): wait and look again.
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        device.hostDisconnected()
    }

    public func unplug() { terminal.close() }

    public func replug() throws { try terminal.open() }

    public func stop() {
        stopped.withLock { $0 = true }
        terminal.close()
    }
}
