import Drivers
import KioskCore
import Testing

@Suite("USB through libusb")
struct USBTests {
    @Test("a USB port string naming a missing device gives a clear error, not a crash")
    func missingDevice() async throws {
        do {
            let transport = try await Transports.open(DevicePort(parsing: "usb:dead:beef"))
            transport.close()
            Issue.record("a device dead:beef opened")
        } catch let error as DeviceError {
            // Where libusb cannot start at all (no /sys/bus/usb), that is the clear error instead.
            if error.code == .unsupported {
                #expect(error.message.contains("libusb could not start"))
            } else {
                #expect(error.code == .noDevice)
                #expect(error.message.contains("no USB device dead:beef is attached"))
                #expect(error.message.contains("kioskctl devices --usb"))
            }
        }
    }

    @Test("listing USB devices works, and every listed device has a usable port string")
    func list() throws {
        let devices: [USBDeviceInfo]
        do {
            devices = try USBDevices.list()
        } catch {
            #expect(error.message.contains("libusb"))
            return
        }
        for device in devices {
            let port = try DevicePort(parsing: device.portString)
            guard case .usb(let selector) = port else {
                Issue.record("\(device.portString) is not a USB port")
                continue
            }
            #expect(selector.vendorID == device.vendorID)
        }
    }
}
