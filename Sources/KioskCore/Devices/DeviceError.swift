/// A typed device failure. The message says what happened and what to do
/// ("receipt printer cover is open: close it and press Retry"), never "error 5".
///
/// New codes are static members of ``Code``, so adding one does not break
/// callers (the style of swift-service-lifecycle's errors).
///
/// ```swift
/// throw DeviceError(.noDevice, "no ID-card reader at serial:/dev/ttyUSB0: check the cable")
/// ```
public struct DeviceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of failure, for code that reacts to it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable name, used in logs and `/healthz`.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }

        /// Nothing is attached at the port.
        public static let noDevice = Code("no_device")
        /// The device went away during the command (unplug, EOF, I/O error).
        public static let disconnected = Code("disconnected")
        /// Something is at the port but does not answer or refuses the connection.
        public static let offline = Code("offline")
        /// The command took longer than its timeout.
        public static let timedOut = Code("timed_out")
        /// The command was canceled.
        public static let canceled = Code("canceled")
        /// The port is held by another program.
        public static let busy = Code("busy")
        /// The operating system refused access to the port.
        public static let permissionDenied = Code("permission_denied")
        /// The device sent bytes that break its protocol.
        public static let protocolError = Code("protocol_error")
        /// The device reports a fault that needs a maintainer.
        public static let hardwareError = Code("hardware_error")
        /// The device needs something a resident or agent can do.
        public static let userError = Code("user_error")
        /// The request would do something twice that must happen once (a second print of a receipt).
        public static let refused = Code("refused")
        /// The configuration asks for something this build cannot do.
        public static let unsupported = Code("unsupported")
        /// The device is being shut down with kioskd.
        public static let shuttingDown = Code("shutting_down")
        /// A bug in kioskd; the message carries the underlying error.
        public static let internalError = Code("internal_error")

        public var description: String { rawValue }
    }

    /// The category.
    public var code: Code
    /// What happened and what to do, for a maintainer (in logs, kioskctl, /healthz).
    public var message: String
    /// What to tell a resident, when it is something they can act on (a jam,
    /// an empty feeder); nil leaves it to the session to say the device has a fault.
    public var resident: Phrase?

    /// Creates an error.
    public init(_ code: Code, _ message: String, resident: Phrase? = nil) {
        self.code = code
        self.message = message
        self.resident = resident
    }

    public var description: String { message }

    /// The device state this failure leaves the device in, when it says anything about it.
    public var impliedState: DeviceState? {
        switch code {
        case .noDevice, .disconnected: .noDevice
        case .offline, .permissionDenied, .busy: .offline
        case .hardwareError: .hardwareError
        case .userError: .userError
        default: nil
        }
    }
}
