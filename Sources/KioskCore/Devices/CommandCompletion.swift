/// How a device command ended. Every command ends in exactly one of these.
public enum CommandCompletion<Value: Sendable>: Sendable {
    /// The command did what it was asked.
    case success(Value)
    /// Somebody canceled it, queued or running.
    case canceled
    /// It ran past its timeout.
    case timedOut(after: Duration)
    /// The device or the driver failed; the error says what to do.
    case failed(DeviceError)

    /// The value, or the ending as a ``DeviceError``.
    public func get() throws(DeviceError) -> Value {
        switch self {
        case .success(let value): return value
        case .canceled: throw DeviceError(.canceled, "the command was canceled")
        case .timedOut(let after): throw DeviceError(.timedOut, "the device did not finish within \(after.formatted)")
        case .failed(let error): throw error
        }
    }

    /// A short name of the ending: `success`, `canceled`, `timed_out` or the error code.
    public var outcome: String {
        switch self {
        case .success: "success"
        case .canceled: "canceled"
        case .timedOut: "timed_out"
        case .failed(let error): error.code.rawValue
        }
    }
}

extension Duration {
    /// The duration in seconds, for settings and figures kept as Double.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// `1.5 s`, `250 ms`: for messages a maintainer reads.
    public var formatted: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}
