import Foundation
import HardwareSim
import KioskCore
import Logging
@testable import Outbox
import TestSupport
import OutboxTestSupport
import Testing
@testable import Uplink

/// An outbox whose highest issued number is kept in `state/issued`, as kioskd keeps it.
func openMarkedOutbox(_ state: String) throws -> Outbox {
    var settings = Outbox.Settings(stationCode: "340104001")
    settings.issuedMarkPath = state + "/issued"
    return try Outbox(directory: state + "/outbox", platformKey: PlatformPublicKey(platformPrivateKey.publicKey), settings: settings)
}

@Suite("An outbox that went back issues no number twice", .serialized, .timeLimit(.minutes(2)))
struct IssuedMarkTests {
    func sequence(_ number: TrackingNumber) -> Int { Int(number.value.split(separator: "-")[2]) ?? 0 }

    @Test("emptied: nothing new is accepted and kioskd is told why; after accept-loss the next number is above every one issued")
    func emptied() async throws {
        let state = temporaryDirectory()
        let first = try openMarkedOutbox(state)
        #expect(first.wentBack == nil)
        var issued: [TrackingNumber] = []
        for _ in 0..<3 { issued.append(try await first.enqueue(submission(pages: 1))) }
        try first.close()
        #expect(String(decoding: FileManager.default.contents(atPath: state + "/issued") ?? Data(), as: UTF8.self).contains(" 3"), "the mark follows the commits")

        // The outbox is lost (the power cut of a first day, a disk fault): kioskd starts on a fresh one.
        try FileManager.default.removeItem(atPath: state + "/outbox")
        let fresh = try openMarkedOutbox(state)
        let why = try #require(fresh.wentBack)
        #expect(why.contains("holds no number of") && why.contains("issued up to number 3") && why.contains("kioskctl queue accept-loss"), "\(why)")
        let refused = await #expect(throws: OutboxError.self) { try await fresh.enqueue(submission(pages: 1)) }
        #expect(refused?.code == .wentBack)
        #expect(try fresh.summary().counts[.queued] == nil, "nothing was saved")
        try fresh.close()

        // The maintainer has no newer copy: numbers go on above the lost ones.
        let said = try Outbox.acceptLoss(directory: state + "/outbox", issuedMarkPath: state + "/issued")
        #expect(said.contains("up to 3 are taken as issued") && said.contains("restart kioskd"), "\(said)")
        let resumed = try openMarkedOutbox(state)
        #expect(resumed.wentBack == nil)
        let next = try await resumed.enqueue(submission(pages: 1))
        #expect(sequence(next) == 4 && !issued.contains(next), "\(next) after \(issued)")
        #expect(try resumed.auditEntries().map(\.action).contains("numbers_skipped"))
        #expect(try resumed.verifyAudit().intact)
        try resumed.close()
    }

    @Test("restored from an older copy: refused with how far it is behind")
    func restoredOlderCopy() async throws {
        let state = temporaryDirectory()
        let outbox = try openMarkedOutbox(state)
        _ = try await outbox.enqueue(submission(pages: 1))
        try outbox.close()
        try FileManager.default.copyItem(atPath: state + "/outbox", toPath: state + "/older")
        let again = try openMarkedOutbox(state)
        for _ in 0..<2 { _ = try await again.enqueue(submission(pages: 1)) }
        try again.close()
        try FileManager.default.removeItem(atPath: state + "/outbox")
        try FileManager.default.moveItem(atPath: state + "/older", toPath: state + "/outbox")
        let restored = try openMarkedOutbox(state)
        let why = try #require(restored.wentBack)
        #expect(why.contains("only up to 1") && why.contains("issued up to number 3"), "\(why)")
        try restored.close()
    }

    @Test("a damaged mark is refused, not trusted; an outbox from before the mark, and one a step ahead of it, are not faults")
    func damagedAndOlderInstallations() async throws {
        let state = temporaryDirectory()
        let outbox = try openMarkedOutbox(state)
        _ = try await outbox.enqueue(submission(pages: 0))
        try outbox.close()
        try "kioskd-issued 1 2026x203 7\n".write(toFile: state + "/issued", atomically: true, encoding: .utf8)
        let damaged = try openMarkedOutbox(state)
        #expect(damaged.wentBack?.contains("is damaged") == true, "\(damaged.wentBack ?? "accepted")")
        try damaged.close()
        #expect(try Outbox.acceptLoss(directory: state + "/outbox", issuedMarkPath: state + "/issued").contains("damaged"))

        // A kioskd from before the mark: the mark starts from what the outbox holds.
        try FileManager.default.removeItem(atPath: state + "/issued")
        let upgraded = try openMarkedOutbox(state)
        #expect(upgraded.wentBack == nil)
        #expect(String(decoding: FileManager.default.contents(atPath: state + "/issued") ?? Data(), as: UTF8.self).contains(" 1"))
        _ = try await upgraded.enqueue(submission(pages: 0))
        try upgraded.close()
        // A power cut between a commit and the mark's update leaves the outbox ahead: fine.
        let text = String(decoding: FileManager.default.contents(atPath: state + "/issued") ?? Data(), as: UTF8.self)
        try text.replacingOccurrences(of: " 2 ", with: " 1 ").replacingOccurrences(of: " 2\n", with: " 1\n").write(toFile: state + "/issued", atomically: true, encoding: .utf8)
        let ahead = try openMarkedOutbox(state)
        #expect(ahead.wentBack == nil)
        try ahead.close()
    }

    @Test("the platform refuses a tracking number it holds under another idempotency key; the forwarder dead-letters it with what happened")
    func platformRefusesATakenNumber() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        try platform.start()
        defer { platform.stop() }
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        // Two outboxes of one station, as after an outbox reset without the mark: both mint the day's first number.
        let before = try openOutbox(folder + "/before"), after = try openOutbox(folder + "/after")
        let first = try await before.enqueue(submission(pages: 1)), second = try await after.enqueue(submission("李秀英", pages: 1))
        #expect(first == second)
        await Forwarder(outbox: before, platform: client, logger: Logger(label: "test")).forward(first)
        await Forwarder(outbox: after, platform: client, logger: Logger(label: "test")).forward(second)
        #expect(try before.application(first)?.state == .acknowledged)
        let refused = try #require(try after.application(second))
        #expect(refused.state == .deadLetter)
        #expect(refused.lastError?.contains("holds this tracking number already, from another application: the station issued it twice") == true, "\(refused.lastError ?? "")")
        #expect(platform.acceptances[first.value] == 1, "one case under the number")
        await client.shutdown()
        try before.close()
        try after.close()
    }
}
