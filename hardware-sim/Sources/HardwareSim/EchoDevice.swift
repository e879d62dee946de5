/// A device that sends back every byte it receives: a loopback plug for
/// testing a cable, a port string or a transport.
public struct EchoDevice: SimulatedDevice {
    /// Creates the device.
    public init() {}

    public func received(_ bytes: [UInt8], from host: HostLink) async {
        await host.send(bytes)
    }
}

/// A device that takes bytes and answers nothing: it holds a port for a
/// device kind whose protocol simulator does not exist yet, so the driver
/// side still sees the port come and go.
public struct SilentDevice: SimulatedDevice {
    /// Creates the device.
    public init() {}

    public func received(_ bytes: [UInt8], from host: HostLink) async {}
}
