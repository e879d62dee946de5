import SystemIO
import Synchronization

/// A device listening on TCP, reachable by drivers as `tcp:HOST:PORT`. Like a
/// network receipt printer it serves one host connection at a time.
///
/// Unplugged, it refuses connections but keeps its port bound (``TCPPortHold``), so it
/// comes back on the same port: let go, the port could be taken meanwhile by any socket's
/// ephemeral end, the reconnecting driver's own among them.
public final class TCPWire: DeviceWire {
    public let faults = FaultInjector()
    private let host: String
    private let requestedPort: UInt16
    private let state = Mutex<(listener: TCPListeningSocket?, hold: TCPPortHold?, client: PollingDescriptor?, stopped: Bool)>((nil, nil, nil, false))

    /// Starts listening on `host:port`; port 0 lets the system choose (see ``port``).
    public init(host: String = "127.0.0.1", port: UInt16) throws(IOFailure) {
        let listener = try TCPListeningSocket(host: host, port: port, sharingPort: true)
        self.host = host
        self.requestedPort = listener.port
        state.withLock { $0 = (listener, nil, nil, false) }
    }

    /// The port it listens on.
    public var port: UInt16 { requestedPort }

    public var portString: String { "tcp:\(host):\(requestedPort)" }

    public func serve(_ device: any SimulatedDevice) async {
        while !state.withLock({ $0.stopped }), !Task.isCancelled {
            guard let listener = state.withLock({ $0.listener }) else {
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            let accepted = try? await onIOThread { try listener.accept(deadline: .now + .milliseconds(200)) }
            guard let fd = accepted ?? nil, let client = try? PollingDescriptor(fd: fd, isSocket: true, label: "hardware-sim tcp \(port)") else {
                continue
            }
            state.withLock { $0.client = client }
            device.hostConnected()
            let link = HostLink(descriptor: client, faults: faults) { [weak self] in self?.unplug() }
            while !state.withLock({ $0.stopped }) {
                do {
                    let bytes = try await client.read(maxCount: 4096, deadline: .now + .milliseconds(200))
                    await device.received(bytes, from: link)
                } catch .timedOut {
                    continue
                } catch {
                    break
                }
            }
            client.close()
            state.withLock { $0.client = nil }
            device.hostDisconnected()
        }
    }

    public func unplug() {
        // The hold first, beside the listener, so the port is never free.
        let hold = state.withLock { $0.stopped || $0.hold != nil || $0.listener == nil } ? nil : try? TCPPortHold(host: host, port: requestedPort)
        let (listener, client) = state.withLock { state in
            defer {
                state.listener = nil
                state.client = nil
                if state.hold == nil { state.hold = hold } else { hold?.close() }
            }
            return (state.listener, state.client)
        }
        // The listener before the host's connection: a host that reconnects the moment its
        // connection closes must be refused, not find a listener about to close under it.
        listener?.close()
        client?.close()
    }

    public func replug() throws {
        guard state.withLock({ $0.listener }) == nil else { return }
        let listener = try TCPListeningSocket(host: host, port: requestedPort, sharingPort: true)
        let hold = state.withLock { state in
            defer {
                state.listener = listener
                state.hold = nil
            }
            return state.hold
        }
        hold?.close()
    }

    public func stop() {
        let hold = state.withLock { state in
            defer {
                state.stopped = true
                state.hold = nil
            }
            return state.hold
        }
        unplug()
        hold?.close()
    }
}
