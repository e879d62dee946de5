import CSane
import Foundation
import KioskCore
import Logging
import Synchronization

/// How to scan.
public struct ScanSettings: Sendable, Hashable {
    /// Dots per inch (300 for documents).
    public var resolution = 300
    /// Lineart, grey or colour.
    public var mode = ScanMode.gray
    /// Glass or feeder.
    public var source = ScanSource.flatbed
    /// The area in millimetres from the top-left corner; nil for the scanner's default.
    public var areaMillimetres: (width: Double, height: Double)?
    /// At most this many pages from the feeder.
    public var maxPages = 50
    /// Further SANE options by name (backend-specific: tests set the test backend's faults this way).
    public var extraOptions: [String: String] = [:]

    /// Grey, 300 dpi, flatbed.
    public init() {}

    public static func == (lhs: ScanSettings, rhs: ScanSettings) -> Bool {
        lhs.resolution == rhs.resolution && lhs.mode == rhs.mode && lhs.source == rhs.source && lhs.maxPages == rhs.maxPages
            && lhs.areaMillimetres?.width == rhs.areaMillimetres?.width && lhs.areaMillimetres?.height == rhs.areaMillimetres?.height
            && lhs.extraOptions == rhs.extraOptions
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(resolution)
        hasher.combine(mode)
        hasher.combine(source)
    }
}

/// Progress of a scan: which page, and how far into it.
public struct ScanProgress: Sendable, Hashable {
    /// 1-based page number.
    public var page: Int
    /// Bytes read of the page.
    public var bytesRead: Int
    /// Bytes the page will have, when the scanner knows (-1 when it does not).
    public var bytesExpected: Int
}

/// What a scan produced. A fault part-way through a feeder batch keeps the
/// pages before it and says which page to feed again.
public struct ScanBatch: Sendable {
    /// The pages scanned, in order.
    public var pages: [ScannedPage]
    /// Why the batch stopped early, if it did.
    public var interruption: DeviceError?
    /// The page to feed again after an interruption (1-based).
    public var refeedFrom: Int?
}

/// A document scanner driven through libsane (`sane:DEVICE` ports): the
/// station's real scanner, SANE's `test` backend, or an eSCL scanner through
/// sane-airscan.
public final class SANEScanner: Device {
    public let identity: DeviceIdentity
    /// The SANE device name.
    public let deviceName: String
    private let broadcaster = StatusBroadcaster(DeviceStatus(.noDevice, message: "not opened yet"))
    private let commands: DeviceCommandQueue
    private let logger: Logger
    private let stopped = Mutex(false)
    private let checkInterval: Duration

    /// Creates a scanner for the SANE device `name` (e.g. `test:0`).
    public init(device name: String, model: String = "SANE", checkInterval: Duration = .seconds(30), logger: Logger = Logger(label: "kioskd.scanner")) {
        deviceName = name
        identity = DeviceIdentity(kind: .scanner, model: model, port: .sane(device: name))
        commands = DeviceCommandQueue(device: "document scanner")
        self.checkInterval = checkInterval
        var logger = logger
        logger[metadataKey: "device"] = "scanner"
        self.logger = logger
    }

    public var status: DeviceStatus { broadcaster.current }
    public func statusChanges() -> AsyncStream<DeviceStatus> { broadcaster.changes() }

    /// The scanners SANE knows (backends in `SANE_CONFIG_DIR`'s dll.conf).
    public static func devices() async throws -> [SANEDeviceInfo] {
        try await SANELibrary.shared.run { SANEHandle.devices() }
    }

    /// Between jobs, checks now and then that SANE still lists the scanner.
    public func run() async {
        while !Task.isCancelled, !stopped.withLock({ $0 }) {
            _ = await commands.run("check", timeout: .seconds(30)) { await self.checkPresence() }
            try? await Task.sleep(for: checkInterval)
        }
    }

    public func shutdown(grace: Duration) async {
        stopped.withLock { $0 = true }
        await commands.shutdown(grace: grace)
        broadcaster.update(DeviceStatus(.offline, message: "kioskd stopped"))
        broadcaster.finish()
    }

    private func checkPresence() async {
        let name = deviceName
        guard broadcaster.current.state != .busy else { return }
        let listed = (try? await SANELibrary.shared.run { SANEHandle.devices().contains { $0.name == name } }) ?? false
        // Backends that list nothing until asked by name (airscan's manual devices are listed) still open.
        if listed {
            if broadcaster.current.state == .noDevice || broadcaster.current.message == "not opened yet" { broadcaster.update(.online) }
        } else if let opened = try? await open() {
            _ = try? await SANELibrary.shared.run { opened.close() }
            broadcaster.update(.online)
        }
    }

    /// Opens the device for one job (as scanimage does: each batch starts
    /// from the scanner's fresh state), publishing why when it cannot.
    private func open() async throws -> SANEHandle {
        let name = deviceName
        do {
            return try await SANELibrary.shared.run { try SANEHandle(opening: name) }
        } catch let error as DeviceError {
            broadcaster.update(DeviceStatus(error.impliedState ?? .offline, message: error.message))
            throw error
        }
    }

    // MARK: Scanning

    /// Scans one page from the glass, or every page in the feeder. Cancel the
    /// calling task to stop mid-page: it ends as `canceled` within a read.
    public func scan(_ settings: ScanSettings, progress: @escaping @Sendable (ScanProgress) -> Void = { _ in }) async throws(DeviceError) -> ScanBatch {
        let completion = await commands.run("scan", timeout: .seconds(120) * Double(settings.source == .flatbed ? 1 : settings.maxPages)) {
            try await self.scanBatch(settings, progress: progress)
        }
        return try completion.get()
    }

    private func scanBatch(_ settings: ScanSettings, progress: @escaping @Sendable (ScanProgress) -> Void) async throws -> ScanBatch {
        let device = try await open()
        broadcaster.update(DeviceStatus(.busy, message: "scanning"))
        do {
            let batch = try await scanPages(device, settings, progress: progress)
            _ = try? await SANELibrary.shared.run { device.close() }
            broadcaster.update(.online)
            return batch
        } catch {
            // Closed before the next job can open it, canceled or not.
            _ = try? await SANELibrary.shared.run { device.close() }
            let failure = error as? DeviceError
            broadcaster.update(failure?.code == .hardwareError ? DeviceStatus(.offline, message: failure?.message) : .online)
            throw error
        }
    }

    private func scanPages(_ device: SANEHandle, _ settings: ScanSettings, progress: @escaping @Sendable (ScanProgress) -> Void) async throws -> ScanBatch {
        try await SANELibrary.shared.run { try Self.configure(device, settings) }
        var pages: [ScannedPage] = []
        var compressions: [Task<ScannedPage, any Error>] = []
        let pageLimit = settings.source == .flatbed ? 1 : settings.maxPages
        for number in 1...pageLimit {
            let clock = ContinuousClock()
            let started = clock.now
            let raw: RawPage?
            do {
                raw = try await withTaskCancellationHandler {
                    try await SANELibrary.shared.run { try Self.readPage(device, number: number, resolution: settings.resolution, progress: progress) }
                } onCancel: {
                    device.cancel()
                }
            } catch let error as DeviceError {
                _ = try? await SANELibrary.shared.run { device.cancel() }
                if error.code == .canceled || Task.isCancelled { throw DeviceError(.canceled, "the scan was canceled") }
                for task in compressions { pages.append(try await task.value) }
                guard number > 1 else { throw error }
                logger.warning("feeder batch stopped at page \(number): \(error.message)")
                let kept = number == 2 ? "page 1 was scanned and kept" : "pages 1–\(number - 1) were scanned and kept"
                return ScanBatch(pages: pages, interruption: DeviceError(error.code, "\(error.message); \(kept): feed page \(number) and the rest again", resident: error.resident),
                                 refeedFrom: number)
            }
            guard let raw else { break }  // the feeder is empty: the normal end of a batch
            let scanned = clock.now - started
            compressions.append(Task.detached(priority: .userInitiated) {
                let encoded = try PageEncoder.encode(raw)
                return ScannedPage(number: number, width: raw.width, height: raw.height, resolution: raw.resolution, mode: raw.mode,
                                   mediaType: encoded.mediaType, data: encoded.data, looksBlank: BlankPageDetector.isBlank(raw), scanDuration: scanned)
            })
        }
        _ = try? await SANELibrary.shared.run { device.cancel() }  // ends the batch on the scanner's side
        for task in compressions { pages.append(try await task.value) }
        return ScanBatch(pages: pages, interruption: nil, refeedFrom: nil)
    }

    /// Sets mode, source, resolution, area and extra options, choosing among
    /// the names backends use for the same thing.
    static func configure(_ device: SANEHandle, _ settings: ScanSettings) throws {
        if device.has("source") {
            let candidates = switch settings.source {
            case .flatbed: ["Flatbed", "FlatBed", "Platen"]
            case .adf: ["ADF", "Automatic Document Feeder", "ADF Front", "Feeder"]
            case .duplex: ["ADF Duplex", "Duplex", "ADF Duplex Front"]
            }
            let available = device.choices("source")
            guard let chosen = candidates.first(where: available.contains) else {
                throw DeviceError(.unsupported, "the scanner cannot scan from the \(settings.source.rawValue) (it offers \(available.joined(separator: ", ")))")
            }
            try device.set("source", string: chosen)
        } else if settings.source != .flatbed {
            throw DeviceError(.unsupported, "the scanner has no document feeder")
        }
        if device.has("mode") {
            let available = device.choices("mode")
            let candidates = switch settings.mode {
            case .color: ["Color", "Colour", "RGB"]
            case .gray: ["Gray", "Grayscale", "Grey"]
            case .lineart: ["Lineart", "Binary", "Black & White"]
            }
            if let chosen = candidates.first(where: available.contains) {
                try device.set("mode", string: chosen)
            } else if settings.mode == .lineart, available.contains("Gray"), device.has("depth") {
                try device.set("mode", string: "Gray")
                try device.set("depth", number: 1)
            } else {
                throw DeviceError(.unsupported, "the scanner cannot scan in \(settings.mode.rawValue) (it offers \(available.joined(separator: ", ")))")
            }
        }
        if settings.mode != .lineart, device.has("depth") { try device.set("depth", number: 8) }
        if device.has("resolution") { try device.set("resolution", number: Double(settings.resolution)) }
        if let area = settings.areaMillimetres {
            for (name, value) in [("tl-x", 0.0), ("tl-y", 0.0), ("br-x", area.width), ("br-y", area.height)] where device.has(name) {
                try device.set(name, number: value)
            }
        }
        for (name, value) in settings.extraOptions.sorted(by: { $0.key < $1.key }) { try device.set(name, value) }
    }

    /// Reads one page; nil when the feeder is empty (the batch's normal end).
    static func readPage(_ device: SANEHandle, number: Int, resolution: Int, progress: (ScanProgress) -> Void) throws -> RawPage? {
        let status = device.start()
        if status == SANE_STATUS_NO_DOCS, number > 1 { return nil }
        guard status == SANE_STATUS_GOOD else { throw SANEError.error(status, doing: "starting page \(number)") }
        let parameters = try device.parameters()
        let expected = parameters.lines > 0 ? parameters.bytesPerLine * parameters.lines : -1
        var data: [UInt8] = []
        if expected > 0 { data.reserveCapacity(expected) }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var lastReport = 0
        while true {
            let (status, count) = device.read(into: &buffer)
            if count > 0 { data += buffer[0..<count] }
            if status == SANE_STATUS_EOF { break }
            guard status == SANE_STATUS_GOOD else { throw SANEError.error(status, doing: "reading page \(number)") }
            if data.count - lastReport >= 512 * 1024 {
                lastReport = data.count
                progress(ScanProgress(page: number, bytesRead: data.count, bytesExpected: expected))
            }
        }
        progress(ScanProgress(page: number, bytesRead: data.count, bytesExpected: expected))
        guard parameters.lastFrame else {
            throw DeviceError(.unsupported, "the scanner sends colour as three separate frames, which kioskd does not support: choose single-pass colour or grey")
        }
        let lines = parameters.bytesPerLine > 0 ? data.count / parameters.bytesPerLine : 0
        return try normalize(data, parameters: parameters, lines: lines, resolution: resolution)
    }

    /// 8-bit grey, 24-bit RGB or packed 1-bit lineart, whatever depth came in.
    static func normalize(_ data: [UInt8], parameters p: SANEHandle.Parameters, lines: Int, resolution: Int) throws -> RawPage {
        let width = p.pixelsPerLine
        let gray = p.format == SANE_FRAME_GRAY
        guard gray || p.format == SANE_FRAME_RGB else { throw DeviceError(.unsupported, "the scanner sent a frame format kioskd does not read") }
        switch p.depth {
        case 1 where gray:
            let rowBytes = (width + 7) / 8
            var pixels = [UInt8](repeating: 0, count: rowBytes * lines)
            for y in 0..<lines { pixels[(y * rowBytes)..<((y + 1) * rowBytes)] = data[(y * p.bytesPerLine)..<(y * p.bytesPerLine + rowBytes)] }
            return RawPage(width: width, height: lines, mode: .lineart, resolution: resolution, pixels: pixels)
        case 8, 16:
            let channels = gray ? 1 : 3
            let bytesPerSample = p.depth / 8
            var pixels = [UInt8](repeating: 0, count: width * channels * lines)
            pixels.withUnsafeMutableBufferPointer { out in
                data.withUnsafeBufferPointer { input in
                    for y in 0..<lines {
                        let row = y * p.bytesPerLine
                        for sample in 0..<(width * channels) {
                            // 16-bit samples are little-endian in SANE frames on this machine: take the high byte.
                            out[y * width * channels + sample] = input[row + sample * bytesPerSample + (bytesPerSample - 1)]
                        }
                    }
                }
            }
            return RawPage(width: width, height: lines, mode: gray ? .gray : .color, resolution: resolution, pixels: pixels)
        default:
            throw DeviceError(.unsupported, "the scanner sent \(p.depth)-bit samples, which kioskd does not read")
        }
    }

    // MARK: Health

    public func healthCheck(_ level: HealthCheckLevel) async -> HealthReport {
        switch level {
        case .internal:
            let noop = await commands.run("health check", timeout: .seconds(2)) { () }
            return HealthReport(device: identity, level: .internal, items: [.init("command queue", noop.outcome == "success" ? .passed : .failed, noop.outcome)])
        case .external:
            let opened = await commands.run("open", timeout: .seconds(30)) {
                let device = try await self.open()
                _ = try await SANELibrary.shared.run { device.close() }
            }
            let item: HealthReport.Item = switch opened {
            case .success: .init("scanner opens", .passed, deviceName)
            case .failed(let error): .init("scanner opens", .failed, error.message)
            default: .init("scanner opens", .failed, opened.outcome)
            }
            return HealthReport(device: identity, level: .external, items: [item])
        case .interactive:
            var settings = ScanSettings()
            settings.resolution = 150
            let item: HealthReport.Item
            do {
                let batch = try await scan(settings)
                let page = batch.pages.first
                item = .init("scan a test page", page == nil ? .failed : .passed, page.map { "\($0.width)×\($0.height), \($0.data.count / 1024) KB" + ($0.looksBlank ? ", blank: was a page on the glass?" : "") } ?? "no page")
            } catch {
                item = .init("scan a test page", .failed, error.message)
            }
            return HealthReport(device: identity, level: .interactive, items: [item])
        }
    }
}

extension SANEScanner: PageScanner {
    /// Scans with ``ScanSettings``'s defaults (grey, 300 dpi, flatbed).
    public func scanPages(progress: @escaping @Sendable (_ page: Int, _ percent: Int) -> Void) async throws(DeviceError) -> [ScannedPage] {
        let batch = try await scan(ScanSettings()) { step in
            progress(step.page, step.bytesExpected > 0 ? min(100, step.bytesRead * 100 / step.bytesExpected) : -1)
        }
        // Pages before a jam are kept; the resident feeds the rest again.
        if batch.pages.isEmpty, let interruption = batch.interruption { throw interruption }
        return batch.pages
    }
}
