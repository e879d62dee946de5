/// Where a device is attached, parsed from the port string of the configuration.
///
/// | port string | meaning |
/// |---|---|
/// | `serial:/dev/ttyUSB0?baud=115200` | a serial line (RS-232, USB-serial, a pty); also `databits`, `parity` (none/even/odd), `stopbits` |
/// | `usb:10c4:ea60[?serial=ABC&interface=0]` | a USB device by vendor and product id (hex), optionally its serial number and interface |
/// | `tcp:192.168.1.50:9100` | a TCP socket (network receipt printers listen on 9100) |
/// | `cups:KioskPDF` | a CUPS print queue (the A4 printer) |
/// | `sane:test:0` | a SANE scanner by its device name (`scanimage -L`) |
///
/// ```swift
/// let port = try DevicePort(parsing: "serial:/dev/ttyUSB0?baud=9600")
/// ```
public enum DevicePort: Hashable, Sendable, CustomStringConvertible {
    /// A serial line or pseudo-terminal at `path`.
    case serial(path: String, settings: SerialSettings)
    /// A USB device chosen by vendor and product id.
    case usb(USBDeviceSelector)
    /// A TCP endpoint.
    case tcp(host: String, port: UInt16)
    /// A CUPS print queue by name.
    case cups(queue: String)
    /// A SANE scanner by device name (everything after `sane:`, spaces included).
    case sane(device: String)

    /// Parses a port string; the error names the part at fault and shows the expected form.
    public init(parsing text: String) throws(DevicePortError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw DevicePortError(text, "it has no scheme; expected serial:PATH, usb:VID:PID or tcp:HOST:PORT")
        }
        let scheme = String(text[..<colon])
        let rest = String(text[text.index(after: colon)...])
        if scheme == "sane" {
            // SANE device names may hold '?' and '&' (airscan names are free text): no options here.
            guard !rest.isEmpty else { throw DevicePortError(text, "expected sane:DEVICE with the name `scanimage -L` shows, e.g. sane:test:0") }
            self = .sane(device: rest)
            return
        }
        let (body, query) = try Self.splitQuery(rest, in: text)
        switch scheme {
        case "serial":
            guard !body.isEmpty else { throw DevicePortError(text, "the device path is empty; expected e.g. serial:/dev/ttyUSB0") }
            var settings = SerialSettings()
            for (key, value) in query {
                switch key {
                case "baud":
                    guard let baud = Int(value), SerialSettings.supportedBaudRates.contains(baud) else {
                        throw DevicePortError(text, "baud \"\(value)\" is not supported; use one of \(SerialSettings.supportedBaudRates.map(String.init).joined(separator: ", "))")
                    }
                    settings.baudRate = baud
                case "databits":
                    guard let bits = Int(value), (5...8).contains(bits) else {
                        throw DevicePortError(text, "databits \"\(value)\" must be 5, 6, 7 or 8")
                    }
                    settings.dataBits = bits
                case "parity":
                    guard let parity = SerialSettings.Parity(rawValue: value) else {
                        throw DevicePortError(text, "parity \"\(value)\" must be none, even or odd")
                    }
                    settings.parity = parity
                case "stopbits":
                    guard let bits = Int(value), bits == 1 || bits == 2 else {
                        throw DevicePortError(text, "stopbits \"\(value)\" must be 1 or 2")
                    }
                    settings.stopBits = bits
                default:
                    throw DevicePortError(text, "unknown option \"\(key)\"; serial ports take baud, databits, parity, stopbits")
                }
            }
            self = .serial(path: body, settings: settings)
        case "usb":
            let ids = body.split(separator: ":", omittingEmptySubsequences: false)
            guard ids.count == 2 else { throw DevicePortError(text, "expected usb:VID:PID with hex ids, e.g. usb:10c4:ea60") }
            var selector = USBDeviceSelector(
                vendorID: try Self.hexID(ids[0], what: "vendor id", in: text),
                productID: try Self.hexID(ids[1], what: "product id", in: text))
            for (key, value) in query {
                switch key {
                case "serial":
                    guard !value.isEmpty else { throw DevicePortError(text, "serial is empty") }
                    selector.serialNumber = value
                case "interface":
                    guard let number = Int(value), (0...255).contains(number) else {
                        throw DevicePortError(text, "interface \"\(value)\" must be a number from 0 to 255")
                    }
                    selector.interface = number
                default:
                    throw DevicePortError(text, "unknown option \"\(key)\"; USB ports take serial and interface")
                }
            }
            self = .usb(selector)
        case "tcp":
            guard query.isEmpty else { throw DevicePortError(text, "TCP ports take no options") }
            guard let portColon = body.lastIndex(of: ":") else {
                throw DevicePortError(text, "expected tcp:HOST:PORT, e.g. tcp:192.168.1.50:9100")
            }
            var host = String(body[..<portColon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let portText = body[body.index(after: portColon)...]
            guard !host.isEmpty else { throw DevicePortError(text, "the host is empty; expected tcp:HOST:PORT") }
            guard let port = UInt16(portText), port > 0 else {
                throw DevicePortError(text, "port \"\(portText)\" must be a number from 1 to 65535")
            }
            self = .tcp(host: host, port: port)
        case "cups":
            guard query.isEmpty else { throw DevicePortError(text, "CUPS ports take no options") }
            guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else {
                throw DevicePortError(text, "expected cups:QUEUE with the queue's name as `lpstat -p` lists it, e.g. cups:KioskPDF")
            }
            self = .cups(queue: body)
        default:
            throw DevicePortError(text, "unknown scheme \"\(scheme)\"; expected serial:, usb:, tcp:, cups: or sane:")
        }
    }

    public var description: String {
        switch self {
        case .serial(let path, let settings):
            let options = settings.queryItems
            return "serial:\(path)" + (options.isEmpty ? "" : "?" + options.joined(separator: "&"))
        case .usb(let selector):
            return selector.description
        case .tcp(let host, let port):
            return host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        case .cups(let queue):
            return "cups:\(queue)"
        case .sane(let device):
            return "sane:\(device)"
        }
    }

    private static func splitQuery(_ rest: String, in text: String) throws(DevicePortError) -> (String, [(String, String)]) {
        guard let mark = rest.firstIndex(of: "?") else { return (rest, []) }
        var items: [(String, String)] = []
        for pair in rest[rest.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw DevicePortError(text, "option \"\(pair)\" is not KEY=VALUE") }
            guard !items.contains(where: { $0.0 == parts[0] }) else {
                throw DevicePortError(text, "option \"\(parts[0])\" is given twice")
            }
            items.append((String(parts[0]), String(parts[1])))
        }
        return (String(rest[..<mark]), items)
    }

    private static func hexID(_ part: Substring, what: String, in text: String) throws(DevicePortError) -> UInt16 {
        guard part.count == 4, let value = UInt16(part, radix: 16) else {
            throw DevicePortError(text, "\(what) \"\(part)\" is not 4 hex digits; expected e.g. usb:10c4:ea60")
        }
        return value
    }
}

/// Line settings of a serial port. Readers and printers in stations almost
/// always run 8N1; only the baud rate varies.
public struct SerialSettings: Hashable, Sendable {
    /// Parity bit.
    public enum Parity: String, Hashable, Sendable { case none, even, odd }

    /// Baud rates the Linux termios interface can set.
    public static let supportedBaudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]

    /// Bits per second; 115200 by default (GA 467 readers ship at 115200).
    public var baudRate = 115_200
    /// Data bits per character.
    public var dataBits = 8
    /// Parity.
    public var parity = Parity.none
    /// Stop bits.
    public var stopBits = 1

    /// Creates the default 115200 8N1.
    public init() {}

    var queryItems: [String] {
        var items: [String] = []
        if baudRate != 115_200 { items.append("baud=\(baudRate)") }
        if dataBits != 8 { items.append("databits=\(dataBits)") }
        if parity != .none { items.append("parity=\(parity.rawValue)") }
        if stopBits != 1 { items.append("stopbits=\(stopBits)") }
        return items
    }
}

/// Which USB device a `usb:` port means.
public struct USBDeviceSelector: Hashable, Sendable, CustomStringConvertible {
    /// The vendor id (idVendor).
    public var vendorID: UInt16
    /// The product id (idProduct).
    public var productID: UInt16
    /// The serial-number string, when several identical devices are attached.
    public var serialNumber: String?
    /// The interface to claim; the first with bulk endpoints when nil.
    public var interface: Int?

    /// Creates a selector.
    public init(vendorID: UInt16, productID: UInt16, serialNumber: String? = nil, interface: Int? = nil) {
        self.vendorID = vendorID
        self.productID = productID
        self.serialNumber = serialNumber
        self.interface = interface
    }

    /// `10c4:ea60`, the form `lsusb` prints.
    public var ids: String { hex4(vendorID) + ":" + hex4(productID) }

    public var description: String {
        var options: [String] = []
        if let serialNumber { options.append("serial=\(serialNumber)") }
        if let interface { options.append("interface=\(interface)") }
        return "usb:\(ids)" + (options.isEmpty ? "" : "?" + options.joined(separator: "&"))
    }
}

/// Formats a 16-bit id as four lowercase hex digits.
public func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 4 - digits.count) + digits
}

/// A port string that cannot be parsed.
public struct DevicePortError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The port string as given.
    public var text: String
    /// What is wrong and what is expected.
    public var reason: String

    init(_ text: String, _ reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "port \"\(text)\": \(reason)" }
}
