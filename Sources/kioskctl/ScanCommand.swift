import ArgumentParser
import Drivers
import Foundation
import KioskCore

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan with a SANE scanner directly (when kioskd is stopped) and write the pages.",
        discussion: "SANE_CONFIG_DIR chooses the SANE configuration, as for scanimage. Pages are written as page-N.jpg (grey, colour) or page-N.png (lineart).")

    @Option(help: "The scanner: sane:NAME as `scanimage -L` lists it, e.g. sane:test:0.") var device: String
    @Option(help: "Pages to scan from the feeder (1 scans the glass).") var pages = 1
    @Option(help: "Folder to write the pages to.") var out = "."
    @Option(help: "flatbed or adf (default: flatbed for one page, adf for more).") var source: String?
    @Option(help: "gray, color or lineart.") var mode = "gray"
    @Option(help: "Dots per inch.") var resolution = 300

    func run() async throws {
        guard case .sane(let name) = try parsePort(device) else {
            complain("kioskctl: --device must be sane:NAME, e.g. sane:test:0")
            throw ExitCode(64)
        }
        var settings = ScanSettings()
        settings.resolution = resolution
        settings.maxPages = pages
        guard let scanMode = ScanMode(rawValue: mode) else {
            complain("kioskctl: --mode must be gray, color or lineart")
            throw ExitCode(64)
        }
        settings.mode = scanMode
        guard let scanSource = ScanSource(rawValue: source ?? (pages > 1 ? "adf" : "flatbed")) else {
            complain("kioskctl: --source must be flatbed, adf or duplex")
            throw ExitCode(64)
        }
        settings.source = scanSource
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let scanner = SANEScanner(device: name, logger: PrinterCommand.quiet)
        let interactive = isatty(STDOUT_FILENO) != 0
        let started = ContinuousClock.now
        do {
            let batch = try await scanner.scan(settings) { progress in
                guard interactive, progress.bytesExpected > 0 else { return }
                let percent = progress.bytesRead * 100 / progress.bytesExpected
                FileHandle.standardOutput.write(Data("\rpage \(progress.page): \(percent)%   ".utf8))
            }
            if interactive { print("") }
            for page in batch.pages {
                let path = "\(out)/page-\(page.number).\(page.mediaType == "image/png" ? "png" : "jpg")"
                try Data(page.data).write(to: URL(fileURLWithPath: path))
                print("\(path): \(page.width)×\(page.height) \(page.resolution) dpi \(page.mode.rawValue), \(page.data.count / 1024) KB, scanned in \(page.scanDuration.formatted)" + (page.looksBlank ? "  (looks blank)" : ""))
            }
            print("\(batch.pages.count) page\(batch.pages.count == 1 ? "" : "s") in \((ContinuousClock.now - started).formatted)")
            if let interruption = batch.interruption {
                complain("kioskctl: \(interruption.message)")
                throw ExitCode.failure
            }
        } catch let error as DeviceError {
            complain("kioskctl: \(device): \(error.message)")
            throw ExitCode.failure
        }
    }
}
