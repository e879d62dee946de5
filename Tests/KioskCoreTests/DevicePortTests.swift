import KioskCore
import Testing

@Suite("Port strings")
struct DevicePortTests {
    @Test("serial, usb and tcp ports parse and print back")
    func roundTrip() throws {
        let cases: [(String, DevicePort)] = [
            ("serial:/dev/ttyUSB0", .serial(path: "/dev/ttyUSB0", settings: SerialSettings())),
            ("tcp:192.168.1.50:9100", .tcp(host: "192.168.1.50", port: 9100)),
            ("usb:10c4:ea60", .usb(USBDeviceSelector(vendorID: 0x10C4, productID: 0xEA60))),
            ("usb:0483:5750?serial=A1B2", .usb(USBDeviceSelector(vendorID: 0x0483, productID: 0x5750, serialNumber: "A1B2"))),
            ("tcp:[::1]:9100", .tcp(host: "::1", port: 9100)),
            ("cups:KioskPDF", .cups(queue: "KioskPDF")),
            ("sane:test:0", .sane(device: "test:0")),
            ("sane:airscan:e0:Kiosk Scanner", .sane(device: "airscan:e0:Kiosk Scanner")),
        ]
        for (text, expected) in cases {
            let port = try DevicePort(parsing: text)
            #expect(port == expected)
            #expect(port.description == text)
        }
        guard case .serial(_, let settings) = try DevicePort(parsing: "serial:/dev/ttyS0?baud=9600&parity=even&stopbits=2") else {
            Issue.record("not a serial port")
            return
        }
        #expect(settings.baudRate == 9600)
        #expect(settings.parity == .even)
        #expect(settings.stopBits == 2)
    }

    @Test("a bad port string names what is wrong and what is expected")
    func errors() {
        let cases: [(String, String)] = [
            ("/dev/ttyUSB0", "no scheme"),
            ("com1:x", "unknown scheme \"com1\""),
            ("cups:Kiosk PDF", "expected cups:QUEUE"),
            ("serial:", "device path is empty"),
            ("serial:/dev/ttyUSB0?baud=115201", "baud \"115201\" is not supported"),
            ("serial:/dev/ttyUSB0?speed=9600", "unknown option \"speed\""),
            ("usb:10c4", "expected usb:VID:PID"),
            ("usb:10c4:xyz1", "product id \"xyz1\" is not 4 hex digits"),
            ("tcp:printer", "expected tcp:HOST:PORT"),
            ("tcp:printer:70000", "port \"70000\" must be a number from 1 to 65535"),
            ("serial:/dev/ttyS0?baud=9600&baud=4800", "given twice"),
        ]
        for (text, fragment) in cases {
            #expect(throws: DevicePortError.self, "\(text)") { try DevicePort(parsing: text) }
            do {
                _ = try DevicePort(parsing: text)
            } catch {
                #expect(error.description.contains(fragment), "\(error.description)")
                #expect(error.description.hasPrefix("port \"\(text)\""))
            }
        }
    }
}
