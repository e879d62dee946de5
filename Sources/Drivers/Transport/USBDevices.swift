import CLibUSB
import Dispatch
import KioskCore
import Synchronization
import SystemIO

/// A USB device as `kioskctl devices --usb` lists it.
public struct USBDeviceInfo: Sendable, Hashable {
    /// Bus number.
    public var bus: UInt8
    /// Address on the bus.
    public var address: UInt8
    /// Vendor id.
    public var vendorID: UInt16
    /// Product id.
    public var productID: UInt16
    /// Device class from the device descriptor (0 means "per interface").
    public var deviceClass: UInt8
    /// Manufacturer string, when the device could be opened to read it.
    public var manufacturer: String?
    /// Product string, when readable.
    public var product: String?
    /// Serial-number string, when readable.
    public var serialNumber: String?

    /// The port string that selects this device.
    public var portString: String {
        USBDeviceSelector(vendorID: vendorID, productID: productID, serialNumber: serialNumber).description
    }
}

/// The process's libusb context, started on first use.
final class USBContext: @unchecked Sendable {  // libusb contexts are thread-safe
    let context: OpaquePointer

    private init(context: OpaquePointer) { self.context = context }

    private static let shared: Result<USBContext, DeviceError> = {
        var context: OpaquePointer?
        let status = libusb_init(&context)
        guard status == 0, let context else {
            return .failure(DeviceError(.unsupported, "libusb could not start (\(usbErrorName(status))): is /sys/bus/usb present? USB ports need it"))
        }
        return .success(USBContext(context: context))
    }()

    static func get() throws(DeviceError) -> USBContext { try shared.get() }

    /// Whether libusb on this platform delivers hotplug events.
    var supportsHotplug: Bool { libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 }
}

func usbErrorName(_ code: Int32) -> String {
    String(cString: libusb_error_name(code))
}

/// libusb's version, for `kioskctl version`.
public func libusbVersion() -> String {
    let version = libusb_get_version().pointee
    return "\(version.major).\(version.minor).\(version.micro)"
}

/// USB enumeration for maintainers.
public enum USBDevices {
    /// Lists the USB devices attached now. Strings are read where the device can
    /// be opened (it may need root or the udev rules); otherwise they are nil.
    public static func list() throws(DeviceError) -> [USBDeviceInfo] {
        var devices: [USBDeviceInfo] = []
        try forEachDevice { device, descriptor in
            var info = USBDeviceInfo(
                bus: libusb_get_bus_number(device), address: libusb_get_device_address(device),
                vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                deviceClass: descriptor.bDeviceClass)
            var handle: OpaquePointer?
            if libusb_open(device, &handle) == 0, let handle {
                info.manufacturer = readString(handle, descriptor.iManufacturer)
                info.product = readString(handle, descriptor.iProduct)
                info.serialNumber = readString(handle, descriptor.iSerialNumber)
                libusb_close(handle)
            }
            devices.append(info)
        }
        return devices.sorted { ($0.bus, $0.address) < ($1.bus, $1.address) }
    }

    /// Calls `body` with each attached device and its device descriptor; the device is valid
    /// only inside the call (the list is freed afterwards).
    static func forEachDevice(_ body: (OpaquePointer, libusb_device_descriptor) -> Void) throws(DeviceError) {
        let usb = try USBContext.get()
        var listPointer: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(usb.context, &listPointer)
        guard count >= 0, let listPointer else {
            throw DeviceError(.unsupported, "libusb cannot list devices: \(usbErrorName(Int32(count)))")
        }
        defer { libusb_free_device_list(listPointer, 1) }
        for index in 0..<Int(count) {
            guard let device = listPointer[index] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0 else { continue }
            body(device, descriptor)
        }
    }

    static func readString(_ handle: OpaquePointer, _ index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }
}

/// Set when a USB transfer's task is canceled; transfers check it between 100 ms slices.
final class USBCancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isCanceled: Bool { flag.load(ordering: .acquiring) }
    func cancel() { flag.store(true, ordering: .releasing) }
}

/// USB arrivals and departures from libusb's hotplug callbacks. A connection
/// waiting for its USB device to come back reopens as soon as it is plugged
/// in, instead of at its next retry.
enum USBHotplug {
    private struct Registry {
        var started = false
        var nextID: UInt64 = 0
        var subscribers: [UInt64: (vendorID: UInt16, productID: UInt16, continuation: AsyncStream<Void>.Continuation)] = [:]
    }

    private static let registry = Mutex(Registry())

    /// A signal each time a device with these ids arrives or leaves; nil where
    /// libusb cannot start or has no hotplug support on this platform.
    static func changes(of selector: USBDeviceSelector) -> AsyncStream<Void>? {
        guard let usb = try? USBContext.get(), usb.supportsHotplug, start(usb) else { return nil }
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = registry.withLock { registry -> UInt64 in
            defer { registry.nextID += 1 }
            registry.subscribers[registry.nextID] = (selector.vendorID, selector.productID, continuation)
            return registry.nextID
        }
        continuation.onTermination = { _ in _ = registry.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Registers one callback for every device and starts the thread that
    /// lets libusb deliver events. Once per process.
    private static func start(_ usb: USBContext) -> Bool {
        let alreadyStarted = registry.withLock { registry -> Bool in
            defer { registry.started = true }
            return registry.started
        }
        if alreadyStarted { return true }
        let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        var handle: libusb_hotplug_callback_handle = 0
        let status = libusb_hotplug_register_callback(
            usb.context, events, 0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            { _, device, _, _ in
                var descriptor = libusb_device_descriptor()
                if let device, libusb_get_device_descriptor(device, &descriptor) == 0 {
                    USBHotplug.notify(vendorID: descriptor.idVendor, productID: descriptor.idProduct)
                }
                return 0  // keep the callback registered
            },
            nil, &handle)
        guard status == 0 else { return false }
        DispatchQueue(label: "kioskd.usb-hotplug").async {
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            while true { libusb_handle_events_timeout_completed(usb.context, &timeout, nil) }
        }
        return true
    }

    private static func notify(vendorID: UInt16, productID: UInt16) {
        let matching = registry.withLock { registry in
            registry.subscribers.values.filter { $0.vendorID == vendorID && $0.productID == productID }.map(\.continuation)
        }
        for continuation in matching { continuation.yield() }
    }
}
