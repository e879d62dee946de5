import CLibUSB
import Foundation
import KioskCore

/// What a port answered when asked a harmless question in each byte protocol
/// kioskd speaks: `kioskctl devices --probe`.
///
/// The questions, in this order, change nothing on a device:
/// 1. ESC/POS `DLE EOT 1` (real-time printer status), twice if nothing answers the
///    first: a receipt printer answers one byte with the fixed bits 0xx1xx10. A GA 467
///    reader ignores it (no preamble).
/// 2. GA 467 *SAM status* (`11 FF`), only when nothing answered as a printer, so
///    a printer never sees the frame: a reader answers a well-formed reply frame
///    with SW1 SW2 = 00 00 and SW3 = 90.
///
/// A device that echoes what it is sent answers neither: its echo of `DLE EOT 1`
/// starts 0x10, outside the status pattern, and its echo of the GA 467 command
/// carries the command where a reply has SW1 SW2 SW3.
public enum DeviceProbe {
    public enum Answer: Sendable, Equatable, CustomStringConvertible {
        /// A GA 467 ID-card reader (SAM status 90).
        case idCardReader
        /// An ESC/POS receipt printer, with its status byte.
        case receiptPrinter(status: UInt8)
        /// Bytes came back, in neither protocol.
        case unrecognised(byteCount: Int)
        /// Nothing came back within the timeout.
        case silent
        /// The port could not be opened.
        case unavailable(String)

        public var description: String {
            switch self {
            case .idCardReader: "GA 467 ID-card reader (SAM status 90)"
            case .receiptPrinter(let status): "ESC/POS receipt printer (status \(hex(Int(status), digits: 2)))"
            case .unrecognised(let count): "answered \(count) byte(s) in no protocol kioskd speaks"
            case .silent: "no answer"
            case .unavailable(let why): "cannot open: \(why)"
            }
        }

        /// Whether the port opened (whatever answered).
        public var opened: Bool {
            if case .unavailable = self { return false }
            return true
        }

        /// The device in kioskd's configuration this answer makes the port right for.
        public var device: DeviceKind? {
            switch self {
            case .idCardReader: .idCardReader
            case .receiptPrinter: .receiptPrinter
            default: nil
            }
        }
    }

    /// Asks the device at `port`; each question waits at most `timeout` for its answer.
    public static func ask(_ port: DevicePort, timeout: Duration = .milliseconds(500)) async -> Answer {
        let transport: any ByteTransport
        do {
            transport = try await Transports.open(port, connectTimeout: timeout)
        } catch let error as DeviceError {
            return .unavailable(error.message)
        } catch {
            return .unavailable("\(error)")
        }
        defer { transport.close() }
        do {
            var heard = 0
            // Asked twice if silent, as the driver does: a printer just woken can be slow to answer the first.
            for _ in 1...2 {
                let printer = try await answer(to: ESCPOS.statusRequest(.printer), on: transport, timeout: timeout)
                if printer.count == 1, printer[0] & 0x93 == 0x12 { return .receiptPrinter(status: printer[0]) }
                heard += printer.count
                if !printer.isEmpty { break }
            }
            let reader = try await answer(to: GA467.encode(.samStatus), on: transport, timeout: timeout)
            var decoder = GA467ReplyDecoder()
            decoder.append(reader)
            while let frame = decoder.next() {
                if case .success(let reply) = frame, reply.sw1 == 0, reply.sw2 == 0, reply.status == .success { return .idCardReader }
            }
            heard += reader.count
            return heard == 0 ? .silent : .unrecognised(byteCount: heard)
        } catch let error as DeviceError {
            return .unavailable(error.message)
        } catch {
            return .unavailable("\(error)")
        }
    }

    /// The ports worth asking: `given` first, then the machine's serial ports (each once, a
    /// given one not again) and its USB printer and vendor interfaces.
    public static func candidates(given: [DevicePort]) -> [DevicePort] {
        func device(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        let givenPaths = Set(given.compactMap { port -> String? in
            guard case .serial(let path, _) = port else { return nil }
            return device(path)
        })
        var ports = given
        for path in serialPorts() where !givenPaths.contains(device(path)) {
            ports.append(.serial(path: path, settings: SerialSettings()))
        }
        return ports + usbInterfaces().map { .usb($0) }
    }

    /// ``ask(_:timeout:)``, and for a serial port that opened but answered neither, again at
    /// 9600 baud (serial receipt printers often ship at 9600, readers at 115200): the answer and
    /// the port (with the speed) it came on.
    public static func identify(_ port: DevicePort, timeout: Duration = .milliseconds(500)) async -> (answer: Answer, port: DevicePort) {
        let answer = await ask(port, timeout: timeout)
        guard case .serial(let path, var settings) = port, answer.device == nil, answer.opened, settings.baudRate != 9600 else { return (answer, port) }
        settings.baudRate = 9600
        let slower = DevicePort.serial(path: path, settings: settings)
        let second = await ask(slower, timeout: timeout)
        return second.device != nil ? (second, slower) : (answer, port)
    }

    /// Every port ``candidates(given:)`` names, asked in turn (``identify(_:timeout:)``): what
    /// answered on each, and the ports each device answered on.
    public static func survey(given: [DevicePort], timeout: Duration = .milliseconds(500)) async
        -> (answers: [(answer: Answer, port: DevicePort)], byDevice: [DeviceKind: [DevicePort]]) {
        var answers: [(answer: Answer, port: DevicePort)] = []
        var byDevice: [DeviceKind: [DevicePort]] = [:]
        for port in candidates(given: given) {
            let (answer, answered) = await identify(port, timeout: timeout)
            if let device = answer.device { byDevice[device, default: []].append(answered) }
            answers.append((answer, answered))
        }
        return (answers, byDevice)
    }

    /// Sends `question` and gathers what comes back until `timeout` passes, or
    /// until the line has been quiet for 50 ms after the first byte (a whole answer).
    private static func answer(to question: [UInt8], on transport: any ByteTransport, timeout: Duration) async throws -> [UInt8] {
        try await transport.flushInput()
        let deadline = ContinuousClock.now + timeout
        try await transport.write(question, deadline: deadline)
        var bytes: [UInt8] = []
        while bytes.count < 4096 {
            let wait = bytes.isEmpty ? deadline : min(deadline, .now + .milliseconds(50))
            do {
                bytes += try await transport.read(maxCount: 4096 - bytes.count, deadline: wait)
            } catch let error as DeviceError where error.code == .timedOut {
                break
            }
        }
        return bytes
    }

    /// The serial ports a station's devices sit on (USB-serial bridges and
    /// CDC-ACM devices), each once, by its stable name where udev made one
    /// (/dev/serial/by-id, else /dev/serial/by-path), else by its kernel name.
    public static func serialPorts(devices: String = "/dev") -> [String] {
        let manager = FileManager.default
        var stable: [String: String] = [:]
        for folder in ["by-path", "by-id"] {  // by-id last: it wins where both exist
            let path = devices + "/serial/" + folder
            for name in ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                let link = path + "/" + name
                stable[URL(fileURLWithPath: link).resolvingSymlinksInPath().path] = link
            }
        }
        let kernel = ((try? manager.contentsOfDirectory(atPath: devices)) ?? [])
            .filter { $0.hasPrefix("ttyUSB") || $0.hasPrefix("ttyACM") }.sorted().map { devices + "/" + $0 }
        return kernel.map { stable[$0] ?? $0 }
    }

    /// The USB interfaces that could carry a byte protocol: printer-class (07)
    /// and vendor-specific (FF) ones with a bulk or interrupt endpoint pair.
    public static func usbInterfaces() -> [USBDeviceSelector] {
        var selectors: [USBDeviceSelector] = []
        try? USBDevices.forEachDevice { device, descriptor in
            let byteInterfaces = (USBTransport.byteInterfaces(of: device) ?? []).filter { $0.interfaceClass == 0x07 || $0.interfaceClass == 0xFF }
            guard !byteInterfaces.isEmpty else { return }  // a keyboard or a hub is not opened
            var serial: String?
            var handle: OpaquePointer?
            if libusb_open(device, &handle) == 0, let handle {
                serial = USBDevices.readString(handle, descriptor.iSerialNumber)
                libusb_close(handle)
            }
            for interface in byteInterfaces {
                selectors.append(USBDeviceSelector(vendorID: descriptor.idVendor, productID: descriptor.idProduct, serialNumber: serial,
                                                   interface: Int(interface.number)))
            }
        }
        return selectors
    }
}
