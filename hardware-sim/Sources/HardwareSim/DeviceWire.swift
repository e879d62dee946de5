import SystemIO

/// A simulated device: the protocol logic at the far end of a wire. It
/// decodes what the host sends and answers through the ``HostLink``, from
/// the device's side of the protocol (never with the driver's codec).
public protocol SimulatedDevice: Sendable {
    /// Bytes arrived from the host, in whatever pieces the wire delivered them.
    func received(_ bytes: [UInt8], from host: HostLink) async
    /// The host connected (TCP) or the wire came back (pty replug).
    func hostConnected()
    /// The host went away or the wire was unplugged; drop any half-read frame.
    func hostDisconnected()
}

extension SimulatedDevice {
    public func hostConnected() {}
    public func hostDisconnected() {}
}

/// The device's way back to the host: every reply goes through the wire's
/// armed faults.
public final class HostLink: Sendable {
    private let descriptor: PollingDescriptor
    private let faults: FaultInjector
    private let bitsPerSecond: Int?
    private let onVanish: @Sendable () -> Void

    init(descriptor: PollingDescriptor, faults: FaultInjector, bitsPerSecond: Int? = nil, onVanish: @escaping @Sendable () -> Void) {
        self.descriptor = descriptor
        self.faults = faults
        self.bitsPerSecond = bitsPerSecond
        self.onVanish = onVanish
    }

    /// Sends a reply, applying armed faults. Returns false when the host is gone.
    @discardableResult
    public func send(_ reply: [UInt8]) async -> Bool {
        var bytes = reply
        var chunk = Int.max
        var gap = Duration.zero
        for fault in faults.faultsForNextReply() {
            switch fault {
            case .silent: return true
            case .vanish:
                onVanish()
                return false
            case .delay(let duration): try? await Task.sleep(for: duration)
            case .garbage(let noise): bytes = noise + bytes
            case .corrupt: if !bytes.isEmpty { bytes[bytes.count - 1] ^= 0xFF }
            case .fragment(let size, let pause):
                chunk = size
                gap = pause
            }
        }
        // A pty has no baud rate: a paced wire sends no faster than a UART
        // would (10 bits a byte: start, 8 data, stop).
        if bitsPerSecond != nil { chunk = min(chunk, 16) }
        let start = ContinuousClock.now
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            if let bitsPerSecond {
                // A byte is there for the reader once its last bit has arrived.
                let due = start + .microseconds(Int64(end) * 10_000_000 / Int64(bitsPerSecond))
                if due > .now { try? await Task.sleep(until: due) }
            }
            do {
                try await descriptor.write(Array(bytes[offset..<end]), deadline: .now + .seconds(5))
            } catch {
                return false
            }
            offset = end
            if gap > .zero, bytes.count > offset { try? await Task.sleep(for: gap) }
        }
        return true
    }
}

/// The far end of one wire, as a device sees it: a pty or a TCP listener.
public protocol DeviceWire: Sendable {
    /// Where a driver finds it: `serial:/path/to/link` or `tcp:127.0.0.1:9100`.
    var portString: String { get }
    /// The faults armed on this wire.
    var faults: FaultInjector { get }
    /// Feeds `device` until ``stop()``; survives unplugs and replugs.
    func serve(_ device: any SimulatedDevice) async
    /// The far end goes away: the host sees a hang-up, reopening finds nothing.
    func unplug()
    /// The far end comes back.
    func replug() throws
    /// Ends ``serve(_:)`` and releases the wire.
    func stop()
}
