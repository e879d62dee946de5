import Drivers
import Foundation
import HardwareSim
import Hummingbird
import HummingbirdTesting
import KioskCore
@testable import KioskDaemon
import Logging
import ServiceLifecycle
import TestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif


@Suite("Daemon parts", .serialized, .timeLimit(.minutes(1)))
struct DaemonPartsTests {
    @Test("Speech: on an English screen the Chinese names are read by the Mandarin voice; a masked name's * is read 某")
    func speechVoices() async throws {
        let runs = SpeechRenderer.runs("Hello, 王*国. Conditions: 年满80周岁; 户籍在本区. Tap “Next”.", voice: "en")
        let mandarin = SpeechRenderer.mandarin
        #expect(runs.map(\.voice) == ["en", mandarin, "en", mandarin, "en"])
        #expect(runs.map(\.text) == ["Hello, ", "王*国. ", "Conditions: ", "年满80周岁; 户籍在本区. ", "Tap “Next”."])
        #expect(SpeechRenderer.runs("王*国，您好。", voice: mandarin).map(\.text) == ["王*国，您好。"])
        let reading = try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui").reading
        // The Mandarin run says the * as 某, not "asterisk".
        #expect(reading.pinyin(runs[1].text) == "wang2 mou3 guo2")
        let speech = SpeechRenderer(reading: reading, synthesizer: ESpeakNG())
        let english = try await speech.wav(for: "Hello. Conditions: none.", voice: "en")
        let mixed = try await speech.wav(for: "Hello, 王*国. Conditions: 年满80周岁.", voice: "en")
        for wav in [english, mixed] {
            #expect(wav.count > 44 && Array(wav[0..<4]) == Array("RIFF".utf8) && Array(wav[36..<40]) == Array("data".utf8))
            let length = Int(wav[40]) | Int(wav[41]) << 8 | Int(wav[42]) << 16 | Int(wav[43]) << 24
            #expect(length == wav.count - 44, "the data length is filled in for the joined runs")
        }
        // The names are spoken, not skipped: the mixed prompt lasts longer.
        #expect(mixed.count > english.count)
    }

    /// espeak-ng's phonemes for `text` read by kioskd's Mandarin voice, the text on standard input.
    static func phonemes(_ text: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        process.arguments = ["-v", SpeechRenderer.mandarin, "-q", "-x"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let phonemes = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return phonemes.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("Every Chinese phrase is read as Mandarin by the voice kioskd uses: espeak-ng's phonemes never switch to English")
    func mandarinPhonemes() async throws {
        let books = try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui")
        // The templates without their {values}, as kioskd hands them to the voice.
        let text = Phrase.allCases.map { books.reading.pinyin(books.zh.render(SessionText($0)).replacing(/\{[a-z_]+\}/, with: "")) }.joined(separator: "\n")
        let phonemes = try Self.phonemes(text)
        #expect(!phonemes.isEmpty)
        #expect(!phonemes.contains("(en)"), "read as English: \(phonemes.split(separator: "\n").filter { $0.contains("(en)") }.prefix(3))")
    }

    @Test("espeak-ng says the words that it read a character at a time as a person says them: 长辈, 银行, 重印, 重新, 调取, 还款, 长期, 单元")
    func wordsSpokenRight() throws {
        let reading = try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui").reading
        let right = ["长辈": "zhang3 bei4", "银行": "yin2 hang2", "重印": "chong2 yin4", "重新": "chong2 xin1",
                     "调取": "diao4 qu3", "还款": "huan2 kuan3", "长期": "chang2 qi1", "单元": "dan1 yuan2"]
        for (word, pinyin) in right.sorted(by: { $0.key < $1.key }) {
            #expect(try Self.phonemes(reading.pinyin(word)) == Self.phonemes(pinyin), "\(word)")
        }
        // Handed the characters, espeak-ng says cháng bèi and yín xíng: what kioskd no longer gives it.
        #expect(try Self.phonemes("长辈") != Self.phonemes("zhang3 bei4"))
        #expect(try Self.phonemes("银行") != Self.phonemes("yin2 hang2"))
    }

    @Test("The self-test's screen step: the shipped voice speaks and the shipped pad reads 王 first; without espeak-ng (even after it spoke once), or with a stroke-order file cut short, each fails with what to do; with no handwriting.model the pad is skipped")
    func screenAidsSelfTest() async throws {
        let ui = ConfigTests.repositoryRoot + "/ui"
        let reading = try Phrasebooks.load(uiDirectory: ui).reading
        var config = KioskConfig(stateDirectory: temporaryDirectory())
        config.uiDirectory = ui
        let shipped = ScreenAids(config: config, speech: SpeechRenderer(reading: reading, synthesizer: ESpeakNG()), logger: Logger(label: "test"))
        #expect(shipped.health().map(\.status) == ["ok", "ok"], "\(shipped.health())")
        let items = await shipped.selfTest()
        #expect(items.map(\.outcome) == ["passed", "passed"], "\(items)")
        #expect(items.map(\.component) == ["speech", "handwriting"])
        #expect(items[1].detail.hasPrefix("read as 王 "), "\(items[1])")

        // espeak-ng removed after a self-test passed: the next one hears that, not the sentence kept from before.
        let espeak = temporaryDirectory() + "/espeak-ng"
        try FileManager.default.createSymbolicLink(atPath: espeak, withDestinationPath: "/usr/bin/espeak-ng")
        let removable = ScreenAids(config: config, speech: SpeechRenderer(reading: reading, synthesizer: ESpeakNG(executable: espeak)), logger: Logger(label: "test"))
        #expect(await removable.selfTest()[0].outcome == "passed")
        try FileManager.default.removeItem(atPath: espeak)
        #expect(await removable.selfTest()[0].outcome == "failed")

        // The page's files with the stroke orders cut short, and no espeak-ng where the renderer looks.
        let folder = temporaryDirectory()
        try #"{"orders": {"王": "#.write(toFile: folder + "/" + StrokeOrders.file, atomically: true, encoding: .utf8)
        config.uiDirectory = folder
        let broken = ScreenAids(config: config, speech: SpeechRenderer(reading: reading, synthesizer: ESpeakNG(executable: folder + "/espeak-ng")), logger: Logger(label: "test"))
        #expect(broken.pad == nil)
        #expect(broken.health().map(\.status) == ["missing", "error"])
        let failed = await broken.selfTest()
        #expect(failed.map(\.outcome) == ["failed", "failed"], "\(failed)")
        #expect(failed[0].detail.contains("install the espeak-ng package") && failed[0].fix?.hasPrefix("install espeak-ng") == true, "\(failed[0])")
        #expect(failed[1].detail.contains(folder + "/" + StrokeOrders.file) && failed[1].fix != nil, "\(failed[1])")

        config.handwritingModel = nil
        let none = ScreenAids(config: config, speech: SpeechRenderer(reading: reading, synthesizer: ESpeakNG()), logger: Logger(label: "test"))
        #expect(none.health()[1].status == "disabled")
        #expect(await none.selfTest()[1].outcome == "skipped")
    }

    @Test("A prompt starting with - is spoken, not taken by espeak-ng for an option")
    func dashIsText() async throws {
        let speech = SpeechRenderer(reading: try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui").reading, synthesizer: ESpeakNG())
        let wav = try await speech.wav(for: "--help is not an option", voice: "en")
        #expect(wav.count > 22_050, "a second or more of speech, not espeak-ng's help text")
    }

    @Test("The strings files: a typo stops kioskd with the file, line and key; an English file short of phrases says them in Chinese")
    func phrasebookFiles() throws {
        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder + "/strings", withIntermediateDirectories: true)
        let shipped = ConfigTests.repositoryRoot + "/ui/strings/"
        try FileManager.default.copyItem(atPath: shipped + "zh.json", toPath: folder + "/strings/zh.json")
        try FileManager.default.copyItem(atPath: shipped + "zh-readings.json", toPath: folder + "/strings/zh-readings.json")
        try #"{"back": "Back",\#n"say.savng": "Saving"}"#.write(toFile: folder + "/strings/en.json", atomically: true, encoding: .utf8)
        do {
            _ = try Phrasebooks.load(uiDirectory: folder)
            Issue.record("a misspelt phrase was accepted")
        } catch {
            #expect("\(error)" == "http.ui_dir: \(folder)/strings/en.json line 2, field say.savng: is not a phrase kioskd says (did you mean \"say.saving\"?)")
        }
        try #"{"say.saving": "Saving, one moment."}"#.write(toFile: folder + "/strings/en.json", atomically: true, encoding: .utf8)
        let books = try Phrasebooks.load(uiDirectory: folder)
        #expect(books["en"].render(SessionText(.saving)) == "Saving, one moment.")
        #expect(books["en"].render(SessionText(.ratingThanks)) == "感谢您的评价。")
        #expect(books["fr"].language == "zh")
        try FileManager.default.removeItem(atPath: folder + "/strings/zh.json")
        #expect(throws: StartupError.self) { try Phrasebooks.load(uiDirectory: folder) }
    }

    @Test("/healthz lists every component, each device with its status and what to do")
    func healthz() async throws {
        let folder = temporaryDirectory()
        let state = try StateDirectory(path: folder + "/state")
        let reader = DeviceConnection(
            identity: DeviceIdentity(kind: .idCardReader, model: "SS628", port: try DevicePort(parsing: "serial:\(folder)/absent")),
            logger: Logger(label: "test"))
        let supervisor = Task { await reader.run() }
        defer { supervisor.cancel() }
        let printerSettings = DeviceSettings(kind: .receiptPrinter, port: nil, model: "simulated")
        // No platform key installed, and no platform answering.
        var config = KioskConfig(stateDirectory: folder + "/state")
        config.platform.url = "http://127.0.0.1:\(TCPListening.unusedPort())"
        let uplink = try StationUplink(config: config, stateDirectory: state, logger: Logger(label: "test"))
        let services = try StationServices(config: config, stateDirectory: state.path, logger: Logger(label: "test"))
        // Neither espeak-ng nor the handwriting model where the configuration says.
        config.handwritingModel = folder + "/absent.model"
        let aids = ScreenAids(config: config, speech: SpeechRenderer(reading: try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui").reading, synthesizer: ESpeakNG(executable: folder + "/espeak-ng")), logger: Logger(label: "test"))
        let source = HealthSource(
            devices: [
                ("idcard_reader", reader, DeviceSettings(kind: .idCardReader, port: reader.identity.port, model: "SS628")),
                ("receipt_printer", nil, printerSettings),
            ],
            stateDirectory: state, services: services, uplink: uplink, notifier: SystemdNotifier(environment: [:]), aids: aids, startedAt: .now,
            listening: { "127.0.0.1:8080" })
        try await Task.sleep(for: .milliseconds(100))
        defer { Task { await uplink.close(logger: Logger(label: "test")) } }
        let app = Application(router: HTTPRoutes.router(health: { source.summary() }))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let summary = try JSONDecoder().decode(HealthSummary.self, from: Data(buffer: response.body))
                #expect(summary.status == "degraded")
                #expect(summary.version == KioskVersion.current)
                #expect(summary.components.map(\.name) == ["http", "state_dir", "systemd", "services", "outbox", "platform", "speech", "handwriting", "idcard_reader", "receipt_printer"])
                #expect(summary.components[3].status == "ok")
                #expect(summary.components[3].detail?.hasPrefix("catalogue 2026.11.1: 24 items, 3 bundles (sample data); holidays known for 2025, 2026; 0 agent(s)") == true)
                let outbox = summary.components[4]
                #expect(outbox.status == "no_platform_key")
                #expect(outbox.detail?.contains("0 queued") == true)
                #expect(outbox.detail?.contains("new applications are refused: cannot read the platform's public key \(folder)/state/sim/platform-public.pem: check platform.public_key") == true, "\(outbox.detail ?? "")")
                #expect(summary.components[5].status == "offline")
                #expect(summary.components[5].detail?.contains("not reached yet; applications queue and go when it answers") == true)
                #expect(summary.components[6].status == "missing")
                #expect(summary.components[6].detail == "the screens are silent: no espeak-ng at \(folder)/espeak-ng: install the espeak-ng package")
                #expect(summary.components[7].status == "error")
                #expect(summary.components[7].detail?.hasPrefix("no writing pad on the screen: ") == true)
                #expect(summary.components[7].detail?.contains("\(folder)/absent.model") == true, "\(summary.components[7].detail ?? "")")
                #expect(summary.components[7].detail?.contains("install tegaki-zinnia-simplified-chinese") == true)
                #expect(summary.components[7].detail?.hasSuffix("restart kioskd once that is done (the pad opens at start)") == true)
                let device = summary.components[8]
                #expect(device.status == "noDevice")
                #expect(device.port == "serial:\(folder)/absent")
                #expect(device.detail?.contains("check that the device is plugged in") == true)
                #expect(summary.components[9].status == "disabled")
                #expect(summary.components[1].status == "ok")
            }
        }
    }

    @Test("the state directory is created 0700 and locked: a second kioskd is refused with the first one's pid")
    func stateDirectoryLock() throws {
        let path = temporaryDirectory() + "/state"
        let first = try StateDirectory(path: path)
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o700)
        do {
            _ = try StateDirectory(path: path)
            Issue.record("a second owner took the state directory")
        } catch let error as StartupError {
            #expect(error.description.contains("another kioskd (pid \(getpid())) is already running"))
        }
        _ = first
    }

    @Test("an existing state directory is tightened at start: it and its folders 0700, its files 0600, a link's target left alone")
    func stateDirectoryTightened() throws {
        let path = temporaryDirectory() + "/state"
        let outside = temporaryDirectory() + "/outside.txt"
        try FileManager.default.createDirectory(atPath: path + "/attachments", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        chmod(path, 0o755)
        for file in [path + "/outbox.sqlite", path + "/attachments/page-1", outside] {
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644]))
        }
        try FileManager.default.createSymbolicLink(atPath: path + "/link", withDestinationPath: outside)
        let state = try StateDirectory(path: path)
        func mode(_ file: String) -> mode_t {
            var info = stat()
            stat(file, &info)
            return info.st_mode & 0o777
        }
        #expect(mode(path) == 0o700 && mode(path + "/attachments") == 0o700)
        #expect(mode(path + "/outbox.sqlite") == 0o600 && mode(path + "/kioskd.lock") == 0o600)
        #expect(mode(outside) == 0o644, "a link out of the state directory was followed")
        _ = state
    }

    @Test("systemd notifications reach NOTIFY_SOCKET, for a path and for an abstract socket")
    func systemdNotify() throws {
        for abstract in [false, true] {
            let name = abstract ? "@kioskd-test-\(UUID().uuidString.prefix(8))" : temporaryDirectory() + "/notify"
            let receiver = try DatagramSocket(path: name)
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "4000000"])
            #expect(notifier.watchdogInterval == .seconds(2))
            notifier.notify("READY=1\nSTATUS=serving")
            #expect(receiver.receive() == "READY=1\nSTATUS=serving")
        }
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "100", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
        #expect(!SystemdNotifier(environment: [:]).isActive)
    }

    @Test("the watchdog's keep-alive carries STATUS= when a part is in trouble: once when it begins, again when it changes, not with every keep-alive")
    func watchdogSaysTrouble() async throws {
        let name = temporaryDirectory() + "/notify"
        let receiver = try DatagramSocket(path: name)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "40000"])
        let trouble = Mutex<String?>(nil)
        let ready = Latch()
        ready.open()
        let group = ServiceGroup(services: [notifier.watchdogService(ready: ready, status: { trouble.withLock { $0 } }, logger: Logger(label: "test"))],
                                 logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        /// The next `count` notifications.
        func next(_ count: Int) -> [String] { (0..<count).compactMap { _ in receiver.receive(within: .seconds(2)) } }
        #expect(next(3) == Array(repeating: "WATCHDOG=1", count: 3))
        trouble.withLock { $0 = "serving; speech stuck: espeak-ng was stopped" }
        let said = next(4)
        #expect(said.filter { $0.hasPrefix("WATCHDOG=1\nSTATUS=") } == ["WATCHDOG=1\nSTATUS=serving; speech stuck: espeak-ng was stopped"], "\(said)")
        #expect(said.last == "WATCHDOG=1", "the status is said once, then plain keep-alives: \(said)")
        trouble.withLock { $0 = "serving; speech stuck: again" }
        #expect(next(4).contains("WATCHDOG=1\nSTATUS=serving; speech stuck: again"))
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test("graceful shutdown lets an in-flight command run for the grace period, then cancels it and closes the port")
    func gracefulShutdownOfDevices() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/reader")
        let serving = Task { await wire.serve(SilentDevice()) }
        defer {
            wire.stop()
            serving.cancel()
        }
        let device = DeviceConnection(
            identity: DeviceIdentity(kind: .idCardReader, model: "test", port: try DevicePort(parsing: wire.portString)),
            logger: Logger(label: "test"))
        let service = DevicesService(devices: [device], grace: .milliseconds(300), logger: Logger(label: "test"))
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        while device.status.state != .online { try await Task.sleep(for: .milliseconds(10)) }

        let finishes = device.perform("quick read", timeout: .seconds(5)) { _ in
            try await Task.sleep(for: .milliseconds(100))
            return "done"
        }
        let tooLong = device.perform("waits for a card that never comes", timeout: .seconds(60)) { transport in
            try await transport.read(maxCount: 1, deadline: .now + .seconds(60))
        }
        let clock = ContinuousClock()
        let start = clock.now
        await group.triggerGracefulShutdown()
        try await running.value
        // The stuck read is canceled at the 300 ms grace, not left to its 60 s
        // timeout (a loaded machine takes a second or two to get there).
        #expect(clock.now - start < .seconds(20))
        guard case .success("done") = await finishes.completion else {
            Issue.record("the in-flight command did not finish within the grace period")
            return
        }
        #expect(await tooLong.completion.outcome == "shutting_down")
        #expect(device.status.state == .offline)
        #expect(device.status.message == "kioskd stopped")
    }
}

@Suite("我的办件's words for each state of a case")
struct CaseSummaryTests {
    let number = TrackingNumber(station: "340104001", date: CalendarDate(year: 2026, month: 11, day: 27)!, sequence: 1)

    func application(_ state: ApplicationState, status: String? = nil, detail: String? = nil) throws -> QueuedApplication {
        QueuedApplication(trackingNumber: number, idempotencyKey: "k", serviceCode: "0500012000",
                          serviceName: "高龄津贴申领", applicantMasked: "张*兰", state: state, createdAt: 0, attempts: 0, nextAttemptAt: nil, lastError: nil,
                          caseNumber: status == nil ? nil : "AH3401042026112700001", platformStatus: status, platformStatusDetail: detail, bytes: 0,
                          sealedPayloadPresent: true, problem: nil)
    }

    @Test("Waiting at the station, refused for good, and the platform's 退回 with its reason as it came")
    func words() throws {
        let queued = CaseSummary(try application(.queued))
        #expect(queued.status == SessionText(.caseQueued) && queued.detail == SessionText(.caseQueuedDetail))
        let dead = CaseSummary(try application(.deadLetter))
        #expect(dead.status == SessionText(.caseDeadLetter) && dead.detail == SessionText(.caseDeadLetterDetail))
        let returned = CaseSummary(try application(.acknowledged, status: "退回", detail: "户口簿首页不清晰，请补交"))
        #expect(returned.status == SessionText(.caseReturned) && returned.detail == .asGiven("户口簿首页不清晰，请补交") && returned.caseNumber == "AH3401042026112700001")
        #expect(returned.applicantMasked == "张*兰" && returned.trackingNumber == number.value)
        #expect(CaseSummary(try application(.acknowledged)).status == SessionText(.caseAccepted), "acknowledged with no status yet: 受理")
    }
}

@Suite("The station's certificate and the platform's faults, as a maintainer sees them")
struct PlatformHealthTests {
    @Test("a warning from 30 days before the station's client certificate expires, and once it has")
    func certificateExpiry() {
        let now = Date(timeIntervalSince1970: 1_795_744_800)  // 2026-11-27 10:00 China time
        let fine = StationUplink.certificateHealth(expiry: now.addingTimeInterval(60 * 86_400), now: now)
        #expect(fine.status == "ok" && fine.detail?.contains("valid until 2027-01-26") == true, "\(fine)")
        let soon = StationUplink.certificateHealth(expiry: now.addingTimeInterval(10 * 86_400 + 3600), now: now)
        #expect(soon.status == "expiring" && soon.detail?.contains("expires on 2026-12-07, in 10 day(s): ask the platform operator for a new one now") == true, "\(soon)")
        #expect(!soon.isHealthy)
        let gone = StationUplink.certificateHealth(expiry: now.addingTimeInterval(-86_400), now: now)
        #expect(gone.status == "expired" && gone.detail?.contains("expired on 2026-11-26") == true, "\(gone)")
    }

    @Test("the platform's faults are counted by kind in /metrics")
    func faultMetrics() {
        let metrics = KioskMetrics()
        metrics.forwarder(.platformFault(kind: "redirect"))
        metrics.forwarder(.platformFault(kind: "redirect"))
        metrics.forwarder(.platformFault(kind: "bad_offset"))
        let text = metrics.exposition()
        #expect(text.contains(#"kioskd_platform_faults_total{kind="redirect"} 2"#), "\(text)")
        #expect(text.contains(#"kioskd_platform_faults_total{kind="bad_offset"} 1"#))
    }
}

