/// What a device is for. An open set: a driver for a new kind of device adds a
/// static member without breaking callers that switch over the known ones.
///
/// ```swift
/// let kind = DeviceKind.receiptPrinter
/// print(kind.displayName)   // "receipt printer"
/// ```
public struct DeviceKind: Hashable, Sendable, CustomStringConvertible {
    /// The name used in the configuration file and in `/healthz`.
    public let rawValue: String
    /// What a maintainer reads in reports and errors.
    public let displayName: String

    /// Creates a kind; prefer the static members.
    public init(rawValue: String, displayName: String) {
        self.rawValue = rawValue
        self.displayName = displayName
    }

    /// The second-generation resident ID-card reader (GA 467 SAM-V module).
    public static let idCardReader = DeviceKind(rawValue: "idcard_reader", displayName: "ID-card reader")
    /// The 58/80 mm thermal printer that prints receipts (ESC/POS).
    public static let receiptPrinter = DeviceKind(rawValue: "receipt_printer", displayName: "receipt printer")
    /// The A4 printer behind CUPS, for forms an agent prints for signature.
    public static let documentPrinter = DeviceKind(rawValue: "a4_printer", displayName: "A4 printer")
    /// The document scanner behind SANE.
    public static let scanner = DeviceKind(rawValue: "scanner", displayName: "document scanner")

    public var description: String { displayName }
}

/// Which device this is: enough for a maintainer to find it in the cabinet.
///
/// ```swift
/// let reader = DeviceIdentity(kind: .idCardReader, model: "SS628-100",
///                             port: try DevicePort(parsing: "serial:/dev/ttyUSB0"))
/// print(reader)   // "ID-card reader SS628-100 at serial:/dev/ttyUSB0"
/// ```
public struct DeviceIdentity: Hashable, Sendable, CustomStringConvertible {
    /// What the device is for.
    public var kind: DeviceKind
    /// The model, as the configuration names it ("generic" when unknown).
    public var model: String
    /// Where the device is attached.
    public var port: DevicePort

    /// Creates an identity.
    public init(kind: DeviceKind, model: String, port: DevicePort) {
        self.kind = kind
        self.model = model
        self.port = port
    }

    public var description: String { "\(kind.displayName) \(model) at \(port)" }
}
