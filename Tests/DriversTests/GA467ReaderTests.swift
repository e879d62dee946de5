import Drivers
import Foundation
import HardwareSim
import KioskCore
import Logging
import Synchronization
import Testing

let cardsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/hardware-sim/cards"

func card(_ name: String) throws -> CardProfile { try CardProfile.load(name, cardsDirectory: cardsDirectory) }

/// A GA 467 reader driver on a real pty, with the simulator at the far end.
final class ReaderRig: Sendable {
    let wire: PtyWire
    let simulator: IDCardSimulator
    let reader: GA467Reader
    /// Events received and not yet taken. (A timed-out wait must not cancel
    /// an AsyncStream iterator: that would end the stream.)
    private let received = EventLog()

    final class EventLog: Sendable {
        let events = Mutex<[CardEvent]>([])
    }
    private let tasks: Mutex<[Task<Void, Never>]>

    init(replyTimeout: Duration = .seconds(2), today: CalendarDate = CalendarDate(yyyymmdd: "20261126")!) throws {
        wire = try PtyWire(link: temporaryDirectory("reader") + "/idcard")
        simulator = IDCardSimulator(cardsDirectory: cardsDirectory)
        var settings = GA467Reader.Settings()
        settings.pollInterval = .milliseconds(20)
        settings.faultBackoffMax = .milliseconds(200)
        settings.replyTimeout = replyTimeout
        let connection = DeviceConnection(
            identity: DeviceIdentity(kind: .idCardReader, model: "simulated", port: try DevicePort(parsing: wire.portString)),
            policy: ReconnectPolicy(probeInterval: .milliseconds(50), retryInitial: .milliseconds(20), retryMax: .milliseconds(100)),
            logger: Logger(label: "test"))
        reader = GA467Reader(connection: connection, settings: settings, today: { today }, logger: Logger(label: "test"))
        let events = reader.cardEvents()
        let (wire, simulator, reader) = (wire, simulator, reader)
        tasks = Mutex([Task { await wire.serve(simulator) }, Task { await reader.run() }])
        let received = self.received
        let pump = Task { for await event in events { received.events.withLock { $0.append(event) } } }
        tasks.withLock { $0.append(pump) }
    }

    /// The next card event, or nil if none comes within `timeout` (long by default: the suite shares two cores).
    func nextEvent(within timeout: Duration = .seconds(15)) async -> CardEvent? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let event = received.events.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return event }
            try? await Task.sleep(for: .milliseconds(5))
        } while ContinuousClock.now < deadline
        return nil
    }

    func stop() async {
        await reader.shutdown(grace: .milliseconds(100))
        wire.stop()
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }
}

func presented(_ event: CardEvent?) -> ResidentIdentity? {
    if case .presented(let identity)? = event { return identity }
    return nil
}

@Suite("GA 467 reader against the simulator over a real pty", .serialized, .timeLimit(.minutes(3)))
struct GA467ReaderTests {
    @Test("each card profile is read and its fields match the card", arguments: [
        "wang-jianguo", "li-xiuying", "ma-jun", "liu-yan-rare-character", "chen-jiahao-hk-permit", "smith-john-permanent-resident",
        "garcia-ana-permanent-resident-2023", "lin-meihua-tw-permit", "zhao-shulan", "zhou-ping-agent",
    ])
    func readEachProfile(_ name: String) async throws {
        let rig = try ReaderRig()
        let profile = try card(name)
        rig.simulator.put(profile)
        let event = await rig.nextEvent()
        let resident = try #require(presented(event), "got \(String(describing: event))")
        #expect(resident.name == profile.name)
        #expect(resident.number == profile.number)
        #expect(resident.birthDate.yyyymmdd == profile.birth)
        #expect(resident.gender.rawValue == profile.gender)
        #expect(resident.validFrom.yyyymmdd == profile.validFrom)
        if profile.validUntil == "长期" {
            #expect(resident.validUntil == .longTerm)
        } else {
            #expect(resident.validUntil == .until(CalendarDate(yyyymmdd: profile.validUntil)!))
        }
        if let address = profile.address {
            #expect(resident.address == address + (profile.extraAddress ?? ""))
        }
        #expect(resident.photo == profile.photo)
        if let english = profile.englishName { #expect(resident.englishName == english && resident.nationality == profile.nationality) }
        rig.simulator.remove()
        guard case .removed? = await rig.nextEvent() else {
            Issue.record("no removed event")
            return
        }
        await rig.stop()
    }

    @Test("while the same card stays on the reader, it is reported once")
    func noDuplicates() async throws {
        let rig = try ReaderRig()
        rig.simulator.put(try card("wang-jianguo"))
        #expect(presented(await rig.nextEvent()) != nil)
        // Ten more polls (every 20 ms; counted, not timed, as the suite shares two cores) and no second event.
        let before = rig.simulator.commandCount
        #expect(await eventually { rig.simulator.commandCount - before >= 10 }, "the reader kept polling")
        #expect(await rig.nextEvent(within: .milliseconds(100)) == nil, "a second event while the card stayed")
        await rig.stop()
    }

    @Test("an expired card is refused with the reason, not presented")
    func expiredCard() async throws {
        let rig = try ReaderRig()
        rig.simulator.put(try card("zhang-guilan-expired"))
        guard case .refused(let resident, let error)? = await rig.nextEvent() else {
            Issue.record("the expired card was not refused")
            return
        }
        #expect(resident.maskedNumber == "3401**********2049")
        #expect(error.code == .expired)
        #expect(error.message.contains("2024年7月15日"))
        await rig.stop()
    }

    @Test("a card swapped for another: the first is removed, the second presented")
    func swap() async throws {
        let rig = try ReaderRig()
        rig.simulator.put(try card("wang-jianguo"))
        #expect(presented(await rig.nextEvent())?.name == "王建国")
        rig.simulator.put(try card("li-xiuying"))
        guard case .removed? = await rig.nextEvent() else {
            Issue.record("no removed before the new card")
            return
        }
        #expect(presented(await rig.nextEvent())?.name == "李秀英")
        await rig.stop()
    }

    @Test("a card swapped mid-read: the half-read card is never presented; the new one is")
    func swapMidRead() async throws {
        let rig = try ReaderRig()
        rig.simulator.swapDuringNextRead(to: try card("li-xiuying"))
        rig.simulator.put(try card("wang-jianguo"))
        let first = await rig.nextEvent()
        guard case .unreadable(let error)? = first else {
            Issue.record("expected the pulled card to be unreadable, got \(String(describing: first))")
            return
        }
        #expect(error.message.contains("place it flat on the reader again"))
        #expect(presented(await rig.nextEvent())?.name == "李秀英")
        #expect(await rig.nextEvent(within: .milliseconds(300)) == nil)
        await rig.stop()
    }

    @Test("fragmented, delayed, garbage-prefixed and corrupted replies still give the right card", arguments: [
        WireFault.fragment(chunk: 5, gap: .zero), .fragment(chunk: 64, gap: .milliseconds(2)), .delay(.milliseconds(150)), .garbage([0x00, 0xAA, 0x13, 0xAA, 0xAA, 0x96]), .corrupt,
    ])
    func wireFaults(_ fault: WireFault) async throws {
        let rig = try ReaderRig()
        rig.wire.faults.arm(fault)
        rig.simulator.put(try card("ma-jun"))
        let event = await rig.nextEvent()
        #expect(presented(event)?.number == "341623200106011537", "\(fault): got \(String(describing: event))")
        await rig.stop()
    }

    @Test("a reader that stops answering times out cleanly and recovers; no hang")
    func silentReader() async throws {
        let rig = try ReaderRig(replyTimeout: .milliseconds(100))
        rig.wire.faults.arm(.silent)
        rig.simulator.put(try card("wang-jianguo"))
        #expect(await rig.nextEvent(within: .milliseconds(500)) == nil)
        #expect(rig.reader.status.state == .online, "a silent reader is still attached")
        rig.wire.faults.clear()
        let event = await rig.nextEvent()
        #expect(presented(event)?.name == "王建国", "got \(String(describing: event))")
        await rig.stop()
    }

    @Test("the empty reader's polling gives way to a health check at its next poll, and goes on after it")
    func healthCheckDuringRest() async throws {
        let rig = try ReaderRig()
        #expect(await eventually { rig.reader.status.state == .online })
        try await Task.sleep(for: .milliseconds(300))  // polling at rest, as one long command
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await rig.reader.healthCheck(.external).outcome == .passed)
        #expect(clock.now - start < .seconds(3))  // the rest's command lasts 10 s
        rig.simulator.put(try card("li-xiuying"))
        #expect(presented(await rig.nextEvent())?.name == "李秀英")
        await rig.stop()
    }

    @Test("a SAM fault sets hardwareError with sam_fault and what to do; it clears when the SAM answers again")
    func samFault() async throws {
        let rig = try ReaderRig()
        #expect(await eventually { rig.reader.status.state == .online })
        rig.simulator.setSAMFault(0x60)
        #expect(await eventually { rig.reader.status.state == .hardwareError })
        #expect(rig.reader.status.conditions == [.samFault])
        #expect(rig.reader.status.message?.contains("power-cycle the ID-card reader") == true)
        let external = await rig.reader.healthCheck(.external)
        #expect(external.outcome == .failed)
        rig.simulator.setSAMFault(nil)
        rig.simulator.put(try card("li-xiuying"))
        #expect(presented(await rig.nextEvent())?.name == "李秀英")
        #expect(rig.reader.status == .online)
        #expect(await rig.reader.healthCheck(.external).outcome == .passed)
        await rig.stop()
    }

    @Test("unplugged with a card on it: removed and noDevice; replugged: online and the card is read again")
    func unplugAndReplug() async throws {
        let rig = try ReaderRig()
        rig.simulator.put(try card("wang-jianguo"))
        #expect(presented(await rig.nextEvent()) != nil)
        rig.wire.unplug()
        guard case .removed? = await rig.nextEvent() else {
            Issue.record("no removed event on unplug")
            return
        }
        #expect(await eventually { rig.reader.status.state == .noDevice })
        try rig.wire.replug()
        #expect(await eventually { rig.reader.status.state == .online })
        let again = await rig.nextEvent()
        #expect(presented(again)?.name == "王建国", "got \(String(describing: again))")
        await rig.stop()
    }

    @Test("a card left on the reader after an earlier program read it is read once, not twice")
    func leftoverCard() async throws {
        // One simulated reader that stays powered; two programs use it in turn.
        let wire = try PtyWire(link: temporaryDirectory("leftover") + "/idcard")
        let simulator = IDCardSimulator(cardsDirectory: cardsDirectory)
        let serving = Task { await wire.serve(simulator) }
        defer {
            wire.stop()
            serving.cancel()
        }
        func driver() throws -> GA467Reader {
            var settings = GA467Reader.Settings()
            settings.pollInterval = .milliseconds(20)
            return GA467Reader(
                connection: DeviceConnection(
                    identity: DeviceIdentity(kind: .idCardReader, model: "simulated", port: try DevicePort(parsing: wire.portString)),
                    logger: Logger(label: "test")),
                settings: settings, logger: Logger(label: "test"))
        }
        simulator.put(try card("wang-jianguo"))
        let earlier = try driver()
        var earlierEvents = earlier.cardEvents().makeAsyncIterator()
        let earlierRun = Task { await earlier.run() }
        guard case .presented? = await earlierEvents.next() else {
            Issue.record("the first program did not read the card")
            return
        }
        await earlier.shutdown(grace: .milliseconds(50))
        earlierRun.cancel()

        let reader = try driver()
        var events = reader.cardEvents().makeAsyncIterator()
        let running = Task { await reader.run() }
        guard case .presented(let resident)? = await events.next() else {
            Issue.record("the card left on the reader was not read")
            return
        }
        #expect(resident.name == "王建国")
        simulator.remove()
        guard case .removed? = await events.next() else {
            Issue.record("no removed event (or a duplicate presentation)")
            return
        }
        simulator.put(try card("li-xiuying"))
        guard case .presented(let next)? = await events.next() else {
            Issue.record("the next card was not read")
            return
        }
        #expect(next.name == "李秀英")
        await reader.shutdown(grace: .milliseconds(50))
        running.cancel()
    }

    @Test("a poll that fails after the SAM selected the card (a lost read reply) does not lose the card")
    func lostReplyAfterSelect() async throws {
        let rig = try ReaderRig()
        // Past the first poll's look with select (find, select, then the next find).
        #expect(await eventually { rig.simulator.commandCount >= 3 })
        // The read and its retry both arrive garbled: the poll fails with the
        // card selected (so find no longer sees it) but not read.
        rig.simulator.corruptNextReads(2)
        rig.simulator.put(try card("ma-jun"))
        let event = await rig.nextEvent()
        #expect(presented(event)?.name == "马俊", "got \(String(describing: event))")
        await rig.stop()
    }

    @Test("the reader vanishing mid-command ends in noDevice, and comes back")
    func vanishMidCommand() async throws {
        let rig = try ReaderRig()
        #expect(await eventually { rig.reader.status.state == .online })
        rig.wire.faults.arm(.vanish)
        #expect(await eventually { rig.reader.status.state == .noDevice })
        try rig.wire.replug()
        rig.simulator.put(try card("li-xiuying"))
        #expect(presented(await rig.nextEvent())?.name == "李秀英")
        await rig.stop()
    }
}
