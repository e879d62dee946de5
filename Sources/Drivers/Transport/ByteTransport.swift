import KioskCore

/// A byte pipe to one device: a serial line, a USB interface or a TCP socket.
///
/// Reads are framed by the caller: ``read(maxCount:deadline:)`` returns what
/// has arrived (at least one byte) before the deadline, and a driver's codec
/// assembles frames from it. Every wait ends at its deadline or when the
/// calling task is canceled, whichever comes first. Every failure is a
/// ``DeviceError`` whose message names the port and what to do.
///
/// One owner per transport: a driver serialises its commands (see
/// ``DeviceCommandQueue``), so a transport is never read by two callers at once.
public protocol ByteTransport: AnyObject, Sendable {
    /// Where this transport is connected.
    var port: DevicePort { get }
    /// Writes all of `bytes` or throws.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws
    /// Returns between 1 and `maxCount` bytes, waiting until `deadline` for the first.
    /// Throws `timedOut` when nothing arrived in time and `disconnected` when the device went away.
    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8]
    /// Discards input that arrived but was not read (stale replies after a timeout).
    func flushInput() async throws
    /// Discards stale input, writes `request` and returns the first 1 to
    /// `maxCount` bytes of the answer (a driver's codec reads the rest).
    func exchange(_ request: [UInt8], replyMaxCount maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8]
    /// Sends `request` every `interval` while the device answers exactly
    /// `idleAnswer`; returns the first bytes of another answer, or nil when
    /// the next request would fall after `until` or `giveWay` (asked between
    /// polls) says another command waits for the port. Each answer must begin
    /// within `replyTimeout`.
    func poll(
        sending request: [UInt8], every interval: Duration, whileAnswer idleAnswer: [UInt8],
        until: ContinuousClock.Instant, giveWay: @escaping @Sendable () -> Bool, replyTimeout: Duration
    ) async throws -> [UInt8]?
    /// Whether the far end is still there, without consuming any input.
    func isConnected() async -> Bool
    /// Closes the transport. Pending and later operations fail with `disconnected`.
    func close()
}

extension ByteTransport {
    public func exchange(_ request: [UInt8], replyMaxCount maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        try await flushInput()
        try await write(request, deadline: deadline)
        return try await read(maxCount: maxCount, deadline: deadline)
    }

    public func poll(
        sending request: [UInt8], every interval: Duration, whileAnswer idleAnswer: [UInt8],
        until: ContinuousClock.Instant, giveWay: @escaping @Sendable () -> Bool, replyTimeout: Duration
    ) async throws -> [UInt8]? {
        while true {
            let deadline = ContinuousClock.now + replyTimeout
            var answer = try await exchange(request, replyMaxCount: idleAnswer.count, deadline: deadline)
            while answer.count < idleAnswer.count, idleAnswer.starts(with: answer) {
                answer += try await read(maxCount: idleAnswer.count - answer.count, deadline: deadline)
            }
            if answer != idleAnswer { return answer }
            let next = ContinuousClock.now + interval
            if next >= until || giveWay() { return nil }
            try await Task.sleep(until: next, clock: .continuous)
        }
    }

    /// Writes all of `bytes`, giving up after `timeout`.
    public func write(_ bytes: [UInt8], timeout: Duration) async throws {
        try await write(bytes, deadline: .now + timeout)
    }

    /// Reads exactly `count` bytes before `deadline`.
    public func read(exactly count: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            bytes += try await read(maxCount: count - bytes.count, deadline: deadline)
        }
        return bytes
    }
}

/// Opens the transport a port string names.
public enum Transports {
    /// Opens `port`. Throws a ``DeviceError`` that says what to do when it cannot.
    public static func open(_ port: DevicePort, connectTimeout: Duration = .seconds(3)) async throws -> any ByteTransport {
        switch port {
        case .serial(let path, let settings):
            return try await FileDescriptorTransport.openSerial(path: path, settings: settings, port: port)
        case .tcp(let host, let tcpPort):
            return try await FileDescriptorTransport.connectTCP(host: host, port: tcpPort, timeout: connectTimeout, devicePort: port)
        case .usb(let selector):
            return try await USBTransport.open(selector)
        case .cups(let queue):
            throw DeviceError(.unsupported, "cups:\(queue) is a print queue, not a byte stream: it is used by the A4 printer (CUPSPrinter)")
        case .sane(let device):
            throw DeviceError(.unsupported, "sane:\(device) is a scanner reached through libsane, not a byte stream (SANEScanner)")
        }
    }

    /// Signals when a device may have appeared or gone at `port`, where the
    /// platform reports it (USB hotplug); nil where only polling finds out.
    public static func presenceChanges(at port: DevicePort) -> AsyncStream<Void>? {
        if case .usb(let selector) = port { return USBHotplug.changes(of: selector) }
        return nil
    }
}
