import Foundation
import HardwareSim
import KioskCore
import Synchronization
@_exported import TestSupport

/// A simulated device that records what it receives and answers each read
/// with a fixed reply, so a test can check both directions separately.
final class RecordingDevice: SimulatedDevice {
    private let received = Mutex<[UInt8]>([])
    let reply: [UInt8]

    init(reply: [UInt8]) { self.reply = reply }

    var bytes: [UInt8] { received.withLock { $0 } }

    func received(_ bytes: [UInt8], from host: HostLink) async {
        received.withLock { $0 += bytes }
        if !reply.isEmpty { await host.send(reply) }
    }
}

/// Runs a simulated device on `wire` for the duration of `body`.
func serving<T>(_ device: any SimulatedDevice, on wire: any DeviceWire, _ body: () async throws -> T) async rethrows -> T {
    let task = Task { await wire.serve(device) }
    defer {
        wire.stop()
        task.cancel()
    }
    return try await body()
}
