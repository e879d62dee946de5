import Foundation
import HardwareSim
import KioskCore
import Synchronization

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

/// A fresh folder under the system's temporary directory.
func temporaryDirectory(_ name: String = #function) -> String {
    let base = FileManager.default.temporaryDirectory.path + "/kioskd-tests"
    let path = base + "/" + name.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString.prefix(8)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Waits up to `timeout` for `condition`, checking every 10 ms.
func eventually(within timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
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
