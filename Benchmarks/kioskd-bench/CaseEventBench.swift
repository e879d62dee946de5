import ArgumentParser
import Crypto
import Foundation
import HardwareSim
import KioskCore
import Logging
import Outbox
import SystemIO
import Uplink

#if canImport(Glibc)
import Glibc
#endif

/// Bringing many open cases up to date from the platform's event stream.
struct CaseEventBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "10,000 open cases that all changed since the last round, brought up to date in one round of the event stream.",
        discussion: """
            Baseline: asking each open case's status, one request a case (what kioskd did before the stream). Goals: at most 2 \
            requests a round, and at most 1 s of CPU for the round. The simulator runs in the same process, so the CPU counted \
            is kioskd's and the simulator's together: an upper bound of kioskd's.
            """)

    @Option(help: "Folder on the disk to measure (default: var/bench).") var dir = "var/bench"
    @Option(help: "Open cases.") var cases = 10_000

    func run() async throws {
        let folder = dir + "/events-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = Curve25519.KeyAgreement.PrivateKey()
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        let outbox = try Outbox(directory: folder + "/outbox", platformKey: PlatformPublicKey(key.publicKey), settings: .init(stationCode: "340104001"), logger: quiet)
        let listener = try TCPListeningSocket(port: 0)
        let port = listener.port
        listener.close()
        let platform = try PlatformSimulator(privateKey: .x25519(key), outputDirectory: folder + "/platform", port: port)
        try platform.start()
        defer { platform.stop() }
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        let forwarder = Forwarder(outbox: outbox, platform: client, logger: quiet)

        // The cases, filed and accepted, and the station caught up with their 受理.
        var numbers: [TrackingNumber] = []
        for _ in 0..<cases {
            numbers.append(try await outbox.enqueue(ApplicationSubmission(
                serviceCode: "340104-000-1-00-001", serviceName: "城乡居民基本养老保险参保登记", applicantName: "测试居民", applicantCertificateType: "111",
                applicantCertificateNumber: "340104199001011234", regionCode: "340104", attachments: [])))
        }
        let running = Task { await forwarder.run() }
        while (try outbox.summary().counts[.queued] ?? 0) > 0 { try await Task.sleep(for: .milliseconds(100)) }
        forwarder.stop()
        await running.value
        while await forwarder.syncEvents() {}
        guard try outbox.summary().counts[.acknowledged] == cases else { throw ValidationError("not every case was accepted") }

        // Every case moves: 10,000 events wait for the next round.
        for number in numbers { platform.setStatus(number.value, "办理中", detail: "窗口正在审核，预计3个工作日内办结") }
        let requestsBefore = platform.requestCount
        let cpuBefore = Self.processCPU()
        let start = ContinuousClock.now
        let more = await forwarder.syncEvents()
        let wall = ContinuousClock.now - start
        let cpu = Self.processCPU() - cpuBefore
        let requests = platform.requestCount - requestsBefore
        let moved = try outbox.applications(limit: cases).filter { $0.platformStatus == "办理中" }.count
        guard !more, moved == cases else { throw ValidationError("\(moved) of \(cases) cases moved in the round (more waiting: \(more))") }
        await client.shutdown()
        try outbox.close()

        print("\(cases) open cases, each with a new event since the last round")
        print("  baseline: one status request a case:  \(cases) requests")
        print("  kioskd:   the station's event stream: \(requests) requests, \(ms(wall)) wall, \(String(format: "%.2f", cpu)) s CPU (kioskd and the simulator)")
        let fewEnough = requests <= 2, quickEnough = cpu <= 1
        result("\(cases) open cases brought up to date: requests a round", figure: "\(requests)", baseline: "one a case: \(cases)",
               ratio: Double(requests) / Double(cases), goal: "≤ 2", pass: fewEnough)
        result("\(cases) open cases brought up to date: CPU of the round", figure: String(format: "%.2f s", cpu), baseline: "wall \(ms(wall))",
               ratio: nil, goal: "≤ 1 s", pass: quickEnough)
    }

    /// User and system CPU of this process so far, in seconds.
    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
