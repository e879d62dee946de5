import Foundation
import Synchronization

/// A network document scanner speaking eSCL (AirScan), from the scanner's
/// side: ScannerCapabilities, ScannerStatus, ScanJobs, NextDocument. Debian's
/// sane-airscan backend drives it through real libsane, so kioskd scans
/// through the same code path as with a station's real scanner.
///
/// The feeder holds pages cycled from `hardware-sim/pages/`; the glass holds
/// the first page. Control commands: `feeder load N`, `feeder empty`,
/// `jam at N` (page N of the next feeder job jams), `cover open`,
/// `cover close`, `slow MS` (each page takes that long), `abort next`
/// (the next page fails and the job aborts), `drop next` (the connection
/// drops while the next page is asked for), `faults`, `clear`, `status`.
public final class ESCLScannerSimulator: Sendable {
    private struct Job {
        var feeder: Bool
        var color: Bool
        var resolution: Int
        var region: (x: Int, y: Int, width: Int, height: Int)?
        var served = 0
    }

    private struct State {
        var feederPages = 3
        var nextPage = 0
        var jamAt: Int?
        var jammed = false
        var coverOpen = false
        var slow: Duration = .zero
        var abortNext = false
        var dropNext = false
        var jobs: [String: Job] = [:]
        var busy = false
    }

    private let pages: [PageDescription]
    private let renderer: PageRenderer
    private let cache = Mutex<[String: [UInt8]]>([:])
    private let state = Mutex(State())

    /// Creates a scanner holding `pages` (at least one).
    public init(pages: [PageDescription]) throws {
        precondition(!pages.isEmpty)
        self.pages = pages
        renderer = PageRenderer(font: try PrinterFont.shared())
    }

    /// Pages the feeder holds now.
    public var feederPages: Int { state.withLock { $0.feederPages } }

    // MARK: Faults

    /// Puts `count` pages in the feeder and clears a jam.
    public func loadFeeder(_ count: Int) {
        state.withLock { state in
            state.feederPages = count
            state.jammed = false
        }
    }
    /// Page `number` of the next feeder job jams.
    public func jam(atPage number: Int) { state.withLock { $0.jamAt = number } }
    /// Opens or closes the feeder's cover.
    public func cover(open: Bool) { state.withLock { $0.coverOpen = open } }
    /// Makes every page take this long.
    public func slow(_ duration: Duration) { state.withLock { $0.slow = duration } }
    /// The next page request fails and its job aborts.
    public func abortNext() { state.withLock { $0.abortNext = true } }
    /// The connection drops on the next page request.
    public func dropNext() { state.withLock { $0.dropNext = true } }

    public func control(_ words: [Substring]) async -> String? {
        switch words.map(String.init) {
        case ["feeder", "empty"]:
            loadFeeder(0)
            return "ok: the feeder is empty"
        case let command where command.count == 3 && command[0] == "feeder" && command[1] == "load":
            guard let count = Int(command[2]), count >= 0 else { return "error: feeder load N" }
            loadFeeder(count)
            return "ok: \(count) pages in the feeder"
        case let command where command.count == 3 && command[0] == "jam" && command[1] == "at":
            guard let number = Int(command[2]), number >= 1 else { return "error: jam at N (1 = the first page)" }
            jam(atPage: number)
            return "ok: page \(number) of the next feeder job jams"
        case ["cover", "open"]:
            cover(open: true)
            return "ok: the feeder cover is open"
        case ["cover", "close"]:
            cover(open: false)
            return "ok: the feeder cover is closed"
        case let command where command.count == 2 && command[0] == "slow":
            guard let ms = Int(command[1]), ms >= 0 else { return "error: slow MS" }
            slow(.milliseconds(ms))
            return "ok: each page takes \(ms) ms"
        case ["abort", "next"]:
            abortNext()
            return "ok: the next page aborts its job"
        case ["drop", "next"]:
            dropNext()
            return "ok: the connection drops on the next page"
        case ["clear"]:
            state.withLock { state in
                state.jamAt = nil
                state.jammed = false
                state.coverOpen = false
                state.slow = .zero
                state.abortNext = false
                state.dropNext = false
            }
            return "ok: faults cleared"
        case ["faults"]:
            let armed = state.withLock { s in
                [s.jamAt.map { "page \($0) of the next feeder job jams" }, s.jammed ? "jammed" : nil, s.coverOpen ? "cover open" : nil,
                 s.slow > .zero ? "every page waits \(s.slow)" : nil, s.abortNext ? "the next page aborts its job" : nil,
                 s.dropNext ? "the connection drops on the next page" : nil].compactMap { $0 }
            }
            return ControlServer.faultsReply(armed)
        case ["status"]:
            let (pages, jammed, cover) = state.withLock { ($0.feederPages, $0.jammed, $0.coverOpen) }
            return "ok: \(pages) pages in the feeder" + (jammed ? ", jammed" : "") + (cover ? ", cover open" : "")
        default:
            return nil
        }
    }

    // MARK: eSCL

    /// Answers one eSCL request.
    public func handle(_ request: HTTPRequest) async -> HTTPAction {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/eSCL/ScannerCapabilities"):
            return xml(200, Self.capabilities)
        case ("GET", "/eSCL/ScannerStatus"):
            return xml(200, statusXML())
        case ("POST", "/eSCL/ScanJobs"):
            return createJob(String(decoding: request.body, as: UTF8.self))
        case ("DELETE", _) where path.hasPrefix("/eSCL/ScanJobs/"):
            _ = state.withLock { $0.jobs.removeValue(forKey: String(path.dropFirst("/eSCL/ScanJobs/".count))) }
            return .respond(status: 200, headers: [], body: [])
        case ("GET", _) where path.hasPrefix("/eSCL/ScanJobs/") && path.hasSuffix("/NextDocument"):
            let id = String(path.dropFirst("/eSCL/ScanJobs/".count).dropLast("/NextDocument".count))
            return await nextDocument(id)
        default:
            return .respond(status: 404, headers: [], body: [])
        }
    }

    private func xml(_ status: Int, _ text: String) -> HTTPAction {
        .respond(status: status, headers: [("Content-Type", "text/xml")], body: Array(text.utf8))
    }

    private func createJob(_ settings: String) -> HTTPAction {
        func value(_ tag: String) -> String? {
            guard let start = settings.range(of: "<\(tag)>"), let end = settings.range(of: "</\(tag)>", range: start.upperBound..<settings.endIndex) else { return nil }
            return String(settings[start.upperBound..<end.lowerBound])
        }
        let feeder = (value("pwg:InputSource") ?? value("scan:InputSource")) == "Feeder"
        let refused = state.withLock { state -> Bool in
            feeder && (state.coverOpen || state.feederPages == 0 || state.jammed)
        }
        if refused { return .respond(status: 409, headers: [], body: []) }
        let region: (Int, Int, Int, Int)? = if let width = value("pwg:Width").flatMap(Int.init), let height = value("pwg:Height").flatMap(Int.init) {
            (value("pwg:XOffset").flatMap(Int.init) ?? 0, value("pwg:YOffset").flatMap(Int.init) ?? 0, width, height)
        } else {
            nil
        }
        let job = Job(feeder: feeder, color: value("scan:ColorMode") == "RGB24", resolution: value("scan:XResolution").flatMap(Int.init) ?? 300, region: region)
        let id = UUID().uuidString.lowercased()
        state.withLock { $0.jobs[id] = job }
        return .respond(status: 201, headers: [("Location", "/eSCL/ScanJobs/\(id)")], body: [])
    }

    private func nextDocument(_ id: String) async -> HTTPAction {
        enum Next { case page(PageDescription, Job, Int), none, jam, abort, drop, unknown }
        let (next, slow) = state.withLock { state -> (Next, Duration) in
            guard var job = state.jobs[id] else { return (.unknown, .zero) }
            if state.dropNext {
                state.dropNext = false
                return (.drop, .zero)
            }
            if state.abortNext {
                state.abortNext = false
                state.jobs[id] = nil
                return (.abort, .zero)
            }
            if job.feeder {
                guard state.feederPages > 0 else { return (.none, .zero) }
                if state.jamAt == job.served + 1 {
                    state.jamAt = nil
                    state.jammed = true
                    return (.jam, .zero)
                }
                state.feederPages -= 1
            } else if job.served > 0 {
                return (.none, .zero)
            }
            job.served += 1
            state.jobs[id] = job
            let index = state.nextPage % self.pages.count
            state.nextPage += 1
            return (.page(self.pages[index], job, index), state.slow)
        }
        switch next {
        case .unknown, .none: return .respond(status: 404, headers: [], body: [])
        case .jam, .abort: return .respond(status: 500, headers: [], body: [])
        case .drop: return .drop
        case .page(let page, let job, let index):
            if slow > .zero { try? await Task.sleep(for: slow) }
            guard let image = try? renderCached(page, index: index, job: job) else { return .respond(status: 500, headers: [], body: []) }
            return .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: image)
        }
    }

    private func renderCached(_ page: PageDescription, index: Int, job: Job) throws -> [UInt8] {
        let key = "\(index)-\(job.resolution)-\(job.color)-\(job.region.map { "\($0.x),\($0.y),\($0.width),\($0.height)" } ?? "full")"
        if let cached = cache.withLock({ $0[key] }) { return cached }
        let image = try renderer.jpeg(page, resolution: job.resolution, color: job.color, region: job.region, seed: index)
        cache.withLock { $0[key] = image }
        return image
    }

    private func statusXML() -> String {
        let (pages, jammed, cover) = state.withLock { ($0.feederPages, $0.jammed, $0.coverOpen) }
        let adf = jammed ? "ScannerAdfJam" : cover ? "ScannerAdfDoorOpen" : pages > 0 ? "ScannerAdfLoaded" : "ScannerAdfEmpty"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
              <pwg:Version>2.63</pwg:Version>
              <pwg:State>Idle</pwg:State>
              <scan:AdfState>\(adf)</scan:AdfState>
            </scan:ScannerStatus>
            """
    }

    private static let inputCaps = """
        <scan:MinWidth>16</scan:MinWidth><scan:MaxWidth>2480</scan:MaxWidth>
        <scan:MinHeight>16</scan:MinHeight><scan:MaxHeight>3508</scan:MaxHeight>
        <scan:MaxScanRegions>1</scan:MaxScanRegions>
        <scan:SettingProfiles><scan:SettingProfile>
          <scan:ColorModes><scan:ColorMode>Grayscale8</scan:ColorMode><scan:ColorMode>RGB24</scan:ColorMode></scan:ColorModes>
          <scan:DocumentFormats><pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat><scan:DocumentFormatExt>image/jpeg</scan:DocumentFormatExt></scan:DocumentFormats>
          <scan:SupportedResolutions><scan:DiscreteResolutions>
            <scan:DiscreteResolution><scan:XResolution>75</scan:XResolution><scan:YResolution>75</scan:YResolution></scan:DiscreteResolution>
            <scan:DiscreteResolution><scan:XResolution>150</scan:XResolution><scan:YResolution>150</scan:YResolution></scan:DiscreteResolution>
            <scan:DiscreteResolution><scan:XResolution>300</scan:XResolution><scan:YResolution>300</scan:YResolution></scan:DiscreteResolution>
          </scan:DiscreteResolutions></scan:SupportedResolutions>
        </scan:SettingProfile></scan:SettingProfiles>
        <scan:MaxOpticalXResolution>300</scan:MaxOpticalXResolution><scan:MaxOpticalYResolution>300</scan:MaxOpticalYResolution>
        """

    static let capabilities = """
        <?xml version="1.0" encoding="UTF-8"?>
        <scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
          <pwg:Version>2.63</pwg:Version>
          <pwg:MakeAndModel>kioskd hardware-sim eSCL scanner</pwg:MakeAndModel>
          <pwg:SerialNumber>SIM-0001</pwg:SerialNumber>
          <scan:UUID>4509a320-00a0-008f-00b6-000000000001</scan:UUID>
          <scan:Platen><scan:PlatenInputCaps>\(inputCaps)</scan:PlatenInputCaps></scan:Platen>
          <scan:Adf><scan:AdfSimplexInputCaps>\(inputCaps)</scan:AdfSimplexInputCaps><scan:FeederCapacity>50</scan:FeederCapacity></scan:Adf>
        </scan:ScannerCapabilities>
        """
}
