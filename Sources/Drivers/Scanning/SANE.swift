import CSane
import Dispatch
import KioskCore
import Synchronization

/// The process's SANE library. SANE backends are not promised to be
/// thread-safe, so every call (but `sane_cancel`, which the standard allows
/// from anywhere) runs on one serial queue, off Swift's cooperative threads.
/// `SANE_CONFIG_DIR` is read once, at the first call.
final class SANELibrary: Sendable {
    static let shared = SANELibrary()

    private let queue = DispatchQueue(label: "kioskd.sane")
    private let initialized = Mutex(false)

    /// Runs `body` on the SANE queue, initialising SANE first if needed.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let ready = self.initialized.withLock { initialized -> Bool in
                    if initialized { return true }
                    var version: SANE_Int = 0
                    initialized = sane_init(&version, nil) == SANE_STATUS_GOOD
                    return initialized
                }
                guard ready else {
                    continuation.resume(throwing: DeviceError(.unsupported, "SANE could not start: is libsane installed?"))
                    return
                }
                continuation.resume(with: Result { try body() })
            }
        }
    }
}

/// A scanner SANE knows.
public struct SANEDeviceInfo: Sendable, Hashable {
    /// The device name, as `sane:NAME` ports and `scanimage -d` take it.
    public var name: String
    public var vendor: String
    public var model: String
    public var type: String
}

/// SANE statuses as typed errors, each with what a maintainer can do and,
/// when a resident can do something about it, the phrase that tells them.
enum SANEError {
    static func error(_ status: SANE_Status, doing what: String) -> DeviceError {
        switch status.rawValue {
        case SANE_STATUS_CANCELLED.rawValue: DeviceError(.canceled, "the scan was canceled")
        case SANE_STATUS_DEVICE_BUSY.rawValue: DeviceError(.busy, "the scanner is busy: wait a moment and try again", resident: .scannerBusy)
        case SANE_STATUS_JAMMED.rawValue: DeviceError(.userError, "paper jammed: open the cover and take the sheet out", resident: .scannerJammed)
        case SANE_STATUS_NO_DOCS.rawValue: DeviceError(.userError, "no pages in the feeder: put them in face down", resident: .scannerEmpty)
        case SANE_STATUS_COVER_OPEN.rawValue: DeviceError(.userError, "the scanner's cover is open: close it", resident: .scannerCoverOpen)
        case SANE_STATUS_IO_ERROR.rawValue: DeviceError(.hardwareError, "communication with the scanner failed while \(what): check the cable, then try again")
        case SANE_STATUS_NO_MEM.rawValue: DeviceError(.hardwareError, "the scanner ran out of memory while \(what): use a lower resolution or fewer pages")
        case SANE_STATUS_ACCESS_DENIED.rawValue: DeviceError(.permissionDenied, "access to the scanner was denied: add the kiosk user to the scanner group (deploy/udev/99-kioskd.rules)")
        case SANE_STATUS_INVAL.rawValue: DeviceError(.unsupported, "the scanner refused a setting while \(what)")
        case SANE_STATUS_UNSUPPORTED.rawValue: DeviceError(.unsupported, "the scanner does not support \(what)")
        case 12: DeviceError(.busy, "the scanner is warming up: wait a few seconds", resident: .scannerWarmingUp)
        case 13: DeviceError(.userError, "the scanner's transport lock is closed: unlock it")
        default: DeviceError(.hardwareError, "SANE reported \(String(cString: sane_strstatus(status))) while \(what)")
        }
    }
}

/// One open SANE device. All methods must run on the SANE queue.
final class SANEHandle: @unchecked Sendable {  // used only on SANELibrary's queue; cancel is async-safe
    let handle: SANE_Handle
    let name: String

    init(opening name: String) throws {
        var handle: SANE_Handle?
        let status = sane_open(name, &handle)
        guard status == SANE_STATUS_GOOD, let handle else {
            if status == SANE_STATUS_INVAL {
                throw DeviceError(.noDevice, "SANE has no scanner \(name): `scanimage -L` lists the scanners; fix devices.scanner.port")
            }
            throw SANEError.error(status, doing: "opening \(name)")
        }
        self.handle = handle
        self.name = name
    }

    func close() { sane_close(handle) }

    /// `sane_cancel` is allowed at any time, from any thread.
    func cancel() { sane_cancel(handle) }

    static func devices() -> [SANEDeviceInfo] {
        var list: UnsafeMutablePointer<UnsafePointer<SANE_Device>?>?
        guard sane_get_devices(&list, SANE_FALSE) == SANE_STATUS_GOOD, let list else { return [] }
        var devices: [SANEDeviceInfo] = []
        var index = 0
        while let device = list[index] {
            devices.append(SANEDeviceInfo(
                name: String(cString: device.pointee.name), vendor: String(cString: device.pointee.vendor),
                model: String(cString: device.pointee.model), type: String(cString: device.pointee.type)))
            index += 1
        }
        return devices
    }

    // MARK: Options

    private func option(named wanted: String) -> (Int32, UnsafePointer<SANE_Option_Descriptor>)? {
        var count: SANE_Int = 0
        guard sane_control_option(handle, 0, SANE_ACTION_GET_VALUE, &count, nil) == SANE_STATUS_GOOD else { return nil }
        for index in 1..<max(1, count) {
            guard let descriptor = sane_get_option_descriptor(handle, index), let name = descriptor.pointee.name else { continue }
            if String(cString: name) == wanted { return (index, descriptor) }
        }
        return nil
    }

    /// Whether the option exists and is settable now.
    func has(_ name: String) -> Bool {
        guard let (_, descriptor) = option(named: name) else { return false }
        let capabilities = descriptor.pointee.cap
        return capabilities & SANE_CAP_SOFT_SELECT != 0 && capabilities & SANE_CAP_INACTIVE == 0
    }

    /// The allowed strings of a string option.
    func choices(_ name: String) -> [String] {
        guard let (_, descriptor) = option(named: name), descriptor.pointee.constraint_type == SANE_CONSTRAINT_STRING_LIST,
              let list = descriptor.pointee.constraint.string_list else { return [] }
        var result: [String] = []
        var index = 0
        while let item = list[index] {
            result.append(String(cString: item))
            index += 1
        }
        return result
    }

    /// Sets a string option.
    func set(_ name: String, string value: String) throws {
        guard let (index, descriptor) = option(named: name) else { throw DeviceError(.unsupported, "the scanner has no option \(name)") }
        var buffer = [CChar](repeating: 0, count: max(Int(descriptor.pointee.size), value.utf8.count + 1))
        for (offset, byte) in value.utf8.enumerated() { buffer[offset] = CChar(bitPattern: byte) }
        let status = sane_control_option(handle, index, SANE_ACTION_SET_VALUE, &buffer, nil)
        guard status == SANE_STATUS_GOOD else { throw SANEError.error(status, doing: "setting \(name) to \(value)") }
    }

    /// Sets a numeric option (int or fixed-point; a word list picks the nearest allowed value).
    func set(_ name: String, number value: Double) throws {
        guard let (index, descriptor) = option(named: name) else { throw DeviceError(.unsupported, "the scanner has no option \(name)") }
        let isFixed = descriptor.pointee.type == SANE_TYPE_FIXED
        var word: SANE_Word = isFixed ? SANE_Word(value * 65536) : SANE_Word(value.rounded())
        if descriptor.pointee.constraint_type == SANE_CONSTRAINT_WORD_LIST, let list = descriptor.pointee.constraint.word_list {
            let allowed = (0..<Int(list[0])).map { list[$0 + 1] }
            if let nearest = allowed.min(by: { abs($0 - word) < abs($1 - word) }) { word = nearest }
        }
        if descriptor.pointee.type == SANE_TYPE_BOOL { word = value != 0 ? SANE_TRUE : SANE_FALSE }
        let status = sane_control_option(handle, index, SANE_ACTION_SET_VALUE, &word, nil)
        guard status == SANE_STATUS_GOOD else { throw SANEError.error(status, doing: "setting \(name) to \(value)") }
    }

    /// Sets an option given as text: a number for numeric options, the string otherwise.
    func set(_ name: String, _ value: String) throws {
        guard let (_, descriptor) = option(named: name) else { throw DeviceError(.unsupported, "the scanner has no option \(name)") }
        switch descriptor.pointee.type {
        case SANE_TYPE_INT, SANE_TYPE_FIXED:
            guard let number = Double(value) else { throw DeviceError(.unsupported, "option \(name) takes a number, not \(value)") }
            try set(name, number: number)
        case SANE_TYPE_BOOL:
            try set(name, number: ["yes", "true", "1"].contains(value.lowercased()) ? 1 : 0)
        default:
            try set(name, string: value)
        }
    }

    // MARK: Frames

    struct Parameters {
        var format: SANE_Frame
        var lastFrame: Bool
        var bytesPerLine: Int
        var pixelsPerLine: Int
        var lines: Int
        var depth: Int
    }

    func start() -> SANE_Status { sane_start(handle) }

    func parameters() throws -> Parameters {
        var parameters = SANE_Parameters()
        let status = sane_get_parameters(handle, &parameters)
        guard status == SANE_STATUS_GOOD else { throw SANEError.error(status, doing: "reading the page size") }
        return Parameters(format: parameters.format, lastFrame: parameters.last_frame != 0, bytesPerLine: Int(parameters.bytes_per_line),
                          pixelsPerLine: Int(parameters.pixels_per_line), lines: Int(parameters.lines), depth: Int(parameters.depth))
    }

    /// Reads up to `buffer.count` bytes; the status says whether there is more.
    func read(into buffer: inout [UInt8]) -> (SANE_Status, Int) {
        var length: SANE_Int = 0
        let status = buffer.withUnsafeMutableBufferPointer { sane_read(handle, $0.baseAddress, SANE_Int($0.count), &length) }
        return (status, Int(length))
    }
}
