import Drivers
import Foundation
import KioskCore
import Logging
import Testing

/// Against SANE's real `test` backend through libsane.
@Suite("Scanning through libsane with SANE's test backend", .serialized, .timeLimit(.minutes(3)))
struct SANETestBackendTests {
    init() { SANEFixture.configure() }

    /// One scanner object for the device, as kioskd has: SANE's test backend,
    /// like a real scanner, lets one handle open it at a time.
    static let shared = SANEScanner(device: "test:0", logger: Logger(label: "test"))

    func scanner() -> SANEScanner { Self.shared }

    func settings(_ source: ScanSource = .flatbed, mode: ScanMode = .gray, resolution: Int = 100, picture: String = "Grid", extra: [String: String] = [:]) -> ScanSettings {
        var settings = ScanSettings()
        settings.source = source
        settings.mode = mode
        settings.resolution = resolution
        settings.areaMillimetres = (100, 100)
        settings.extraOptions = ["test-picture": picture, "read-return-value": "Default"].merging(extra) { $1 }
        return settings
    }

    @Test("SANE lists the test backend's scanners")
    func devices() async throws {
        let devices = try await SANEScanner.devices()
        #expect(devices.contains { $0.name == "test:0" }, "\(devices)")
    }

    @Test("one page from the glass: grey JPEG of the right size, not blank; progress reaches the end")
    func onePage() async throws {
        let progress = ProgressLog()
        let batch = try await scanner().scan(settings()) { progress.append($0) }
        #expect(batch.pages.count == 1)
        #expect(batch.interruption == nil)
        let page = try #require(batch.pages.first)
        #expect(page.mediaType == "image/jpeg")
        #expect(Array(page.data.prefix(3)) == [0xFF, 0xD8, 0xFF])
        #expect(abs(page.width - 394) <= 2)  // 100 mm at 100 dpi
        #expect(abs(page.height - 394) <= 2)
        #expect(!page.looksBlank)
        let last = try #require(progress.entries.last)
        #expect(last.bytesRead == last.bytesExpected && last.bytesRead > 0)
    }

    @Test("a blank sheet is flagged; lineart comes out as PNG")
    func blankAndLineart() async throws {
        let device = scanner()
        let white = try await device.scan(settings(picture: "Solid white"))
        #expect(white.pages.first?.looksBlank == true)
        let lineart = try await device.scan(settings(mode: .lineart))
        #expect(lineart.pages.first?.mediaType == "image/png")
        #expect(lineart.pages.first?.looksBlank == false)
        let color = try await device.scan(settings(mode: .color, picture: "Color pattern"))
        #expect(color.pages.first?.mode == .color)
    }

    @Test("a 10-page feeder batch ends with 'no more documents' as its normal end")
    func feederBatch() async throws {
        let device = scanner()
        let batch = try await device.scan(settings(.adf, resolution: 50))
        #expect(batch.pages.count == 10)
        #expect(batch.interruption == nil)
        #expect(batch.pages.map(\.number) == Array(1...10))
    }

    @Test("each fault gives its typed error with what to do, and the scanner works for the next scan", arguments: [
        ("SANE_STATUS_JAMMED", DeviceError.Code.userError, "paper jammed: open the cover"),
        ("SANE_STATUS_NO_DOCS", .userError, "no pages in the feeder"),
        ("SANE_STATUS_COVER_OPEN", .userError, "cover is open: close it"),
        ("SANE_STATUS_IO_ERROR", .hardwareError, "check the cable"),
    ])
    func faults(_ value: String, _ code: DeviceError.Code, _ message: String) async throws {
        let device = scanner()
        do {
            _ = try await device.scan(settings(extra: ["read-return-value": value]))
            Issue.record("\(value) scanned a page")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(message), "\(error.message)")
            // What a resident can fix is said to them; a fault is for the station agent.
            #expect((error.resident != nil) == (code == .userError), "\(String(describing: error.resident))")
        }
        let next = try await device.scan(settings())
        #expect(next.pages.count == 1)
    }

    @Test("cancel mid-page completes as canceled within 1 s, and the next scan works")
    func cancelMidPage() async throws {
        let device = scanner()
        let progress = ProgressLog()
        // A slow page: 1 KB a read, 100 ms a read.
        let slow = settings(extra: ["read-limit": "yes", "read-limit-size": "1024", "read-delay": "yes", "read-delay-duration": "100000"])
        let scanning = Task { try await device.scan(slow) { progress.append($0) } }
        #expect(await eventually(within: .seconds(10)) { !progress.entries.isEmpty || device.status.state == .busy })
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        scanning.cancel()
        let result = await scanning.result
        #expect(clock.now - start < .seconds(1))
        guard case .failure(let error as DeviceError) = result else {
            Issue.record("the canceled scan ended \(result)")
            return
        }
        #expect(error.code == .canceled)
        let next = try await device.scan(settings())
        #expect(next.pages.count == 1)
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [ScanProgress] = []
    func append(_ entry: ScanProgress) { lock.withLock { list.append(entry) } }
    var entries: [ScanProgress] { lock.withLock { list } }
}
