import KioskCore
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

/// A transport over a file descriptor: a serial line (or pty) or a TCP socket.
/// The waiting is ``PollingDescriptor``'s; this type opens the port and turns
/// failures into ``DeviceError``s that name the port and what to do.
final class FileDescriptorTransport: ByteTransport {
    let port: DevicePort
    private let descriptor: PollingDescriptor

    private init(fd: Int32, isSocket: Bool, port: DevicePort) throws {
        self.port = port
        do {
            descriptor = try PollingDescriptor(fd: fd, isSocket: isSocket, label: "kioskd.transport \(port)")
        } catch {
            Glibc.close(fd)
            throw DeviceError(.internalError, "cannot set up \(port): \(error)")
        }
    }

    // MARK: Opening

    static func openSerial(path: String, settings: SerialSettings, port: DevicePort) async throws -> FileDescriptorTransport {
        try await onIOThread {
            let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                switch code {
                case ENOENT, ENODEV, ENXIO, EIO:
                    throw DeviceError(.noDevice, "nothing is attached at \(path): check that the device is plugged in and switched on")
                case EACCES, EPERM:
                    throw DeviceError(.permissionDenied, "no permission to open \(path): add the kiosk user to the dialout group or install deploy/udev/99-kioskd.rules")
                case EBUSY:
                    throw DeviceError(.busy, "\(path) is busy: another program holds it open")
                default:
                    throw DeviceError(.offline, "cannot open \(path): \(errnoText(code))")
                }
            }
            // One owner per device: a second kioskd or kioskctl gets a clear refusal.
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                Glibc.close(fd)
                throw DeviceError(.busy, "\(path) is in use by another program (is kioskd running? stop it, or ask it through kioskctl)")
            }
            var options = termios()
            guard tcgetattr(fd, &options) == 0 else {
                Glibc.close(fd)
                throw DeviceError(.unsupported, "\(path) is not a serial device; a serial: port must name a tty such as /dev/ttyUSB0")
            }
            configure(&options, settings)
            guard tcsetattr(fd, TCSANOW, &options) == 0 else {
                let reason = errnoText()
                Glibc.close(fd)
                throw DeviceError(.offline, "cannot set \(path) to \(settings.baudRate) baud: \(reason)")
            }
            tcflush(fd, TCIOFLUSH)
            return try FileDescriptorTransport(fd: fd, isSocket: false, port: port)
        }
    }

    /// Raw mode (no echo, no line editing, no translation) with the port's line settings.
    private static func configure(_ options: inout termios, _ settings: SerialSettings) {
        cfmakeraw(&options)
        let speed = speed_t(baudConstant(settings.baudRate))
        cfsetispeed(&options, speed)
        cfsetospeed(&options, speed)
        let cleared: Int32 = CSIZE | PARENB | PARODD | CSTOPB
        var cflag: tcflag_t = options.c_cflag & ~tcflag_t(cleared) & ~tcflag_t(CRTSCTS)
        cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        let size: Int32 = switch settings.dataBits {
        case 5: CS5
        case 6: CS6
        case 7: CS7
        default: CS8
        }
        cflag |= tcflag_t(size)
        switch settings.parity {
        case .none: break
        case .even: cflag |= tcflag_t(PARENB)
        case .odd: cflag |= tcflag_t(PARENB) | tcflag_t(PARODD)
        }
        if settings.stopBits == 2 { cflag |= tcflag_t(CSTOPB) }
        options.c_cflag = cflag
    }

    static func connectTCP(host: String, port: UInt16, timeout: Duration, devicePort: DevicePort) async throws -> FileDescriptorTransport {
        try await onIOThread {
            do {
                let fd = try SystemIO.connectTCP(host: host, port: port, deadline: .now + timeout)
                return try FileDescriptorTransport(fd: fd, isSocket: true, port: devicePort)
            } catch let failure as ConnectFailure {
                throw switch failure {
                case .unresolved(let reason):
                    DeviceError(.offline, "cannot resolve \(host): \(reason); check the host in the port string")
                case .refused:
                    DeviceError(.offline, "nothing listens at \(host):\(port): is the device switched on and its address right?")
                case .timedOut:
                    DeviceError(.offline, "\(host):\(port) did not answer within \(timeout.formatted): check the network cable and the address")
                case .other(let reason):
                    DeviceError(.offline, "cannot connect to \(host):\(port): \(reason)")
                }
            }
        }
    }

    // MARK: I/O

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        do { try await descriptor.write(bytes, deadline: deadline) } catch { throw deviceError(error, "write") }
    }

    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        do { return try await descriptor.read(maxCount: maxCount, deadline: deadline) } catch { throw deviceError(error, "read") }
    }

    func flushInput() async throws {
        do { try await descriptor.flushInput() } catch { throw deviceError(error, "flush") }
    }

    func exchange(_ request: [UInt8], replyMaxCount maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        do { return try await descriptor.exchange(request, replyMaxCount: maxCount, deadline: deadline) } catch { throw deviceError(error, "exchange") }
    }

    func poll(
        sending request: [UInt8], every interval: Duration, whileAnswer idleAnswer: [UInt8],
        until: ContinuousClock.Instant, giveWay: @escaping @Sendable () -> Bool, replyTimeout: Duration
    ) async throws -> [UInt8]? {
        do {
            return try await descriptor.poll(
                sending: request, every: interval, whileAnswer: idleAnswer, until: until, giveWay: giveWay, replyTimeout: replyTimeout)
        } catch {
            throw deviceError(error, "poll")
        }
    }

    func isConnected() async -> Bool { !(await descriptor.hasHungUp()) }

    func close() { descriptor.close() }

    private func deviceError(_ failure: IOFailure, _ what: String) -> DeviceError {
        switch failure {
        case .timedOut: DeviceError(.timedOut, "no \(what) on \(port) before the deadline")
        case .canceled: DeviceError(.canceled, "\(what) on \(port) was canceled")
        case .closed: DeviceError(.disconnected, "\(port) was closed")
        case .hungUp(let how): DeviceError(.disconnected, "\(port) went away (\(how)): check the cable; kioskd reconnects when it is back")
        case .system(_, let text): DeviceError(.disconnected, "I/O error on \(port): \(text)")
        }
    }
}

private func baudConstant(_ baud: Int) -> Int32 {
    switch baud {
    case 1200: B1200
    case 2400: B2400
    case 4800: B4800
    case 9600: B9600
    case 19200: B19200
    case 38400: B38400
    case 57600: B57600
    case 230400: B230400
    case 460800: B460800
    case 921600: B921600
    default: B115200
    }
}
