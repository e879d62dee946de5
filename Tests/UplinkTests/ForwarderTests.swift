import Crypto
import Foundation
import HardwareSim
import KioskCore
import Logging
@testable import Outbox
import Synchronization
import OutboxTestSupport
import Testing
import TestSupport
@testable import Uplink

/// A platform simulator with the test platform key, and a forwarder on an outbox.
struct UplinkRig {
    let folder: String
    let outbox: Outbox
    let platform: PlatformSimulator
    let client: HTTPPlatformClient
    let forwarder: Forwarder

    init(platformKey: Curve25519.KeyAgreement.PrivateKey = platformPrivateKey, start: Bool = true, chunkSize: Int = 4096, seed: UInt64 = 1) throws {
        folder = temporaryDirectory("uplink")
        outbox = try openOutbox(folder + "/outbox")
        platform = try PlatformSimulator(privateKey: .x25519(platformKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort(), seed: seed)
        if start { try platform.start() }
        client = try HTTPPlatformClient(baseURL: platform.url, tls: nil, timeout: .seconds(2))
        var settings = Forwarder.Settings()
        settings.baseDelay = 0.02
        settings.maxDelay = 0.3
        settings.chunkSize = chunkSize
        settings.probeInitial = 0.1
        settings.probeCap = 1
        settings.statusSyncInterval = 3600
        var generator = SplitMix64(seed: seed)
        let numbers = (0..<4096).map { _ in Double(generator.next() % 1000) / 1000 }
        let random = ReplayedRandom(numbers)
        forwarder = Forwarder(outbox: outbox, platform: client, settings: settings, random: { random.next() }, logger: Logger(label: "test"))
    }

    /// Runs the forwarder until every application is acknowledged or dead, or `timeout` passes.
    func forwardAll(timeout: Duration = .seconds(120)) async -> Bool {
        let running = Task { await forwarder.run() }
        let done = await eventually(within: timeout) { (try? outbox.summary())?.counts[.queued, default: 0] == 0 }
        // Stopped and finished: no request of its round reaches the platform after this returns.
        forwarder.stop()
        await running.value
        return done
    }

    /// What the platform saved for an application.
    func received(_ tracking: TrackingNumber, attachment index: Int) -> [UInt8]? {
        FileManager.default.contents(atPath: "\(folder)/platform/\(tracking.value)/attachment-\(index)").map { [UInt8]($0) }
    }
}

@Suite("Forwarding to the platform", .serialized, .timeLimit(.minutes(5)))
struct ForwarderTests {
    @Test("queued applications reach the platform, which opens them; attachments arrive byte-identical; case numbers come back")
    func forwards() async throws {
        let rig = try UplinkRig()
        var sent: [(TrackingNumber, ApplicationSubmission)] = []
        for index in 0..<5 {
            let application = submission(pages: 2, pageBytes: 20_000, seed: UInt8(index))
            sent.append((try await rig.outbox.enqueue(application), application))
        }
        #expect(await rig.forwardAll())
        #expect(rig.platform.accepted == 5)
        for (tracking, application) in sent {
            let row = try #require(try rig.outbox.application(tracking))
            #expect(row.state == .acknowledged)
            #expect(row.caseNumber?.hasPrefix("AH") == true)
            for (index, page) in application.attachments.enumerated() { #expect(rig.received(tracking, attachment: index) == page.data) }
            let payload = try #require(FileManager.default.contents(atPath: "\(rig.folder)/platform/\(tracking.value)/payload.json"))
            #expect(String(decoding: payload, as: UTF8.self).contains("340104195803120519"))
        }
        rig.platform.stop()
    }

    @Test("the platform's key: the simulator makes an X25519 pair kioskd reads; a P-256 key file still seals and opens; a file that is neither is refused")
    func platformKeyFiles() async throws {
        let folder = temporaryDirectory()
        let made = try PlatformSimulator.keyPair(privateKeyPath: folder + "/key.pem", publicKeyPath: folder + "/public.pem")
        guard case .x25519 = made else { Issue.record("the simulator made a P-256 key, not X25519"); return }
        let publicPEM = try String(contentsOfFile: folder + "/public.pem", encoding: .utf8)
        _ = try PlatformSimulator.keyPair(privateKeyPath: folder + "/key.pem", publicKeyPath: folder + "/public.pem")
        #expect(try String(contentsOfFile: folder + "/public.pem", encoding: .utf8) == publicPEM, "the kept key is read back, not replaced")
        let refused = #expect(throws: OutboxError.self) { try PlatformPublicKey(pemFile: folder + "/key.pem") }  // the private half is no public key
        #expect(refused.map { "\($0)" }?.contains("is not an X25519 or P-256 public key in PEM form: ask the platform operator for the right file") == true)

        // A platform that still holds a P-256 key.
        try P256.KeyAgreement.PrivateKey().pemRepresentation.write(toFile: folder + "/p256-key.pem", atomically: true, encoding: .utf8)
        let key = try PlatformSimulator.keyPair(privateKeyPath: folder + "/p256-key.pem", publicKeyPath: folder + "/p256-public.pem")
        let outbox = try Outbox(directory: folder + "/outbox", platformKey: PlatformPublicKey(pemFile: folder + "/p256-public.pem"),
                                settings: .init(stationCode: "340104001"))
        let platform = try PlatformSimulator(privateKey: key, outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        try platform.start()
        defer { platform.stop() }
        let tracking = try await outbox.enqueue(submission(pages: 1))
        let envelope = try #require(try outbox.upload(tracking)).envelope
        #expect(String(decoding: envelope, as: UTF8.self).contains(#""suite":"P256_SHA256_AES_GCM_256""#))
        await Forwarder(outbox: outbox, platform: try HTTPPlatformClient(baseURL: platform.url, tls: nil), logger: Logger(label: "test")).forward(tracking)
        #expect(try outbox.application(tracking)?.state == .acknowledged)
        let payload = try #require(FileManager.default.contents(atPath: "\(folder)/platform/\(tracking.value)/payload.json"))
        #expect(String(decoding: payload, as: UTF8.self).contains("340104195803120519"))
    }

    @Test("exactly once: with 20% of answers lost after commit, 10% 5xx and 10% uploads reset, 500 applications land exactly 500 times, byte-identical")
    func exactlyOnce() async throws {
        let rig = try UplinkRig(chunkSize: 2048, seed: 42)
        var faults = PlatformSimulator.Faults()
        faults.dropAfterCommitPercent = 20
        faults.failPercent = 10
        faults.failStatus = 503
        faults.resetPercent = 10
        faults.throttlePercent = 2
        faults.garbagePercent = 2
        rig.platform.setFaults(faults)
        var sent: [(TrackingNumber, [UInt8])] = []
        for index in 0..<500 {
            let application = submission(pages: 1, pageBytes: 3000 + index, seed: UInt8(truncatingIfNeeded: index))
            sent.append((try await rig.outbox.enqueue(application), application.attachments[0].data))
        }
        #expect(await rig.forwardAll(timeout: .seconds(240)))
        #expect(rig.platform.accepted == 500, "the platform accepted \(rig.platform.accepted) applications for 500 sent")
        #expect(try rig.outbox.summary().counts[.acknowledged] == 500)
        var identical = 0
        for (tracking, page) in sent where rig.received(tracking, attachment: 0) == page { identical += 1 }
        #expect(identical == 500)
        rig.platform.stop()
    }

    @Test("faults and clear on the platform's control socket: the failing answers are listed, then disarmed, and what waited goes through")
    func clearOnControlSocket() async throws {
        let rig = try UplinkRig()
        let control = try ControlServer(path: rig.folder + "/platform.control", wire: NoWire(), deviceCommands: rig.platform.control)
        let serving = Task { await control.serve() }
        let forwarding = Task { await rig.forwarder.run() }
        defer {
            rig.forwarder.stop()
            forwarding.cancel()
            control.stop()
            serving.cancel()
            rig.platform.stop()
        }
        #expect(try await ControlClient.send("fail 100 503", to: control.path).hasPrefix("ok"))
        #expect(try await ControlClient.send("faults", to: control.path) == "ok: 100% answer 503")
        let tracking = try await rig.outbox.enqueue(submission(pages: 1, pageBytes: 1000))
        try await Task.sleep(for: .seconds(1))
        #expect(try rig.outbox.application(tracking)?.state == .queued, "every answer is a 503, yet the application went")
        #expect(try await ControlClient.send("clear", to: control.path) == "ok: faults cleared")
        #expect(try await ControlClient.send("faults", to: control.path) == "ok: none")
        #expect(await eventually(within: .seconds(10)) { (try? rig.outbox.application(tracking))?.state == .acknowledged })
    }

    @Test("a slow platform (300 ms an answer) is waited for, not retried: every application goes on its first attempt")
    func slowPlatform() async throws {
        let rig = try UplinkRig(chunkSize: 1 << 20)
        var faults = PlatformSimulator.Faults()
        faults.slow = .milliseconds(300)
        rig.platform.setFaults(faults)
        var sent: [TrackingNumber] = []
        for index in 0..<3 { sent.append(try await rig.outbox.enqueue(submission(pages: 1, pageBytes: 50_000, seed: UInt8(index)))) }
        #expect(await rig.forwardAll(timeout: .seconds(30)))
        for tracking in sent {
            let row = try #require(try rig.outbox.application(tracking))
            #expect(row.state == .acknowledged)
            #expect(row.attempts == 0, "\(tracking) was retried: \(row.lastError ?? "")")
        }
        #expect(rig.platform.accepted == 3)
        rig.platform.stop()
    }

    @Test("Retry-After is a minimum: a 503 asking for 3 s puts the next attempt at least 3 s out")
    func retryAfter() async throws {
        let rig = try UplinkRig()
        var faults = PlatformSimulator.Faults()
        faults.failPercent = 100
        faults.failRetryAfter = 3
        rig.platform.setFaults(faults)
        let tracking = try await rig.outbox.enqueue(submission(pages: 1))
        await rig.forwarder.forward(tracking)
        let row = try #require(try rig.outbox.application(tracking))
        #expect(row.state == .queued)
        #expect(row.attempts == 1)
        #expect((row.nextAttemptAt ?? 0) - Date().timeIntervalSince1970 >= 2.5)
        #expect(row.lastError?.contains("503") == true)
        rig.platform.stop()
    }

    @Test("a final refusal moves the application to the dead letters with the platform's reason; retry sends it once the cause is fixed")
    func deadLetter() async throws {
        let wrongKey = Curve25519.KeyAgreement.PrivateKey()
        let rig = try UplinkRig(platformKey: wrongKey)
        let tracking = try await rig.outbox.enqueue(submission(pages: 1))
        await rig.forwarder.forward(tracking)
        let dead = try #require(try rig.outbox.application(tracking))
        #expect(dead.state == .deadLetter)
        #expect(dead.lastError?.contains("the envelope does not open with the platform's key") == true)
        #expect(try rig.outbox.due().isEmpty, "a dead letter is not retried by itself")
        rig.platform.stop()

        // The cause fixed (the right platform): a maintainer retries it.
        let fixed = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: rig.folder + "/platform2", port: TCPListening.unusedPort())
        try fixed.start()
        let forwarder = Forwarder(outbox: rig.outbox, platform: try HTTPPlatformClient(baseURL: fixed.url, tls: nil), logger: Logger(label: "test"))
        #expect(try rig.outbox.retry(tracking))
        await forwarder.forward(tracking)
        #expect(try rig.outbox.application(tracking)?.state == .acknowledged)
        #expect(fixed.accepted == 1)
        fixed.stop()
    }

    @Test("offline, then online: 200 applications queue while the platform is down; the first upload starts within 10 s of it coming up, and all arrive")
    func offlineThenOnline() async throws {
        let rig = try UplinkRig(start: false)
        for index in 0..<200 { _ = try await rig.outbox.enqueue(submission(pages: 1, pageBytes: 1000, seed: UInt8(truncatingIfNeeded: index))) }
        let running = Task { await rig.forwarder.run() }
        defer {
            rig.forwarder.stop()
            running.cancel()
        }
        #expect(await eventually(within: .seconds(10)) { !rig.forwarder.linkUp })
        try await Task.sleep(for: .seconds(2))  // down for a while
        #expect(try rig.outbox.summary().counts[.queued] == 200)
        let cameUp = ContinuousClock.now
        try rig.platform.start()
        #expect(await eventually(within: .seconds(10)) { rig.platform.firstUploadAt != nil })
        let firstUpload = try #require(rig.platform.firstUploadAt)
        #expect(firstUpload - cameUp < .seconds(10))
        #expect(await eventually(within: .seconds(120)) { (try? rig.outbox.summary())?.counts[.queued, default: 0] == 0 })
        #expect(rig.platform.accepted == 200)
        print("offline → online: first upload \(firstUpload - cameUp) after the platform came up")
        rig.platform.stop()
    }

    @Test("status updates come from the platform; acknowledged payloads are purged after a while, rows after the retention")
    func statusAndPurge() async throws {
        let clock = TestClock(start: Date().timeIntervalSince1970)
        let folder = temporaryDirectory()
        var settings = Outbox.Settings(stationCode: "340104001")
        settings.now = { clock.now }
        settings.purgeAfter = 3600
        settings.retention = 90 * 86400
        let outbox = try Outbox(directory: folder, platformKey: PlatformPublicKey(platformPrivateKey.publicKey), settings: settings)
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        try platform.start()
        let forwarder = Forwarder(outbox: outbox, platform: try HTTPPlatformClient(baseURL: platform.url, tls: nil), logger: Logger(label: "test"))
        let tracking = try await outbox.enqueue(submission(pages: 2))
        let files = try #require(try outbox.upload(tracking)).attachments.map(\.path)
        await forwarder.forward(tracking)
        #expect(try outbox.application(tracking)?.platformStatus == "受理")

        platform.setStatus(tracking.value, "退回", detail: "户口簿照片不清晰，请重新扫描")
        await forwarder.syncEvents()
        let returned = try #require(try outbox.application(tracking))
        #expect(returned.platformStatus == "退回")
        #expect(returned.platformStatusDetail == "户口簿照片不清晰，请重新扫描")

        #expect(try outbox.purge() == (0, 0))
        clock.advance(3601)
        #expect(try outbox.purge() == (1, 0))
        let purged = try #require(try outbox.application(tracking))
        #expect(!purged.sealedPayloadPresent)
        #expect(purged.caseNumber != nil)
        #expect(files.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        clock.advance(90 * 86400)
        #expect(try outbox.purge() == (0, 1))
        #expect(try outbox.application(tracking) == nil)
        platform.stop()
    }
}

@Suite("Ratings (好差评) reach the platform once the case has its number", .serialized, .timeLimit(.minutes(2)))
struct RatingForwardingTests {
    @Test("A rating waits while offline and for the case number, then goes once; a second rating of the case is ignored")
    func ratings() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        let outbox = try openOutbox(folder + "/outbox")
        let tracking = try await outbox.enqueue(submission(pages: 1))
        try outbox.recordRating(Rating(trackingNumber: tracking.value, level: .dissatisfied, reasons: ["等待时间长"], at: 1_795_744_800))
        try outbox.recordRating(Rating(trackingNumber: tracking.value, level: .verySatisfied, reasons: [], at: 1_795_744_900))
        #expect(try outbox.ratingsToSend().isEmpty, "no case number yet")

        // The platform comes up: the application goes, then its rating.
        try platform.start()
        defer { platform.stop() }
        let (client, forwarder) = try forwarding(outbox, to: platform)
        defer { forwarder.stop() }
        #expect(await eventually(within: .seconds(20)) { platform.ratingsReceived.count == 1 })
        let sent = try #require(platform.ratingsReceived.first)
        #expect(sent.caseNumber == (try outbox.application(tracking))?.caseNumber)
        #expect(sent.satisfaction == 4 && sent.reasons == ["等待时间长"] && sent.ratedAt == "20261127T100000")
        #expect(sent.channel == "5", "评价渠道 5: 政务大厅自助终端")
        #expect(await eventually(within: .seconds(5)) { (try? outbox.ratingsToSend())?.isEmpty == true })
        #expect(try outbox.auditEntries(trackingNumber: tracking.value).map(\.action).contains("rating_sent"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(platform.ratingsReceived.count == 1, "sent once")
        await client.shutdown()
    }

    @Test("A rating's comment waits sealed (not in the database in the clear) and the platform opens it; reasons go as chosen")
    func sealedComment() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        let outbox = try openOutbox(folder + "/outbox")
        let tracking = try await outbox.enqueue(submission(pages: 1))
        let comment = "窗口的王姐很耐心，电话13912345678"
        try outbox.recordRating(Rating(trackingNumber: tracking.value, level: .satisfied, reasons: ["操作简单", "一次办成"], comment: comment, at: 1_795_744_800))
        try outbox.close()
        for file in try FileManager.default.contentsOfDirectory(atPath: folder + "/outbox") where file.hasPrefix("outbox.sqlite") {
            let bytes = try #require(FileManager.default.contents(atPath: folder + "/outbox/" + file))
            #expect(bytes.range(of: Data(comment.utf8)) == nil && bytes.range(of: Data("13912345678".utf8)) == nil, "\(file) holds the comment in the clear")
        }
        let reopened = try openOutbox(folder + "/outbox")
        try platform.start()
        defer { platform.stop() }
        let (client, forwarder) = try forwarding(reopened, to: platform)
        defer { forwarder.stop() }
        #expect(await eventually(within: .seconds(20)) { platform.ratingsReceived.count == 1 })
        let sent = try #require(platform.ratingsReceived.first)
        #expect(sent.satisfaction == 2 && sent.reasons == ["操作简单", "一次办成"] && sent.comment == comment)
        await client.shutdown()
    }

    /// A forwarder running from `outbox` to `platform`, probing the link often.
    func forwarding(_ outbox: Outbox, to platform: PlatformSimulator) throws -> (HTTPPlatformClient, Forwarder) {
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        var settings = Forwarder.Settings()
        settings.probeInitial = 0.1
        settings.probeCap = 0.3
        let forwarder = Forwarder(outbox: outbox, platform: client, settings: settings, logger: Logger(label: "test"))
        Task { await forwarder.run() }
        return (client, forwarder)
    }
}

@Suite("The receipt printer's journal in the outbox")
struct ReceiptJournalTests {
    @Test("which receipts printed, and which failed part-way, outlives a restart; a purge forgets those of purged applications")
    func journal() throws {
        let folder = temporaryDirectory()
        let outbox = try openOutbox(folder + "/outbox")
        outbox.record("340104001-20261127-0001-5", .printed)
        outbox.record("340104001-20261127-0002-3", .unprinted)
        #expect(outbox.state(of: "340104001-20261127-0003-1") == nil)
        try outbox.close()
        let reopened = try openOutbox(folder + "/outbox")
        #expect(reopened.state(of: "340104001-20261127-0001-5") == .printed)
        #expect(reopened.state(of: "340104001-20261127-0002-3") == .unprinted)
        try reopened.purge()
        #expect(reopened.state(of: "340104001-20261127-0001-5") == nil, "no such application: forgotten")
    }
}

@Suite("The platform's clock")
struct PlatformClockTests {
    @Test("an HTTP Date (IMF-fixdate) is read without ICU; anything else is no date")
    func httpDate() {
        #expect(HTTPPlatformClient.httpDate("Fri, 27 Nov 2026 05:22:16 GMT")?.timeIntervalSince1970 == 1_795_756_936)
        #expect(HTTPPlatformClient.httpDate("Thu, 01 Jan 1970 00:00:00 GMT")?.timeIntervalSince1970 == 0)
        for bad in ["", "Fri, 27 Nov 2026 05:22:16 CST", "Fri, 31 Feb 2026 05:22:16 GMT", "Fri, 27 Nox 2026 05:22:16 GMT", "Fri, 27 Nov 2026 05:22 GMT", "1795756936"] {
            #expect(HTTPPlatformClient.httpDate(bad) == nil, "\(bad)")
        }
    }

    @Test("a Date whose numbers would overflow, or that is out of range or oddly spaced, is no date: never a trap")
    func hostileDates() {
        for bad in ["Thu, 01 Jan 2026 9223372036854775807:00:00 GMT", "Thu, 01 Jan 9223372036854775807 00:00:00 GMT", "Thu, 9223372036854775807 Jan 2026 00:00:00 GMT",
                    "Thu, 01 Jan 2026 99:00:00 GMT", "Thu, 01 Jan 2026 00:61:00 GMT", "Thu, 01 Jan 2026 -1:00:00 GMT", "Thu, 01 Jan 2026 +1:00:00 GMT",
                    "Thu, 1 Jan 2026 00:00:00 GMT", "Thu, 01 Jan 26 00:00:00 GMT", "Thu, 01 Jan 0001 00:00:00 GMT", "Thu,  01 Jan 2026 00:00:00 GMT",
                    "Thu, 01 Jan 2026 00:00:00:00 GMT", "Thu, 01 Jan 2026 0x:00:00 GMT", "Thu, ٠١ Jan 2026 00:00:00 GMT"] {
            #expect(HTTPPlatformClient.httpDate(bad) == nil, "\(bad)")
        }
        #expect(HTTPPlatformClient.httpDate("Thu, 31 Dec 9999 23:59:60 GMT") != nil)
    }
}

/// The forwarder's random source in a test: a fixed list of numbers in [0, 1), replayed in a loop.
final class ReplayedRandom: Sendable {
    private let numbers: [Double]
    private let index = Mutex(0)
    init(_ numbers: [Double]) { self.numbers = numbers }
    func next() -> Double {
        index.withLock { index in
            defer { index = (index + 1) % numbers.count }
            return numbers[index]
        }
    }
}
