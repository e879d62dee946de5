import AgentAuth
import Crypto
import Foundation
import HardwareSim
import KioskCore
@testable import KioskDaemon
import Logging
import Outbox
import TestSupport
import Testing
import Uplink

@Suite("The station's services at start: catalogue, calendar, agents")
struct StationServicesTests {
    static let root = ConfigTests.repositoryRoot
    static let shipped = try! String(contentsOfFile: root + "/data/catalogue.json", encoding: .utf8)

    func config(_ folder: String, catalogue: String? = nil, agents: String? = nil) -> KioskConfig {
        shippedConfig(folder, catalogue: catalogue, agents: agents)
    }

    func write(_ text: String, _ path: String) -> String {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    let broken = shipped.replacingOccurrences(of: "\"pinyin_initials\": \"GLJTSL\"", with: "\"pinyin_initials\": \"gljtsl\"")

    @Test("A bad catalogue with no good one to fall back on stops kioskd, naming the item, field and line")
    func badAtFirstStart() throws {
        let folder = temporaryDirectory()
        let path = write(broken, folder + "/catalogue.json")
        do {
            _ = try StationServices(config: config(folder, catalogue: path), stateDirectory: folder + "/state", logger: Logger(label: "test"))
            Issue.record("started with a bad catalogue")
        } catch let error as StartupError {
            #expect(error.description.contains("item 0500012000 高龄津贴申领, field pinyin_initials: must be the name's pinyin initials in capitals"), "\(error)")
            #expect(error.description.contains("catalogue line "))
            #expect(error.description.contains("kioskctl catalogue check FILE"))
        }
    }

    @Test("A bad catalogue later: refused, the last good one runs, /healthz says what to fix")
    func lastGoodKept() throws {
        let folder = temporaryDirectory()
        let path = write(Self.shipped, folder + "/catalogue.json")
        let first = try StationServices(config: config(folder, catalogue: path), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        #expect(FileManager.default.fileExists(atPath: folder + "/state/catalogue/last-good.json"))
        #expect(first.health().status == "ok")

        // The maintainer installs a file with a typo and restarts.
        _ = write(broken.replacingOccurrences(of: "\"version\": \"2026.11.1\"", with: "\"version\": \"2026.12.1\""), path)
        let second = try StationServices(config: config(folder, catalogue: path), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        #expect(second.catalogue.version == "2026.11.1")
        #expect(second.catalogue.items.count == 24)
        let health = second.health()
        #expect(health.status == "attention")
        #expect(health.detail?.contains("field pinyin_initials") == true, "\(health.detail ?? "")")

        // The platform then offers a good newer one: taken and kept.
        let newer = Array(Self.shipped.replacingOccurrences(of: "\"version\": \"2026.11.1\"", with: "\"version\": \"2026.12.2\"").utf8)
        #expect(second.offer(catalogue: newer) == .replaced(old: "2026.11.1", new: "2026.12.2"))
        #expect(second.health().status == "ok")
        let kept = try Catalogue.load(json: Array(FileManager.default.contents(atPath: folder + "/state/catalogue/last-good.json")!))
        #expect(kept.version == "2026.12.2")
        // And a bad one from the platform changes nothing but the health line.
        #expect(second.offer(catalogue: Array("{\"version\": 1}".utf8)) != .notNewer("2026.12.2"))
        #expect(second.catalogue.version == "2026.12.2")
        #expect(second.health().status == "attention")
    }

    @Test("The platform's newer catalogue is taken; a garbage or invalid one is refused and the last good one stays")
    func refreshFromPlatform() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(Curve25519.KeyAgreement.PrivateKey()), outputDirectory: folder + "/platform", port: UInt16(TCPListening.unusedPort()))
        try platform.start()
        defer { platform.stop() }
        let services = try StationServices(config: config(folder), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        let refresher = CatalogueRefresher(services: services, session: nil, client: client, region: "340104001", interval: 3600, retry: 60, logger: Logger(label: "test"))

        #expect(await refresher.refreshOnce() == "current: 2026.11.1", "nothing published")
        platform.publishCatalogue(Array(Self.shipped.replacingOccurrences(of: "\"version\": \"2026.11.1\"", with: "\"version\": \"2026.12.1\"").utf8))
        #expect(await refresher.refreshOnce() == "replaced by 2026.12.1")
        #expect(services.catalogue.version == "2026.12.1")
        #expect(await refresher.refreshOnce() == "current: 2026.12.1", "the platform answers 304 for the version held")

        platform.publishCatalogue(Array("<html>gateway says hi".utf8))
        let garbage = await refresher.refreshOnce()
        #expect(garbage.hasPrefix("refused: catalogue line 1") && garbage.contains("not valid JSON"), "\(garbage)")
        platform.publishCatalogue(Array(broken.replacingOccurrences(of: "\"version\": \"2026.11.1\"", with: "\"version\": \"2026.12.5\"").utf8))
        let invalid = await refresher.refreshOnce()
        #expect(invalid.contains("item 0500012000 高龄津贴申领, field pinyin_initials"), "\(invalid)")
        #expect(services.catalogue.version == "2026.12.1")
        #expect(services.health().status == "attention")
        let kept = try Catalogue.load(json: Array(FileManager.default.contents(atPath: folder + "/state/catalogue/last-good.json")!))
        #expect(kept.version == "2026.12.1")

        platform.stop()
        #expect(await refresher.refreshOnce().hasPrefix("failed: the platform did not answer"))
        await client.shutdown()
    }

    @Test("The platform's newer catalogue reaches visits without a restart: the visit in progress finishes on the old one, the next uses the new; a broken one is refused and reported")
    func catalogueBetweenVisits() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(Curve25519.KeyAgreement.PrivateKey()), outputDirectory: folder + "/platform", port: UInt16(TCPListening.unusedPort()))
        try platform.start()
        defer { platform.stop() }
        let services = try StationServices(config: config(folder), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        let outbox = try Outbox(directory: folder + "/outbox", platformKey: PlatformPublicKey(Curve25519.KeyAgreement.PrivateKey().publicKey), settings: .init(stationCode: "340104001"))
        defer { try? outbox.close() }
        let runtime = SessionRuntime(reducer: services.reducer(), phrasebooks: try Phrasebooks.load(uiDirectory: Self.root + "/ui"), store: outbox, printer: nil, scanner: nil,
                                     pins: services.pinChecker, lookup: ApplicantLookup(salt: Array(repeating: 7, count: 32)), logger: Logger(label: "test"))
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        let refresher = CatalogueRefresher(services: services, session: runtime, client: client, region: "340104001", interval: 3600, retry: 60, logger: Logger(label: "test"))
        func phoneOfTheItemChosen() async -> String? {
            await runtime.touch(.menu(.search("高龄")))
            await runtime.touch(.choose(code: "0500012000"))
            return await runtime.state.visit?.choice?.items.first?.consultationPhone
        }

        // A resident is choosing when the platform publishes a catalogue with a new phone for the item.
        await runtime.send(.cardPresented(SessionRuntimePlatformTests.resident, now: Date().timeIntervalSince1970))
        #expect(await phoneOfTheItemChosen() == "0551-65150270")
        platform.publishCatalogue(Array(Self.shipped.replacingOccurrences(of: "\"version\": \"2026.11.1\"", with: "\"version\": \"2026.12.1\"")
            .replacingOccurrences(of: "0551-65150270", with: "0551-65150999").utf8))
        #expect(await refresher.refreshOnce() == "replaced by 2026.12.1")
        #expect(services.catalogue.version == "2026.12.1", "taken, and kept as the last good one")
        #expect(await runtime.catalogueVersion == "2026.11.1", "the visit in progress keeps its rules")
        #expect(await phoneOfTheItemChosen() == "0551-65150270")

        // The visit ends; the next one uses the new catalogue, without a restart.
        await runtime.send(.cardRemoved(now: Date().timeIntervalSince1970))
        #expect(await eventually(within: .seconds(10)) { await runtime.state.screen == .attract })
        await runtime.send(.cardPresented(SessionRuntimePlatformTests.resident, now: Date().timeIntervalSince1970))
        #expect(await runtime.catalogueVersion == "2026.12.1")
        #expect(await phoneOfTheItemChosen() == "0551-65150999")
        await runtime.send(.cardRemoved(now: Date().timeIntervalSince1970))

        // A broken one: refused with why, reported on /healthz, and visits keep the last good one.
        platform.publishCatalogue(Array(broken.replacingOccurrences(of: "\"version\": \"2026.11.1\"", with: "\"version\": \"2026.12.5\"").utf8))
        #expect(await refresher.refreshOnce().contains("field pinyin_initials"))
        #expect(services.health().status == "attention" && services.health().detail?.contains("the newest catalogue was refused") == true)
        #expect(await runtime.catalogueVersion == "2026.12.1")
        await client.shutdown()
    }

    @Test("The health line says when the holiday schedule runs out within two months")
    func calendarHorizon() throws {
        let folder = temporaryDirectory()
        let services = try StationServices(config: config(folder), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        let november = services.health(now: 1_795_744_800)
        #expect(november.detail?.contains("no holiday schedule for 2027 yet") == true)
        let june = services.health(now: 1_780_000_000)
        #expect(june.detail?.contains("no holiday schedule") == false)
    }

    @Test("A bad agents file stops kioskd naming the agent and field; a PIN in the clear is refused")
    func badAgents() throws {
        let folder = temporaryDirectory()
        let cleartext = write(#"{"agents": [{"id": "agent01", "name": "王建国", "card_number": "340104198001010311", "pin_hash": "246810"}]}"#, folder + "/agents.json")
        #expect {
            _ = try StationServices(config: config(folder, agents: cleartext), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("agents line 1, item agent01, field pin_hash: must be a hash made by `kioskctl agent hash-pin`")
        }
    }

    @Test("Agent PINs: scrypt hashes, five wrong tries lock for 15 minutes, even the right PIN is refused while locked")
    func pins() throws {
        let hash = try PINHasher.hash(pin: "246810", logN: 14)
        #expect(hash.hasPrefix("scrypt$14$8$1$"))
        #expect(hash != (try PINHasher.hash(pin: "246810", logN: 14)), "salted")
        #expect(PINHasher.verify(pin: "246810", against: hash))
        #expect(!PINHasher.verify(pin: "246811", against: hash))
        #expect(PINHasher.problem(with: "123456") != nil && PINHasher.problem(with: "000000") != nil && PINHasher.problem(with: "12345") != nil)
        #expect(PINHasher.problem(with: "246810") == nil)

        let directory = AgentDirectory(entries: [.init(agent: RegisteredAgent(id: "agent01", cardNumber: "340104198001010311", name: "王建国"), pinHash: hash)])
        let checker = AgentPINChecker(directory: directory)
        let t0 = 1_795_744_800.0
        #expect(try checker.check(agentID: "agent01", pin: "000001", now: t0) == .wrong(triesLeft: 4))
        #expect(try checker.check(agentID: "agent01", pin: "246810", now: t0 + 1) == .accepted, "a right PIN resets the count")
        for attempt in 1...4 { #expect(try checker.check(agentID: "agent01", pin: "000001", now: t0 + Double(attempt)) == .wrong(triesLeft: 5 - attempt)) }
        #expect(try checker.check(agentID: "agent01", pin: "000001", now: t0 + 5) == .locked(until: t0 + 5 + 900))
        #expect(try checker.check(agentID: "agent01", pin: "246810", now: t0 + 600) == .locked(until: t0 + 905))
        #expect(try checker.check(agentID: "agent01", pin: "246810", now: t0 + 906) == .accepted)
        #expect(try checker.check(agentID: "nobody", pin: "246810", now: t0) == .wrong(triesLeft: 4))
    }

    @Test("The lock-out is kept in the outbox's database: a restart (a new checker on the reopened outbox) leaves the agent locked; locks in a row double")
    func lockoutKept() throws {
        let folder = temporaryDirectory()
        let key = Curve25519.KeyAgreement.PrivateKey().publicKey
        let hash = try PINHasher.hash(pin: "246810", logN: 14)
        let directory = AgentDirectory(entries: [.init(agent: RegisteredAgent(id: "agent01", cardNumber: "340104198001010311", name: "王建国"), pinHash: hash)])
        let t0 = 1_795_744_800.0
        var outbox: Outbox?
        /// kioskd starting again: the outbox reopened, a new checker taking up what it kept.
        func restarted() throws -> AgentPINChecker {
            try outbox?.close()
            outbox = try Outbox(directory: folder + "/outbox", platformKey: PlatformPublicKey(key), settings: .init(stationCode: "340104001"))
            let checker = AgentPINChecker(directory: directory)
            try checker.keep(in: try #require(outbox))
            return checker
        }
        defer { try? outbox?.close() }
        var checker = try restarted()
        for attempt in 0..<4 { _ = try checker.check(agentID: "agent01", pin: "000001", now: t0 + Double(attempt)) }
        checker = try restarted()
        // Four wrong tries survived the restart: the fifth locks.
        #expect(try checker.check(agentID: "agent01", pin: "000001", now: t0 + 10) == .locked(until: t0 + 10 + 900))
        checker = try restarted()
        #expect(checker.lockedAgents(now: t0 + 20).map(\.agentID) == ["agent01"])
        #expect(try checker.check(agentID: "agent01", pin: "246810", now: t0 + 600) == .locked(until: t0 + 910), "the right PIN inside the lock, after a restart")
        // The lock runs out; five wrong tries again lock for twice as long.
        for attempt in 0..<4 { #expect(try checker.check(agentID: "agent01", pin: "000001", now: t0 + 1000 + Double(attempt)) == .wrong(triesLeft: 4 - attempt)) }
        #expect(try checker.check(agentID: "agent01", pin: "000001", now: t0 + 1010) == .locked(until: t0 + 1010 + 1800))
        checker = try restarted()
        #expect(try checker.check(agentID: "agent01", pin: "246810", now: t0 + 1010 + 1801) == .accepted)
        #expect(checker.lockedAgents(now: t0 + 5000).isEmpty)
        // A right PIN forgives: the next lock is the first again.
        for attempt in 0..<5 { _ = try checker.check(agentID: "agent01", pin: "000001", now: t0 + 6000 + Double(attempt)) }
        #expect(checker.lockedAgents(now: t0 + 6005).first?.until == t0 + 6004 + 900)
        // Doubling stops at a day.
        var lockout = AgentLockout(records: [AgentLockoutRecord(agentID: "a", failures: 4, locks: 12)])
        #expect(lockout.record("a", correct: false, now: 0) == .locked(until: AgentLockout.longestLock))
    }

    @Test("Session settings: a bad card_removed and a warning longer than the timeout are refused")
    func sessionConfig() async throws {
        let file = configFile("session:\n  card_removed: eject\n  idle_timeout_seconds: 60\n  idle_warning_seconds: 60\n")
        let found = await problems(file: file)
        #expect(found.contains { $0.contains("session.card_removed") && $0.contains("end or pause") }, "\(found)")
        let warning = await problems(file: configFile("session:\n  idle_timeout_seconds: 60\n  idle_warning_seconds: 60\n"))
        #expect(warning.contains { $0.contains("session.idle_warning_seconds") && $0.contains("shorter than the timeout") }, "\(warning)")
        let short = await problems(file: configFile("session:\n  idle_warning_seconds: 10\n"))
        #expect(short.contains { $0.contains("session.idle_warning_seconds") && $0.contains("from 20 to 300") }, "\(short)")
    }
}

/// A configuration with the shipped catalogue and calendar (or `catalogue`), state under `folder`.
func shippedConfig(_ folder: String, catalogue: String? = nil, agents: String? = nil) -> KioskConfig {
    var config = KioskConfig(stateDirectory: folder + "/state")
    config.services.catalogue = catalogue ?? ConfigTests.repositoryRoot + "/data/catalogue.json"
    config.services.calendar = ConfigTests.repositoryRoot + "/data/holidays-cn.json"
    config.session.agentsFile = agents
    return config
}
