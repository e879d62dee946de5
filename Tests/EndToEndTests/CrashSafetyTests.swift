import Crypto
import CryptoExtras
import Foundation
import HardwareSim
import Synchronization
import KioskCore
import Outbox
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The crash-safety harness. A child `kioskd churn` enqueues made-up
/// applications while it forwards them to the platform simulator and purges
/// what the platform has; the harness SIGKILLs it, each time 0–2 ms after it
/// logged entering a chosen phase (writing attachments, committing,
/// uploading, submitting, purging) or at a random moment, and starts it again.
///
/// After every kill it opens the outbox as the next start would and checks
/// that every application whose enqueue returned (the child printed its
/// tracking number) is there once, with its sealed pages whole, and that no
/// file without a committed row is left. At the end one more child drains
/// the queue: the platform must have each application exactly once, every
/// page byte-identical to what was enqueued. Meanwhile the platform's
/// handling office moves every case along, and the child applies the case
/// events as they come (a kill lands while it applies them too): at the end
/// each event took effect exactly once.
///
/// `make test` runs 60 kills; `KIOSKD_CRASH_KILLS=1000 make crash-test` is the long run.
@Suite("Crash safety", .serialized, .timeLimit(.minutes(90)))
struct CrashSafetyTests {
    static let phases = [
        ("writing attachments", "sealed attachment(s)"),
        ("committing", "committing "),
        ("uploading", "uploading attachment"),
        ("submitting", ": submitting"),
        ("purging", "purging "),
        ("applying case events", "case event(s) up to"),
        ("at a random moment", ""),
    ]

    @Test("SIGKILL at random points: every application whose enqueue returned survives once, pages intact, and reaches the platform exactly once")
    func killAtRandomPoints() async throws {
        let kills = ProcessInfo.processInfo.environment["KIOSKD_CRASH_KILLS"].flatMap(Int.init) ?? 60
        let folder = temporaryDirectory()
        let state = folder + "/state"
        let key = Curve25519.KeyAgreement.PrivateKey()
        try key.publicKey.pemRepresentation.write(toFile: folder + "/platform.pem", atomically: true, encoding: .utf8)
        let platform = try PlatformSimulator(privateKey: .x25519(key), outputDirectory: folder + "/platform", port: UInt16(freePort()), seed: 42)
        try platform.start()
        defer { platform.stop() }
        // Uploads cut half-way now and then: resumes happen across kills too.
        var faults = PlatformSimulator.Faults()
        faults.resetPercent = 5
        platform.setFaults(faults)
        let environment = [
            "KIOSKD_PLATFORM_URL": platform.url, "KIOSKD_PLATFORM_PUBLIC_KEY": folder + "/platform.pem",
            "KIOSKD_PLATFORM_RETRY_BASE_SECONDS": "0.1", "KIOSKD_PLATFORM_RETRY_CAP_SECONDS": "1",
            "KIOSKD_OUTBOX_PURGE_AFTER_HOURS": "0", "KIOSKD_LOG_LEVEL": "debug", "KIOSKD_PLATFORM_STATUS_SYNC_SECONDS": "0.2",
        ]
        // The handling office moves every case a step every 30 ms (受理 → 办理中 → 办结): events keep coming while the station applies them.
        platform.startHandling(step: .milliseconds(30))
        let kioskd = binDirectory + "/kioskd"

        var printed: [String: [String]] = [:]  // tracking number → "BYTES:SHA256" of each page
        var killedIn: [String: Int] = [:]
        var random = SplitMix64(seed: UInt64(kills) &* 7919)
        for round in 0..<kills {
            let (phase, marker) = Self.phases[round % Self.phases.count]
            // The kill is sent from the pipe's own queue, 0–2 ms after the child logged the phase.
            let delay = useconds_t(random.next() % 2000)
            let trigger = Mutex<(armed: Bool, pid: pid_t)>((!marker.isEmpty, 0))
            let child = try Child(kioskd, ["churn", "--state-dir", state], environment: environment) { chunk in
                trigger.withLock { trigger in
                    guard trigger.armed, trigger.pid != 0, chunk.contains(marker) else { return }
                    trigger.armed = false
                    usleep(delay)
                    kill(trigger.pid, SIGKILL)
                }
            }
            trigger.withLock { $0.pid = child.process.processIdentifier }
            let reached: Bool
            if marker.isEmpty {
                try await Task.sleep(for: .milliseconds(Int(random.next() % 1500)))
                reached = true
            } else {
                reached = await eventually(within: .seconds(10)) { !trigger.withLock { $0.armed } }
            }
            child.signal(SIGKILL)
            let status = await child.exitStatus(within: .seconds(10))
            #expect(status != nil, "the child did not die")
            #expect(!child.stderr.contains("cannot start"), "round \(round): \(child.stderr.suffix(2000))")
            killedIn[reached ? phase : "before reaching \(phase)", default: 0] += 1
            for line in child.stdout.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("enqueued ") {
                let words = line.split(separator: " ").map(String.init)
                #expect(printed[words[1]] == nil, "tracking number \(words[1]) was minted twice")
                printed[words[1]] = Array(words.dropFirst(2))
            }
            try checkAfterRestart(state: state, printed: printed, round: round)
        }

        // One last start drains the queue and reads the events to the end (the office stops: the end stays put).
        platform.stopHandling()
        let drain = try Child(kioskd, ["churn", "--state-dir", state, "--applications", "0", "--drain"], environment: environment)
        let drained = await drain.exitStatus(within: .seconds(300))
        #expect(drained == 0, "the drain did not finish: \(drain.stderr.suffix(3000))")

        let outbox = try Outbox(directory: state + "/outbox", platformKey: nil, settings: .init(stationCode: "340104001"))
        defer { try? outbox.close() }
        let rows = try outbox.applications(limit: 1_000_000)
        #expect(rows.allSatisfy { $0.state == .acknowledged && $0.caseNumber != nil }, "after the drain every application is acknowledged")
        let acceptances = platform.acceptances
        #expect(acceptances.values.allSatisfy { $0 == 1 }, "duplicates at the platform: \(acceptances.filter { $0.value > 1 })")
        #expect(acceptances.count == rows.count, "the platform has \(acceptances.count) applications, the station \(rows.count)")
        for (tracking, pages) in printed {
            #expect(acceptances[tracking] == 1, "\(tracking) reached the platform \(acceptances[tracking] ?? 0) times")
            for (index, page) in pages.enumerated() {
                let data = FileManager.default.contents(atPath: "\(folder)/platform/\(tracking)/attachment-\(index)") ?? Data()
                #expect("\(data.count):\(SHA256.hash(data: data).hex)" == page, "\(tracking) page \(index) is not what was enqueued")
            }
        }
        // Each event took effect once: the station keeps every one of its stream, each case's status is the
        // platform's, and the audit trail records each status event once, however often a kill came while applying.
        let statuses = platform.caseStatuses, eventCounts = platform.statusEventCounts
        #expect(try outbox.caseEvents(limit: 1_000_000).count == platform.eventCount(station: "340104001"))
        #expect(try outbox.caseEventCursor() > 0)
        for row in rows {
            #expect(row.platformStatus == statuses[row.trackingNumber.value], "\(row.trackingNumber) shows \(row.platformStatus ?? "nothing"), the platform says \(statuses[row.trackingNumber.value] ?? "nothing")")
            let audited = try outbox.auditEntries(trackingNumber: row.trackingNumber.value).filter { $0.action == "status" }.count
            #expect(audited == eventCounts[row.trackingNumber.value] ?? 0, "\(row.trackingNumber): \(audited) status entries for \(eventCounts[row.trackingNumber.value] ?? 0) events")
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: state + "/outbox/attachments")) ?? []
        #expect(leftovers.isEmpty, "files left after everything was acknowledged and purged: \(leftovers.prefix(5))")

        let committedUnprinted = rows.count - printed.count
        print("""
            crash safety: \(kills) SIGKILLs (\(killedIn.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))); \
            \(printed.count) applications whose enqueue returned, all present once with their pages intact; \
            \(committedUnprinted) more were committed in the instant before a kill; the platform has each exactly once; \
            its \(platform.eventCount(station: "340104001")) case events each took effect once
            """)
    }

    /// What the next start sees: every printed application once, sealed pages whole, no stray files.
    func checkAfterRestart(state: String, printed: [String: [String]], round: Int) throws {
        let outbox = try Outbox(directory: state + "/outbox", platformKey: nil, settings: .init(stationCode: "340104001"))
        defer { try? outbox.close() }
        var referenced = Set<String>()
        let rows = try outbox.applications(limit: 1_000_000)
        // One read per round: thousands of applications pile up over a long run.
        let byNumber = Dictionary(uniqueKeysWithValues: rows.map { ($0.trackingNumber.value, $0) })
        for row in rows {
            #expect(row.problem == nil, "round \(round): \(row.trackingNumber) is flagged: \(row.problem ?? "")")
            // Purged: the platform has it, and there is nothing left to check.
            guard row.sealedPayloadPresent, let upload = try outbox.upload(row.trackingNumber) else { continue }
            for attachment in upload.attachments {
                referenced.insert((attachment.path as NSString).lastPathComponent)
                let data = FileManager.default.contents(atPath: attachment.path) ?? Data()
                #expect(data.count == attachment.bytes && SHA256.hash(data: data).hex == attachment.sha256,
                        "round \(round): \(row.trackingNumber)'s sealed page \(attachment.position) is damaged")
            }
        }
        for tracking in printed.keys {
            let row = byNumber[tracking]
            #expect(row != nil, "round \(round): \(tracking) was enqueued (its receipt could have printed) and is gone")
            if let row, row.sealedPayloadPresent {
                #expect(try outbox.upload(row.trackingNumber)?.attachments.count == printed[tracking]?.count,
                        "round \(round): \(tracking) has lost pages")
            }
        }
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: state + "/outbox/attachments")) ?? [])
        #expect(files == referenced, "round \(round): files no committed application refers to: \(files.subtracting(referenced).prefix(5))")
    }
}

extension Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
