import KioskCore
import Testing

@Suite("Status changes")
struct StatusBroadcasterTests {
    @Test("a subscriber gets the current status, then each change once, and no repeats")
    func changesOnly() async {
        let status = StatusBroadcaster(DeviceStatus(.noDevice))
        let stream = status.changes()
        #expect(status.update(.online))
        #expect(!status.update(.online))
        #expect(status.update(DeviceStatus(.userError, conditions: [.paperOut], message: "paper out")))
        status.finish()
        var seen: [DeviceState] = []
        for await change in stream { seen.append(change.state) }
        #expect(seen == [.noDevice, .online, .userError])
    }

    @Test("a health report reads as a maintainer expects")
    func healthReport() throws {
        let identity = DeviceIdentity(kind: .idCardReader, model: "SS628", port: try DevicePort(parsing: "serial:/dev/ttyUSB0"))
        let report = HealthReport(device: identity, level: .external, items: [
            .init("port open", .failed, "nothing is attached at /dev/ttyUSB0: check that the device is plugged in"),
        ])
        #expect(report.outcome == .failed)
        #expect(report.description == """
            ID-card reader SS628 at serial:/dev/ttyUSB0 — external check: FAILED
              ✗ port open: nothing is attached at /dev/ttyUSB0: check that the device is plugged in
            """)
    }
}
