import AgentAuth
import Foundation
import KioskCore
import Logging
import ServiceLifecycle
import Synchronization
import SystemIO
import Uplink

/// What the station offers: the service catalogue, the holiday calendar and
/// the registered agents, loaded at start.
///
/// A catalogue that does not load is refused with the item, field and line
/// at fault, and kioskd runs on the last good one (kept in
/// `STATE_DIR/catalogue/last-good.json` each time one is accepted); with no
/// good one at all, kioskd does not start. A newer catalogue (from the
/// platform, later) goes through ``offer(catalogue:)`` the same way.
public final class StationServices: Sendable {
    private let store: Mutex<CatalogueStore>
    private let refusal = Mutex<String?>(nil)
    /// The national holiday schedule.
    public let calendar: WorkingCalendar
    /// The station's agents, and their PIN checks with the lock-out.
    public let agents: AgentDirectory
    public let pinChecker: AgentPINChecker
    /// Where the last good catalogue is kept.
    let lastGoodPath: String
    private let calendarPath: String
    private let logger: Logger
    private let sessionSettings: SessionSettings

    /// Loads the files the configuration names.
    public init(config: KioskConfig, stateDirectory: String, logger: Logger) throws {
        self.logger = logger
        lastGoodPath = stateDirectory + "/catalogue/last-good.json"
        calendarPath = config.services.calendar
        calendar = try Self.load("services.calendar", config.services.calendar) { (bytes) throws(DataFileError) in try WorkingCalendar.load(json: bytes) }
        agents = try config.session.agentsFile.map { path in try Self.load("session.agents_file", path) { (bytes) throws(DataFileError) in try AgentDirectory.load(json: bytes) } }
            ?? AgentDirectory(entries: [])
        pinChecker = AgentPINChecker(directory: agents)

        var problem: String?
        var catalogue: Catalogue?
        do {
            catalogue = try Self.load("services.catalogue", config.services.catalogue) { (bytes) throws(DataFileError) in try Catalogue.load(json: bytes) }
        } catch {
            problem = "\(error)"
        }
        let lastGood = FileManager.default.contents(atPath: lastGoodPath).flatMap { try? Catalogue.load(json: Array($0)) }
        // The last good one (from the platform) is used when it was published after the configured file's,
        // and not from the future: one that claims too much is left, never pinned.
        let today = ChinaTime.date(Date().timeIntervalSince1970)
        if let lastGood, CatalogueStore.fromTheFuture(lastGood, today: today) == nil,
           catalogue.map({ CatalogueStore.isNewer(lastGood, than: $0) }) ?? true {
            if let problem { logger.error("\(problem); running on the last good catalogue \(lastGood.version)") }
            catalogue = lastGood
        }
        guard let catalogue else {
            throw StartupError("\(problem ?? "no catalogue"); there is no earlier good catalogue in \(lastGoodPath) to fall back on. Fix the file (`kioskctl catalogue check FILE` shows what is wrong) and start kioskd again")
        }
        refusal.withLock { $0 = problem }
        store = Mutex(CatalogueStore(catalogue))
        sessionSettings = SessionSettings(
            stationCode: config.station.code, stationName: config.station.name, stationPhone: config.station.phone,
            // The station code begins with the 9-digit code of its township (乡镇/街道).
            regionCode: String(config.station.code.prefix(9)),
            trackingURLBase: config.services.trackingURL, guideURLBase: config.services.guideURL, idleTimeout: config.session.idleTimeout.seconds,
            idleWarning: config.session.idleWarning.seconds, agentIdleTimeout: config.session.agentIdleTimeout.seconds,
            elderlyIdleTimeout: config.session.elderlyIdleTimeout.seconds,
            cardRemoval: config.session.cardRemoved, agents: agents.agents)
        keep(config.services.catalogue, version: catalogue.version)
        let soon = ChinaTime.date(Date().timeIntervalSince1970 + 60 * 86_400)
        if calendar.isWorkingDay(soon) == nil {
            logger.warning("\(config.services.calendar) has no holiday schedule for \(soon.year): promised dates that reach into it are printed as unknown; add the year when the State Council publishes it")
        }
    }

    private static func load<T>(_ key: String, _ path: String, _ parse: ([UInt8]) throws(DataFileError) -> T) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartupError("\(key) \"\(path)\" cannot be read: does the file exist, and may kioskd's user read it?")
        }
        do { return try parse(Array(data)) } catch {
            throw StartupError("\(key) \"\(path)\": \(error)")
        }
    }

    /// Copies an accepted catalogue file to the last-good place (atomically).
    private func keep(_ path: String, version: String) {
        guard let data = FileManager.default.contents(atPath: path), (try? Catalogue.load(json: Array(data)))?.version == version else { return }
        keep(data: data)
    }

    private func keep(data: Data) {
        do {
            try DurableFiles.createDirectories(DurableFiles.parent(of: lastGoodPath), mode: 0o700)
            try DurableFiles.write(Array(data), to: lastGoodPath, mode: 0o600)
        } catch {
            logger.warning("could not keep a copy of the catalogue in \(lastGoodPath): \(error)")
        }
    }

    /// The catalogue in use.
    public var catalogue: Catalogue { store.withLock { $0.current } }

    /// Offers a newer catalogue (from the platform): taken if it loads and is newer, kept as the last good one.
    @discardableResult
    public func offer(catalogue bytes: [UInt8]) -> CatalogueStore.Outcome {
        let today = ChinaTime.date(Date().timeIntervalSince1970)
        let outcome = store.withLock { $0.offer(json: bytes, today: today) }
        switch outcome {
        case .replaced(let old, let new):
            logger.notice("catalogue \(new) replaces \(old)")
            refusal.withLock { $0 = nil }
            keep(data: Data(bytes))
        case .refused(let error):
            logger.error("a new catalogue was refused, keeping \(catalogue.version): \(error)")
            refusal.withLock { $0 = "\(error)" }
        case .notNewer: break
        }
        return outcome
    }

    /// The session state machine for this station, with the catalogue in use.
    public func reducer() -> SessionReducer {
        SessionReducer(catalogue: catalogue, calendar: calendar, settings: sessionSettings)
    }

    /// The `/healthz` line.
    func health(now: Double = Date().timeIntervalSince1970) -> ComponentHealth {
        let current = catalogue
        var detail = "catalogue \(current.version): \(current.items.count) items, \(current.bundles.count) bundles"
            + (current.isSampleData ? " (sample data)" : "")
            + "; holidays known for \(calendar.coveredYears.map(String.init).joined(separator: ", ")); \(agents.entries.count) agent(s)"
        var status = "ok"
        if let problem = refusal.withLock({ $0 }) {
            status = "attention"
            detail += "; the newest catalogue was refused (\(problem)): fix it, the last good one is in use"
        }
        // Promises reach weeks ahead: say so before the calendar runs out, not after.
        // (Said, not alarmed: receipts then print "unknown" honestly rather than a wrong date.)
        let soon = ChinaTime.date(now + 60 * 86_400)
        if calendar.isWorkingDay(soon) == nil {
            detail += "; no holiday schedule for \(soon.year) yet: promised dates past \(calendar.coveredYears.last.map(String.init) ?? "now") print as unknown until \(soon.year)'s schedule is added to \(calendarPath)"
        }
        return ComponentHealth(name: "services", status: status, detail: detail)
    }
}

/// Asks the platform for a newer catalogue now and then, and offers what it
/// gets to ``StationServices`` (which refuses a bad one and keeps the last
/// good); one taken goes to the session, which uses it from the next visit.
/// Offline, it waits for the link like the forwarder does.
struct CatalogueRefresher: KioskService {
    let services: StationServices
    /// Where visits happen: told of each catalogue taken.
    let session: SessionRuntime?
    let client: HTTPPlatformClient
    let region: String
    /// Seconds between asks once one succeeded.
    let interval: Double
    /// Seconds before asking again after a failure.
    let retry: Double
    let logger: Logger

    /// One ask: what happened, in words for the log and tests.
    @discardableResult
    func refreshOnce() async -> String {
        let current = services.catalogue.version
        do {
            guard let bytes = try await client.catalogue(region: region, current: current) else { return "current: \(current)" }
            switch services.offer(catalogue: bytes) {
            case .replaced(_, let new):
                await session?.adopt(services.reducer())
                return "replaced by \(new)"
            case .notNewer(let version): return "not newer: \(version)"
            case .refused(let error): return "refused: \(error)"
            }
        } catch {
            logger.info("could not ask the platform for a newer catalogue (\(error)); asking again in \(Int(retry)) s")
            return "failed: \(error)"
        }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let outcome = await refreshOnce()
                let wait = outcome.hasPrefix("failed") ? retry : interval
                try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            }
        }
    }
}
