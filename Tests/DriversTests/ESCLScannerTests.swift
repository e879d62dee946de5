import Drivers
import Foundation
import HardwareSim
import KioskCore
import Logging
import Testing

/// Through real libsane and Debian's sane-airscan backend, against the eSCL
/// simulator: the code path of a station's network scanner.
@Suite("Scanning through sane-airscan against the eSCL simulator", .serialized, .timeLimit(.minutes(3)))
struct ESCLScannerTests {
    static let shared = SANEScanner(device: SANEFixture.esclDevice, logger: Logger(label: "test"))
    let escl = SANEFixture.escl

    func settings(_ source: ScanSource, resolution: Int = 300) -> ScanSettings {
        var settings = ScanSettings()
        settings.source = source
        settings.mode = .gray
        settings.resolution = resolution
        return settings
    }

    init() {
        escl.control(clear: ())
        escl.loadFeeder(3)
    }

    @Test("sane-airscan lists the simulated scanner")
    func listed() async throws {
        _ = escl
        let devices = try await SANEScanner.devices()
        #expect(devices.contains { $0.name == SANEFixture.esclDevice }, "\(devices.map(\.name))")
    }

    @Test("a 3-page feeder job: three 300 dpi grey A4 pages, each a JPEG under 500 KB, none blank")
    func threePages() async throws {
        let batch = try await Self.shared.scan(settings(.adf))
        #expect(batch.interruption == nil)
        #expect(batch.pages.count == 3)
        for page in batch.pages {
            #expect(page.mediaType == "image/jpeg")
            #expect(abs(page.width - 2480) <= 4 && abs(page.height - 3508) <= 4, "\(page.width)×\(page.height)")
            #expect(page.data.count < 500 * 1024, "page \(page.number) is \(page.data.count / 1024) KB")
            #expect(!page.looksBlank)
        }
        #expect(escl.feederPages == 0)
    }

    @Test("a jam on page 2 keeps page 1 and tells the resident to feed page 2 again; after clearing, the scan works")
    func jamMidBatch() async throws {
        escl.jam(atPage: 2)
        let batch = try await Self.shared.scan(settings(.adf, resolution: 150))
        #expect(batch.pages.map(\.number) == [1])
        #expect(batch.refeedFrom == 2)
        let interruption = try #require(batch.interruption)
        #expect(interruption.code == .userError)
        #expect(interruption.message.contains("paper jammed: open the cover"))
        #expect(interruption.message.contains("page 1 was scanned and kept: feed page 2 and the rest again"))
        escl.loadFeeder(2)
        let retry = try await Self.shared.scan(settings(.adf, resolution: 150))
        #expect(retry.pages.count == 2)
    }

    @Test("an empty feeder, an open cover and an aborted job each give a typed error; the next scan works", arguments: ["empty", "cover", "abort"])
    func faults(_ fault: String) async throws {
        switch fault {
        case "empty": escl.loadFeeder(0)
        case "cover": escl.cover(open: true)
        default: escl.abortNext()
        }
        do {
            _ = try await Self.shared.scan(settings(.adf, resolution: 75))
            Issue.record("\(fault): pages were scanned")
        } catch {
            switch fault {
            case "empty": #expect(error.message.contains("no pages in the feeder"), "\(error.message)")
            case "cover": #expect(error.message.contains("cover is open: close it"), "\(error.message)")
            default:
                #expect(error.code == .hardwareError, "\(error.message)")
                #expect(error.message.contains("check the cable"))
            }
        }
        escl.cover(open: false)
        escl.loadFeeder(1)
        #expect(try await Self.shared.scan(settings(.adf, resolution: 75)).pages.count == 1)
    }

    @Test("slow pages still arrive; a dropped connection is a typed error and the next scan works")
    func slowAndDropped() async throws {
        escl.slow(.milliseconds(400))
        #expect(try await Self.shared.scan(settings(.flatbed, resolution: 75)).pages.count == 1)
        escl.slow(.zero)
        escl.dropNext()
        await #expect(throws: DeviceError.self) { _ = try await Self.shared.scan(settings(.flatbed, resolution: 75)) }
        #expect(try await Self.shared.scan(settings(.flatbed, resolution: 75)).pages.count == 1)
    }
}

extension ESCLScannerSimulator {
    /// Clears every armed fault.
    func control(clear: Void) {
        let scanner = self
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            _ = await scanner.control(["clear"])
            done.signal()
        }
        done.wait()
    }
}
