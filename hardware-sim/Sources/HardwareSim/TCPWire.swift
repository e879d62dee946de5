import SystemIO
import Synchronization

/// A device listening on TCP, reachable by drivers as `tcp:HOST:PORT`. Like a
/// network receipt printer it serves one host connection at a time.
public final class TCPWire: DeviceWire {
    public let faults = FaultInjector()
    private let host: String
    private let requestedPort: UInt16
    private let state = Mutex<(listener: TCPListeningSocket?, client: PollingDescriptor?, stopped: Bool)>((nil, nil, false))

    /// Starts listening on `host:port`; port 0 lets the system choose (see ``port``).
    public init(host: String = "127.0.0.1", port: UInt16) throws(IOFailure) {
        let listener = try TCPListeningSocket(host: host, port: port)
        self.host = host
        self.requestedPort = listener.port
        state.withLock { $0 = (listener, nil, false) }
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
        let (listener, client) = state.withLock { state in
            defer {
                state.listener = nil
                state.client = nil
            }
            return (state.listener, state.client)
        }
        client?.close()
        listener?.close()
    }

    public func replug() throws {
        guard state.withLock({ $0.listener }) == nil else { return }
        let listener = try TCPListeningSocket(host: host, port: requestedPort)
        state.withLock { $0.listener = listener }
    }

    public func stop() {
        state.withLock { $0.stopped = true }
        unplug()
    }
}
