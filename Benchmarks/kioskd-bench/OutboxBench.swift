import ArgumentParser
import Crypto
import Foundation
import HardwareSim
import KioskCore
import Logging
import Outbox
import Synchronization
import SystemIO
import Uplink

#if canImport(Glibc)
import Glibc
#endif

/// The outbox and the uplink against the disk and the network they sit on,
/// each baseline measured in the same run on the same folder.
struct OutboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Durable enqueue, group commit, a large queue, and draining to the platform simulator, each against its baseline.",
        discussion: """
            Baselines: writing and fsyncing the same bytes with no database; the raw append+fsync rate of the same disk; \
            curl uploading the same sealed bytes to the same simulator. Run it on the disk the state directory lives on (--dir).
            """)

    @Option(help: "Folder on the disk to measure (default: var/bench, where make demo keeps its state).") var dir = "var/bench"
    @Option(help: "Rounds of the 10-page enqueue.") var rounds = 10
    @Option(help: "Rows already queued for the latency comparison.") var queued = 100_000
    @Option(help: "Where curl is.") var curl = "/usr/bin/curl"
    @Option(help: "Run only these parts (comma-separated): pages, single, large, drain.") var only: String?

    func run() async throws {
        let folder = dir + "/outbox-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = Curve25519.KeyAgreement.PrivateKey()
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        func open(_ name: String, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws -> Outbox {
            var settings = Outbox.Settings(stationCode: "340104001")
            settings.now = now
            return try Outbox(directory: name.hasPrefix("/") ? name : "\(folder)/\(name)", platformKey: PlatformPublicKey(key.publicKey), settings: settings, logger: quiet)
        }
        print("outbox benchmarks in \(folder) (\(Self.filesystem(of: folder)))")
        let parts = Set((only ?? "pages,single,large,drain").split(separator: ",").map(String.init))
        let pages = (0..<10).map { _ in randomBytes(1 << 20) }
        if parts.contains("profile") { try profileSealing(key) }
        if parts.contains("pages") { try await tenPages(pages, folder: folder, open: { try open($0) }) }
        if parts.contains("single") { try await singleAndGroup(folder: folder, open: { try open($0) }) }
        if parts.contains("large") { try await largeQueue(open: open) }
        if parts.contains("drain") { try await drain(folder: folder, key: key, pages: pages, open: open, logger: quiet) }
    }

    /// 1. A 10-page application against writing and fsyncing the same bytes.
    private func tenPages(_ pages: [[UInt8]], folder: String, open: (String) throws -> Outbox) async throws {
        let outbox = try open("ten-pages")
        var enqueueTimes: [Duration] = [], rawTimes: [Duration] = []
        for round in 0..<(rounds + 2) {
            let clock = ContinuousClock()
            var start = clock.now
            _ = try await outbox.enqueue(Self.application(pages: pages))
            let enqueueTime = clock.now - start
            let raw = "\(folder)/raw-\(round)"
            try FileManager.default.createDirectory(atPath: raw, withIntermediateDirectories: true)
            start = clock.now
            for (index, page) in pages.enumerated() { try writeAndSync(page, to: "\(raw)/page-\(index)") }
            try syncDirectory(raw)
            let rawTime = clock.now - start
            try FileManager.default.removeItem(atPath: raw)
            if round < 2 { continue }  // warm-up
            enqueueTimes.append(enqueueTime)
            rawTimes.append(rawTime)
        }
        try outbox.close()
        // Each round's two measurements sit side by side in time: the median of their ratios
        // is steadier than a ratio of medians on a disk whose latency wanders.
        let ratios = zip(enqueueTimes, rawTimes).map { $0 / $1 }.sorted()
        let tenRatio = ratios[ratios.count / 2]
        print("durable enqueue of a 10-page application (10 × 1 MB), \(rounds) rounds, median of each round's ratio")
        print("  baseline: write + fsync the 10 files, fsync the folder: \(ms(median(rawTimes)))")
        print("  kioskd:   Outbox.enqueue (seal, write, fsync, commit):   \(ms(median(enqueueTimes)))")
        print("  ratio \(String(format: "%.2f", tenRatio)) (goal ≤ 1.50) \(tenRatio <= 1.5 ? "PASS" : "MISS")")
        result("durable enqueue, 10 pages × 1 MB", figure: ms(median(enqueueTimes)), baseline: "write+fsync \(ms(median(rawTimes)))", ratio: tenRatio, goal: "≤ 1.50", pass: tenRatio <= 1.5)
    }

    /// 2. One row at a time against the disk's raw fsync rate; 3. group commit.
    private func singleAndGroup(folder: String, open: (String) throws -> Outbox) async throws {
        let single = try open("single")
        // Steady state, as on a kiosk that has run a while: the WAL has cycled and is written in place.
        for _ in 0..<500 { _ = try await single.enqueue(Self.application(pages: [])) }
        let rows = 200
        var fsyncRates: [Double] = [], singleRates: [Double] = []
        for _ in 0..<5 {  // alternating blocks, so the disk's mood affects both alike
            fsyncRates.append(try rawFsyncRate(path: folder + "/fsync-probe", count: rows))
            let clock = ContinuousClock.now
            for _ in 0..<rows { _ = try await single.enqueue(Self.application(pages: [])) }
            singleRates.append(Double(rows) / (ContinuousClock.now - clock).seconds)
        }
        let fsyncRate = fsyncRates.sorted()[2], singleRate = singleRates.sorted()[2]
        // The same on a RAM disk, where a commit costs no I/O: kioskd's own CPU time per enqueue.
        var cpuPerEnqueue: Double?
        let memory = "/dev/shm/kioskd-bench-\(getpid())"
        if (try? FileManager.default.createDirectory(atPath: memory, withIntermediateDirectories: true)) != nil {
            defer { try? FileManager.default.removeItem(atPath: memory) }
            let inMemory = try open(memory + "/outbox")
            for _ in 0..<500 { _ = try await inMemory.enqueue(Self.application(pages: [])) }
            let clock = ContinuousClock.now
            for _ in 0..<1000 { _ = try await inMemory.enqueue(Self.application(pages: [])) }
            cpuPerEnqueue = (ContinuousClock.now - clock).seconds / 1000
            try inMemory.close()
        }
        let concurrent = 64, grouped = 4000
        let transactionsBefore = single.committedTransactions
        let clock = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrent {
                group.addTask {
                    for _ in stride(from: worker, to: grouped, by: concurrent) { _ = try await single.enqueue(Self.application(pages: [])) }
                }
            }
            try await group.waitForAll()
        }
        let groupRate = Double(grouped) / (ContinuousClock.now - clock).seconds
        let transactions = single.committedTransactions - transactionsBefore
        try single.close()
        print("single-row enqueue (no pages), 5 × \(rows) in a row after 500 to warm up, medians")
        print("  baseline: 4 KB written in place + fsync, same disk:     \(Int(fsyncRate)) per second")
        print("  kioskd:   Outbox.enqueue, one at a time:                \(Int(singleRate)) rows/s")
        // No goal: a commit's WAL frames and their fdatasync cost most of one 4 KB fsync by
        // themselves (docs/benchmarks.md), and an enqueue is a quarter of a millisecond in a visit.
        print("  ratio \(String(format: "%.2f", singleRate / fsyncRate)) (no goal)")
        result("single-row enqueue", figure: "\(Int(singleRate)) rows/s", baseline: "4 KB fsyncs \(Int(fsyncRate))/s", ratio: singleRate / fsyncRate, goal: nil, pass: true)
        if let cpu = cpuPerEnqueue {
            print("  (kioskd's CPU per enqueue, on a RAM disk: \(String(format: "%.0f", cpu * 1e6)) µs; one fsync here: \(String(format: "%.0f", 1e6 / fsyncRate)) µs)")
        }
        print("group commit: \(grouped) enqueues from \(concurrent) tasks at once")
        print("  kioskd:   \(Int(groupRate)) rows/s in \(transactions) transactions (\(String(format: "%.1f", Double(grouped) / Double(max(1, transactions)))) rows each)")
        print("  ratio \(String(format: "%.1f", groupRate / singleRate)) × one at a time (goal ≥ 4) \(groupRate / singleRate >= 4 ? "PASS" : "MISS")")
        result("group commit", figure: "\(Int(groupRate)) rows/s", baseline: "one at a time \(Int(singleRate))/s", ratio: groupRate / singleRate, goal: "≥ 4", pass: groupRate / singleRate >= 4)
    }

    /// 5. Enqueue latency with a large queue against an empty one.
    private func largeQueue(open: (String, @escaping @Sendable () -> Double) throws -> Outbox) async throws {
        let day = ClockOffset()
        let base = Date().timeIntervalSince1970
        let large = try open("large") { base + day.value }
        let filling = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<128 {
                group.addTask {
                    for index in stride(from: worker, to: queued, by: 128) {
                        // At most 99,999 tracking numbers a day per station: spread the backlog over days.
                        if index % 50_000 == 0 { day.set(Double(index / 50_000 + 1) * -86_400) }
                        _ = try await large.enqueue(Self.application(pages: []))
                    }
                }
            }
            try await group.waitForAll()
        }
        day.set(0)
        let fillTime = ContinuousClock.now - filling
        let empty = try open("empty") { Date().timeIntervalSince1970 }
        var emptyTimes: [Duration] = [], largeTimes: [Duration] = []
        for block in 0..<10 {
            for (target, times) in block % 2 == 0 ? [(empty, 0), (large, 1)] : [(large, 1), (empty, 0)] {
                for _ in 0..<30 {
                    let start = ContinuousClock.now
                    _ = try await target.enqueue(Self.application(pages: [randomBytes(64 * 1024)]))
                    if times == 0 { emptyTimes.append(ContinuousClock.now - start) } else { largeTimes.append(ContinuousClock.now - start) }
                }
            }
        }
        let queuedCount = try large.summary().counts[.queued] ?? 0
        try empty.close()
        try large.close()
        let latencyRatio = median(largeTimes) / median(emptyTimes)
        print("enqueue latency (one 64 KB page), 300 each, alternating")
        print("  baseline: empty outbox:                      p50 \(ms(median(emptyTimes)))  p95 \(ms(percentile(emptyTimes, 0.95)))")
        print("  kioskd:   \(queuedCount) applications queued:    p50 \(ms(median(largeTimes)))  p95 \(ms(percentile(largeTimes, 0.95)))  (filled in \(ms(fillTime)))")
        print("  ratio \(String(format: "%.2f", latencyRatio)) (goal ≤ 1.20) \(latencyRatio <= 1.2 ? "PASS" : "MISS")")
        result("enqueue latency, \(queuedCount) queued", figure: "p50 \(ms(median(largeTimes)))", baseline: "empty p50 \(ms(median(emptyTimes)))", ratio: latencyRatio, goal: "≤ 1.20", pass: latencyRatio <= 1.2)
    }

    /// 4. Draining to the platform simulator over loopback against curl.

    private func drain(folder: String, key: Curve25519.KeyAgreement.PrivateKey, pages: [[UInt8]], open: (String, @escaping @Sendable () -> Double) throws -> Outbox,
                       logger: Logger) async throws {
        let applications = 10, rounds = 5
        // curl sends the sealed files of one outbox; the forwarder drains an outbox of the same
        // applications each round. All are written before anything is timed.
        let outbox = try open("drain") { Date().timeIntervalSince1970 }
        for _ in 0..<applications { _ = try await outbox.enqueue(Self.application(pages: pages)) }
        let uploads = try outbox.due(limit: applications).map { try outbox.upload($0)! }
        let bytes = uploads.reduce(0) { $0 + $1.envelope.count + $1.attachments.reduce(0) { $0 + $1.bytes } }
        var queues: [Outbox] = []
        for round in 0..<rounds {
            let queue = try open("drain-\(round)") { Date().timeIntervalSince1970 }
            for _ in 0..<applications { _ = try await queue.enqueue(Self.application(pages: pages)) }
            queues.append(queue)
        }

        func freshPlatform(_ name: String) throws -> PlatformSimulator {
            let listener = try TCPListeningSocket(port: 0)
            let port = listener.port
            listener.close()
            let platform = try PlatformSimulator(privateKey: .x25519(key), outputDirectory: "\(folder)/\(name)", port: port)
            try platform.start()
            return platform
        }

        // curl speaks the same protocol to a fresh simulator: each page in one PATCH,
        // then each application's POST, over one kept-alive connection ("Expect:"
        // off: curl would wait a second for a 100 Continue the simulator does not send;
        // "fail" in each transfer, as `next` resets it).
        func curlRound(_ round: Int) throws -> Duration {
            let platform = try freshPlatform("curl-\(round)")
            defer { platform.stop() }
            var entries: [String] = []
            for (number, upload) in uploads.enumerated() {
                for attachment in upload.attachments {
                    entries.append("""
                        url = "\(platform.url)/v1/uploads/\(upload.idempotencyKey)/\(attachment.position)"
                        request = "PATCH"
                        header = "Upload-Offset: 0"
                        header = "Upload-Length: \(attachment.bytes)"
                        header = "Content-Type: application/offset+octet-stream"
                        fail
                        header = "Expect:"
                        data-binary = "@\(attachment.path)"
                        output = "/dev/null"

                        """)
                }
                let manifest = "\(folder)/manifest-\(number).json"
                try Forwarder.manifest(for: upload).write(to: URL(fileURLWithPath: manifest))
                entries.append("""
                    url = "\(platform.url)/v1/applications"
                    header = "Idempotency-Key: \(upload.idempotencyKey)"
                    header = "Content-Type: application/json"
                    header = "Expect:"
                    fail
                    data-binary = "@\(manifest)"
                    output = "/dev/null"

                    """)
            }
            try entries.joined(separator: "next\n").write(toFile: folder + "/curl.config", atomically: true, encoding: .utf8)
            let start = ContinuousClock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: curl)
            process.arguments = ["--silent", "--config", folder + "/curl.config"]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0, platform.accepted == applications else {
                throw ValidationError("curl failed (\(process.terminationStatus)), the platform accepted \(platform.accepted)")
            }
            return ContinuousClock.now - start
        }

        func forwarderRound(_ round: Int) async throws -> Duration {
            let platform = try freshPlatform("forwarder-\(round)")
            defer { platform.stop() }
            let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
            // Done when the last is forwarded, heard from the forwarder (polling the queue would take the CPU it measures).
            let (done, finished) = AsyncStream<Void>.makeStream()
            let forwarded = Mutex(0)
            let forwarder = Forwarder(outbox: queues[round], platform: client, observe: { event in
                guard case .forwarded = event else { return }
                if forwarded.withLock({ $0 += 1; return $0 }) == applications { finished.yield() }
            }, logger: logger)
            let start = ContinuousClock.now
            let running = Task { await forwarder.run() }
            for await _ in done { break }
            let time = ContinuousClock.now - start
            forwarder.stop()
            await running.value
            await client.shutdown()
            guard platform.accepted == applications else { throw ValidationError("the platform accepted \(platform.accepted) of \(applications)") }
            return time
        }

        // Rounds alternate, so that whatever the machine does meanwhile (writeback, the page cache) falls on both.
        var curlTimes: [Duration] = [], forwardTimes: [Duration] = []
        for round in 0..<rounds {
            curlTimes.append(try curlRound(round))
            forwardTimes.append(try await forwarderRound(round))
        }
        try outbox.close()
        for queue in queues { try queue.close() }
        let curlRate = Double(bytes) / median(curlTimes).seconds, ourRate = Double(bytes) / median(forwardTimes).seconds
        print("drain \(applications) applications (\(bytes / 1_000_000) MB sealed) to a fresh platform simulator over loopback")
        print("  baseline: curl, the same uploads and submissions:    \(String(format: "%.0f", curlRate / 1e6)) MB/s")
        print("  kioskd:   Forwarder:                                 \(String(format: "%.0f", ourRate / 1e6)) MB/s (median of \(rounds) rounds each, alternating)")
        func list(_ times: [Duration]) -> String { times.map { String(format: "%.0f", Double(bytes) / $0.seconds / 1e6) }.joined(separator: " ") }
        print("  each round, MB/s: curl \(list(curlTimes)); Forwarder \(list(forwardTimes))")
        print("  ratio \(String(format: "%.2f", ourRate / curlRate)) (goal ≥ 0.80) \(ourRate / curlRate >= 0.8 ? "PASS" : "MISS")")
        result("drain to the platform", figure: String(format: "%.0f MB/s", ourRate / 1e6), baseline: String(format: "curl %.0f MB/s", curlRate / 1e6), ratio: ourRate / curlRate, goal: "≥ 0.80", pass: ourRate / curlRate >= 0.8)
    }

    static func application(pages: [[UInt8]]) -> ApplicationSubmission {
        ApplicationSubmission(
            serviceCode: "340104-000-1-00-001", serviceName: "城乡居民基本养老保险参保登记", applicantName: "测试居民",
            applicantCertificateType: "111", applicantCertificateNumber: "340104199001011234", regionCode: "340104",
            attachments: pages.map { .init(material: "户口簿", mediaType: "image/jpeg", data: $0) })
    }

    /// The type of the filesystem holding `path`, from /proc/self/mounts (the longest mount point that contains it).
    static func filesystem(of path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        var best: (point: String, type: String) = ("", "unknown filesystem")
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1]
            let contains = absolute == point || absolute.hasPrefix(point == "/" ? "/" : point + "/")
            if contains, point.count >= best.point.count { best = (point, fields[2]) }
        }
        return best.type == "tmpfs" ? "tmpfs: fsync costs nothing here, the ratios mean little" : best.type
    }
}

/// Incompressible bytes, quickly (a SplitMix64 stream seeded from the system: pages need not be secret).
func randomBytes(_ count: Int) -> [UInt8] {
    var state = UInt64.random(in: .min ... .max)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        for offset in stride(from: 0, to: count - count % 8, by: 8) {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            raw.storeBytes(of: z ^ (z >> 31), toByteOffset: offset, as: UInt64.self)
        }
    }
    return bytes
}

func writeAndSync(_ bytes: [UInt8], to path: String) throws {
    let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw ValidationError("cannot create \(path)") }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(fd) == 0 else { throw ValidationError("cannot write \(path)") }
}

func syncDirectory(_ path: String) throws {
    let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw ValidationError("cannot open \(path)") }
    defer { close(fd) }
    fsync(fd)
}

/// 4 KB writes in place (cycling through a preallocated 4 MB file, as SQLite
/// reuses its WAL), each followed by fsync, per second: the disk's fsync rate
/// as fio measures it.
func rawFsyncRate(path: String, count: Int) throws -> Double {
    let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw ValidationError("cannot create \(path)") }
    defer {
        close(fd)
        unlink(path)
    }
    let block = [UInt8](repeating: 0x5A, count: 4096)
    for offset in stride(from: 0, to: 4 << 20, by: 4096) { _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) } }
    fsync(fd)
    let start = ContinuousClock.now
    for index in 0..<count {
        _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(index % 1024 * 4096)) }
        fsync(fd)
    }
    return Double(count) / (ContinuousClock.now - start).seconds
}

/// Where an enqueue's CPU time goes (`--only profile`; no goal, for tuning).
func profileSealing(_ key: Curve25519.KeyAgreement.PrivateKey) throws {
    func time(_ label: String, _ n: Int, _ body: () throws -> Void) rethrows {
        let start = ContinuousClock.now
        for _ in 0..<n { try body() }
        print("  \(label): \(String(format: "%.1f", (ContinuousClock.now - start).seconds / Double(n) * 1e6)) µs")
    }
    let page = randomBytes(1 << 20)
    let symmetric = SymmetricKey(size: .bits256)
    print("CPU per operation")
    try time("HPKE sender to an X25519 key (ephemeral key + X25519)", 200) {
        _ = try HPKE.Sender(recipientKey: key.publicKey, ciphersuite: .init(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256), info: Data("x".utf8))
    }
    let p256 = P256.KeyAgreement.PrivateKey()
    try time("HPKE sender to a P-256 key, for comparison", 200) {
        _ = try HPKE.Sender(recipientKey: p256.publicKey, ciphersuite: .P256_SHA256_AES_GCM_256, info: Data("x".utf8))
    }
    try time("AES-256-GCM seal of a 1 MB page", 20) { _ = try AES.GCM.seal(page, using: symmetric) }
    time("SHA-256 of a 1 MB page", 20) { _ = SHA256.hash(data: page) }
}

/// Seconds added to the large outbox's clock while its backlog fills (a Mutex
/// alone cannot be captured by the escaping clock closure).
private final class ClockOffset: Sendable {
    private let seconds = Mutex(0.0)
    var value: Double { seconds.withLock { $0 } }
    func set(_ value: Double) { seconds.withLock { $0 = value } }
}
