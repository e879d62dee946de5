import CLibUSB
import Dispatch
import KioskCore
import Synchronization
import SystemIO

/// A transport over a USB interface's bulk (or interrupt) endpoints, through libusb.
///
/// Opening claims the interface, asking libusb to detach a kernel driver
/// that holds it (`usblp` for printers, `cdc_acm` for some readers) and to
/// reattach it on release. Transfers are synchronous libusb calls on the
/// transport's own queue, in slices of at most 100 ms so a cancel or a
/// close is seen quickly.
// The libusb handle is used only on `io` (libusb handles are thread-safe anyway).
final class USBTransport: ByteTransport, @unchecked Sendable {
    let port: DevicePort
    private let handle: OpaquePointer
    private let interfaceNumber: Int32
    private let inEndpoint: UInt8
    private let outEndpoint: UInt8
    private let inIsInterrupt: Bool
    private let maxPacket: Int
    private let io: DispatchQueue
    private let closed = Atomic<Bool>(false)

    private init(port: DevicePort, handle: OpaquePointer, interface: Int32, endpoints: Endpoints) {
        self.port = port
        self.handle = handle
        self.interfaceNumber = interface
        self.inEndpoint = endpoints.input
        self.outEndpoint = endpoints.output
        self.inIsInterrupt = endpoints.inputIsInterrupt
        self.maxPacket = max(64, endpoints.maxPacket)
        self.io = DispatchQueue(label: "kioskd.transport \(port)")
    }

    deinit {
        if !closed.load(ordering: .acquiring) { release() }
    }

    struct Endpoints {
        var input: UInt8
        var output: UInt8
        var inputIsInterrupt: Bool
        var maxPacket: Int
    }

    static func open(_ selector: USBDeviceSelector) async throws -> USBTransport {
        try await onIOThread { try openNow(selector) }
    }

    private static func openNow(_ selector: USBDeviceSelector) throws -> USBTransport {
        let port = DevicePort.usb(selector)
        var attached = 0
        var opened: [(handle: OpaquePointer, serial: String?)] = []
        var openError: Int32 = 0
        try USBDevices.forEachDevice { device, descriptor in
            guard descriptor.idVendor == selector.vendorID, descriptor.idProduct == selector.productID else { return }
            attached += 1
            var handle: OpaquePointer?
            let status = libusb_open(device, &handle)
            guard status == 0, let handle else {
                openError = status
                return
            }
            opened.append((handle, USBDevices.readString(handle, descriptor.iSerialNumber)))
        }
        guard attached > 0 else {
            throw DeviceError(.noDevice, "no USB device \(selector.ids) is attached: check the cable and the ids (`kioskctl devices --usb` lists what is attached)")
        }
        func closeAll(except keep: OpaquePointer?) {
            for (handle, _) in opened where handle != keep { libusb_close(handle) }
        }
        if opened.isEmpty {
            if openError == Int32(LIBUSB_ERROR_ACCESS.rawValue) {
                throw DeviceError(.permissionDenied, "no permission to open USB device \(selector.ids): install deploy/udev/99-kioskd.rules or run as the kiosk user")
            }
            throw DeviceError(.offline, "cannot open USB device \(selector.ids): \(usbErrorName(openError))")
        }
        let matching = opened.filter { selector.serialNumber == nil || $0.serial == selector.serialNumber }
        guard let chosen = matching.first else {
            closeAll(except: nil)
            let seen = opened.compactMap(\.serial).joined(separator: ", ")
            throw DeviceError(.noDevice, "USB device \(selector.ids) with serial \(selector.serialNumber ?? "") is not attached (attached: \(seen.isEmpty ? "none with a serial number" : seen))")
        }
        if matching.count > 1 {
            closeAll(except: nil)
            throw DeviceError(.unsupported, "\(matching.count) USB devices \(selector.ids) are attached: add ?serial=… to the port string to choose one (`kioskctl devices --usb` shows their serial numbers)")
        }
        closeAll(except: chosen.handle)
        let handle = chosen.handle
        let device: OpaquePointer = libusb_get_device(handle)  // held by the handle after the list is freed

        do {
            let (interface, endpoints) = try findEndpoints(device, selector: selector)
            libusb_set_auto_detach_kernel_driver(handle, 1)
            let claim = libusb_claim_interface(handle, interface)
            guard claim == 0 else {
                if claim == Int32(LIBUSB_ERROR_BUSY.rawValue) {
                    throw DeviceError(.busy, "USB device \(selector.ids) interface \(interface) is claimed by another program (is kioskd running? stop it, or ask it through kioskctl)")
                }
                throw DeviceError(.offline, "cannot claim interface \(interface) of USB device \(selector.ids): \(usbErrorName(claim))")
            }
            return USBTransport(port: port, handle: handle, interface: interface, endpoints: endpoints)
        } catch {
            libusb_close(handle)
            throw error
        }
    }

    private static func findEndpoints(_ device: OpaquePointer, selector: USBDeviceSelector) throws -> (Int32, Endpoints) {
        guard let interfaces = byteInterfaces(of: device) else {
            throw DeviceError(.offline, "USB device \(selector.ids) has no active configuration")
        }
        if let found = interfaces.first(where: { selector.interface == nil || selector.interface == Int($0.number) }) {
            return (found.number, found.endpoints)
        }
        let which = selector.interface.map { "interface \($0)" } ?? "any interface"
        throw DeviceError(.unsupported, "USB device \(selector.ids) has no bulk or interrupt endpoint pair on \(which): is it the right device?")
    }

    /// The interfaces of `device`'s active configuration (first alternate setting each) that have
    /// a bulk or interrupt endpoint pair, with their class; nil without an active configuration.
    static func byteInterfaces(of device: OpaquePointer) -> [(number: Int32, interfaceClass: UInt8, endpoints: Endpoints)]? {
        var configPointer: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(device, &configPointer) == 0, let config = configPointer else { return nil }
        defer { libusb_free_config_descriptor(config) }
        var found: [(number: Int32, interfaceClass: UInt8, endpoints: Endpoints)] = []
        for index in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[index]
            guard interface.num_altsetting > 0 else { continue }
            let setting = interface.altsetting[0]
            if let endpoints = Endpoints(of: setting) {
                found.append((Int32(setting.bInterfaceNumber), setting.bInterfaceClass, endpoints))
            }
        }
        return found
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try await blocking { token in
            var offset = 0
            while offset < bytes.count {
                try self.check(token, deadline: deadline, what: "write")
                var chunk = Array(bytes[offset...])
                var transferred: Int32 = 0
                let status = libusb_bulk_transfer(self.handle, self.outEndpoint, &chunk, Int32(chunk.count), &transferred, self.slice(deadline))
                offset += Int(transferred)
                if status != 0, status != Int32(LIBUSB_ERROR_TIMEOUT.rawValue) { throw self.lost(status) }
            }
        }
    }

    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        try await blocking { token in
            // Ask for whole packets: a short buffer would overflow on a full packet.
            let size = max(maxCount, self.maxPacket)
            var buffer = [UInt8](repeating: 0, count: size)
            while true {
                try self.check(token, deadline: deadline, what: "read")
                var transferred: Int32 = 0
                let status = self.inIsInterrupt
                    ? libusb_interrupt_transfer(self.handle, self.inEndpoint, &buffer, Int32(size), &transferred, self.slice(deadline))
                    : libusb_bulk_transfer(self.handle, self.inEndpoint, &buffer, Int32(size), &transferred, self.slice(deadline))
                if transferred > 0 { return Array(buffer[0..<min(Int(transferred), maxCount)]) }
                if status != 0, status != Int32(LIBUSB_ERROR_TIMEOUT.rawValue) { throw self.lost(status) }
            }
        }
    }

    func flushInput() async throws {
        try await blocking { _ in
            var buffer = [UInt8](repeating: 0, count: self.maxPacket)
            var transferred: Int32 = 0
            for _ in 0..<64 {
                let status = libusb_bulk_transfer(self.handle, self.inEndpoint, &buffer, Int32(buffer.count), &transferred, 1)
                if status != 0 || transferred == 0 { return }
            }
        }
    }

    func isConnected() async -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        return (try? await blocking { _ in
            var configuration: Int32 = 0
            return libusb_get_configuration(self.handle, &configuration) != Int32(LIBUSB_ERROR_NO_DEVICE.rawValue)
        }) ?? false
    }

    /// Waits for a transfer in flight to end (at most one 100 ms slice), so the interface is
    /// released and its kernel driver given back before a short-lived kioskctl exits.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        io.sync { self.release() }
    }

    private func release() {
        libusb_release_interface(handle, interfaceNumber)
        libusb_close(handle)
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable (USBCancelFlag) throws -> T) async throws -> T {
        let token = USBCancelFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                io.async {
                    continuation.resume(with: Result {
                        // The handle is freed once closed: nothing queued behind the close may use it.
                        if self.closed.load(ordering: .acquiring) { throw DeviceError(.disconnected, "\(self.port) was closed") }
                        return try body(token)
                    })
                }
            }
        } onCancel: {
            token.cancel()
        }
    }

    private func check(_ token: USBCancelFlag, deadline: ContinuousClock.Instant, what: String) throws {
        if token.isCanceled { throw DeviceError(.canceled, "\(what) on \(port) was canceled") }
        if closed.load(ordering: .acquiring) { throw DeviceError(.disconnected, "\(port) was closed") }
        if ContinuousClock.now >= deadline { throw DeviceError(.timedOut, "no \(what) on \(port) before the deadline") }
    }

    /// A libusb timeout (ms) of at most 100 ms, never 0 (which libusb reads as "forever").
    private func slice(_ deadline: ContinuousClock.Instant) -> UInt32 {
        UInt32(max(1, min(100, milliseconds(until: deadline))))
    }

    private func lost(_ status: Int32) -> DeviceError {
        if status == Int32(LIBUSB_ERROR_NO_DEVICE.rawValue) {
            return DeviceError(.disconnected, "USB device \(port) was unplugged: kioskd reconnects when it is back")
        }
        return DeviceError(.disconnected, "USB transfer on \(port) failed: \(usbErrorName(status))")
    }
}

// In an extension, so the memberwise initializer stays.
extension USBTransport.Endpoints {
    /// The interface setting's first bulk or interrupt endpoint each way; nil without a pair.
    init?(of setting: libusb_interface_descriptor) {
        var input: (UInt8, Bool, Int)?
        var output: UInt8?
        for e in 0..<Int(setting.bNumEndpoints) {
            let endpoint = setting.endpoint[e]
            let type = endpoint.bmAttributes & 0x03
            guard type == 2 || type == 3 else { continue }  // bulk or interrupt
            if endpoint.bEndpointAddress & 0x80 != 0 {
                if input == nil { input = (endpoint.bEndpointAddress, type == 3, Int(endpoint.wMaxPacketSize)) }
            } else if output == nil {
                output = endpoint.bEndpointAddress
            }
        }
        guard let input, let output else { return nil }
        self.init(input: input.0, output: output, inputIsInterrupt: input.1, maxPacket: input.2)
    }
}
