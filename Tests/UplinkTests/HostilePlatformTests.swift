import Foundation
import HardwareSim
import KioskCore
import Logging
@testable import Outbox
import Synchronization
import SystemIO
import OutboxTestSupport
import Testing
import TestSupport
@testable import Uplink

/// Log lines as a test reads them.
final class LogRecord: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in RecordingHandler(record: self) }
    }

    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    struct RecordingHandler: LogHandler {
        let record: LogRecord
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            record.lines.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }
}

/// An outbox, a platform that lies on command, a decoy that must never hear
/// from the station, and a forwarder whose events are counted.
struct HostileRig {
    let outbox: Outbox
    let platform: PlatformSimulator
    let decoy: PlatformSimulator
    let client: HTTPPlatformClient
    let forwarder: Forwarder
    let log = LogRecord()

    init() throws {
        let folder = temporaryDirectory("hostile")
        outbox = try openOutbox(folder + "/outbox")
        platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        decoy = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/decoy", port: TCPListening.unusedPort())
        try platform.start()
        try decoy.start()
        // A short budget: 1 s, then at least 8 KB a second.
        client = try HTTPPlatformClient(baseURL: platform.url, tls: nil, timeout: .seconds(1), minimumRate: 8 * 1024)
        var settings = Forwarder.Settings()
        settings.baseDelay = 4
        settings.probeInitial = 0.1
        settings.probeCap = 0.3
        let events = EventBox()
        self.eventBox = events
        forwarder = Forwarder(outbox: outbox, platform: client, settings: settings, random: { 0.5 }, observe: { event in events.add(event) }, logger: log.logger)
    }

    final class EventBox: Sendable {
        let events = Mutex<[Forwarder.Event]>([])
        func add(_ event: Forwarder.Event) { events.withLock { $0.append(event) } }
        var faults: [String] {
            events.withLock { $0.compactMap { if case .platformFault(let kind) = $0 { kind } else { nil } } }
        }
    }
    let eventBox: EventBox

    func control(_ words: String) async -> String? {
        await platform.control(words.split(separator: " "))
    }

    func stop() async {
        platform.stop()
        decoy.stop()
        await client.shutdown()
        try? outbox.close()
    }
}

@Suite("A platform that lies: no redirect followed, no offset believed, no answer waited for forever", .serialized, .timeLimit(.minutes(3)))
struct HostilePlatformTests {
    @Test("each lie: no crash, nothing acknowledged, the attempt bounded, backoff in the log and the metrics; then the genuine platform gets it once",
          arguments: [
              ("redirect 301 DECOY", "redirect"), ("redirect 302 DECOY", "redirect"), ("redirect 307 DECOY", "redirect"), ("redirect 308 DECOY", "redirect"),
              // 304 answers a conditional GET only; to an upload or a submission it is a lie, not a refusal.
              ("redirect 304 DECOY", "garbage"),
              ("offset negative", "bad_offset"), ("offset too-large", "bad_offset"), ("offset stuck", "no_progress"),
              ("drip 300", "too_slow"), ("oversize", "too_large"), ("garbage 100", "bad_offset"),
          ])
    func lie(_ fault: String, _ kind: String) async throws {
        let rig = try HostileRig()
        let armed = await rig.control(fault.replacingOccurrences(of: "DECOY", with: rig.decoy.url))
        #expect(armed?.hasPrefix("ok") == true, "\(armed ?? "")")
        let tracking = try await rig.outbox.enqueue(submission(pages: 2, pageBytes: 5000))
        let started = ContinuousClock.now
        await rig.forwarder.forward(tracking)
        let took = ContinuousClock.now - started
        #expect(took < .seconds(8), "one attempt took \(took)")
        let application = try #require(try rig.outbox.application(tracking))
        #expect(application.state == .queued && application.caseNumber == nil, "\(application.state)")
        #expect(application.lastError?.contains("the platform broke the API") == true, "\(application.lastError ?? "")")
        #expect((application.nextAttemptAt ?? 0) > Date().timeIntervalSince1970 + 1, "backoff: the next attempt is not at once")
        #expect(rig.eventBox.faults == [kind], "\(rig.eventBox.faults)")
        #expect(rig.log.contains("retrying in 2 s"), "\(rig.log.lines.withLock { $0 })")
        #expect(rig.decoy.requestCount == 0, "the station talked to the host it was redirected to")
        // A lie about an upload stops it before the submission; an answer too slow or too large may follow a commit the station then never believed.
        #expect(rig.platform.accepted == (["too_slow", "too_large"].contains(kind) ? 1 : 0))

        _ = await rig.control("clear")
        #expect(try rig.outbox.retry(tracking))
        await rig.forwarder.forward(tracking)
        #expect(try rig.outbox.application(tracking)?.state == .acknowledged)
        #expect(rig.platform.acceptances[tracking.value] == 1)
        await rig.stop()
    }

    @Test("an envelope moved to another tracking number or station in transit does not open at the platform: refused, and the genuine one is taken once")
    func envelopeMoved() async throws {
        let rig = try HostileRig()
        let tracking = try await rig.outbox.enqueue(submission(pages: 1, pageBytes: 2000))
        let upload = try #require(try rig.outbox.upload(tracking))
        for attachment in upload.attachments {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: attachment.path))
            _ = try await rig.client.append(key: upload.idempotencyKey, index: attachment.position, offset: 0, total: attachment.bytes, chunk: bytes)
        }
        let genuine = try JSONSerialization.jsonObject(with: Forwarder.manifest(for: upload)) as! [String: Any]
        let day = CalendarDate(year: 2026, month: 12, day: 3)!
        let anotherNumber = TrackingNumber(station: tracking.station, date: day, sequence: tracking.sequence + 7)
        // Another station's own number, so that only the seal can tell.
        let anotherStation = TrackingNumber(station: "340104002", date: day, sequence: tracking.sequence)
        for (field, moves) in [("tracking_number", ["tracking_number": anotherNumber.value]),
                               ("station_code", ["station_code": "340104002", "tracking_number": anotherStation.value])] {
            var moved = genuine
            moved.merge(moves) { $1 }
            let body = try JSONSerialization.data(withJSONObject: moved)
            do {
                _ = try await rig.client.submit(key: upload.idempotencyKey, body: body)
                Issue.record("the platform took an envelope with its \(field) changed")
            } catch {
                guard case .final(422, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.contains("does not open with the platform's key"), "\(reason)")
            }
        }
        #expect(rig.platform.accepted == 0)
        _ = try await rig.client.submit(key: upload.idempotencyKey, body: try Forwarder.manifest(for: upload))
        #expect(rig.platform.acceptances == [tracking.value: 1])
        await rig.stop()
    }

    @Test("Retry-After from the platform is read as whole seconds and at most a day: 1e300, -5 and inf are no delay at all")
    func retryAfter() {
        #expect(HTTPPlatformClient.retryAfter("120") == 120)
        #expect(HTTPPlatformClient.retryAfter("999999999") == 86_400)
        for lie in ["1e300", "-5", "inf", "nan", "12.5", "", "Fri, 27 Nov 2026 05:22:16 GMT"] { #expect(HTTPPlatformClient.retryAfter(lie) == nil, "\(lie)") }
    }

    @Test("a host is loopback only as an address: 127.attacker.example is not")
    func loopback() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] { #expect(isLoopbackHost(host), "\(host)") }
        for host in ["127.attacker.example", "127.0.0.1.example", "1270.0.0.1", "127.0.0.256", "10.0.0.1", "localhost.example"] { #expect(!isLoopbackHost(host), "\(host)") }
        #expect(throws: PlatformConfigurationError.self) { try HTTPPlatformClient(baseURL: "http://127.attacker.example:8091", tls: nil) }
    }
}
