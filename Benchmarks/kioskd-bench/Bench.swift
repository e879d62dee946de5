import ArgumentParser
import Drivers
import Foundation
import HardwareSim
import KioskCore
import Logging
import SystemIO

@main
enum BenchMain {
    static func main() async {
        ExitWithoutDestructors.install()
        Allocator.configure()  // as kioskd's: the allocator's settings change how fast pages are scanned
        await Bench.main()
    }
}

/// Benchmarks that compare kioskd with a baseline measured in the same run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd-bench",
        abstract: "kioskd's benchmarks; each prints its figure next to a baseline and the ratio.",
        subcommands: [IDCardBench.self, ScanBench.self, OutboxBench.self, CaseEventBench.self, HandwritingBench.self])
}

/// One row of bench/results.md, printed as a tab-separated line after the
/// human-readable ones; scripts/bench-table.py collects them from every benchmark.
/// A row without a goal is a figure kept for comparison.
func result(_ name: String, figure: String, baseline: String, ratio: Double?, goal: String?, pass: Bool) {
    let verdict = goal == nil ? "—" : pass ? "PASS" : "MISS"
    print(["RESULT", name, figure, baseline, ratio.map { String(format: "%.2f", $0) } ?? "—", goal ?? "—", verdict].joined(separator: "\t"))
}

struct IDCardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idcard",
        abstract: "Card placed → identity event, over a simulated GA 467 reader paced like a 115200-baud UART.",
        discussion: "Baseline: the wire time of the bytes the read transaction exchanges (10 bits per byte). Goal: kioskd's own overhead (transaction time minus wire time) under 10% of the wire time.")

    @Option(help: "Cards to read.") var rounds = 40
    @Option(help: "Baud rate of the simulated reader.") var baud = 115_200
    @Option(help: "The reader's poll interval in ms.") var pollMs = 300
    @Option(help: "Folder of card profiles.") var cards = FileManager.default.currentDirectoryPath + "/hardware-sim/cards"

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/kioskd-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let wire = try PtyWire(link: folder + "/idcard", bitsPerSecond: baud)
        let simulator = IDCardSimulator(cardsDirectory: cards, commandBitsPerSecond: baud)
        let serving = Task { await wire.serve(simulator) }
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        var settings = GA467Reader.Settings()
        settings.pollInterval = .milliseconds(pollMs)
        let reader = GA467Reader(
            connection: DeviceConnection(
                identity: DeviceIdentity(kind: .idCardReader, model: "simulated", port: try DevicePort(parsing: wire.portString + "?baud=\(baud)")),
                logger: quiet),
            settings: settings, logger: quiet)
        var events = reader.cardEvents().makeAsyncIterator()
        let running = Task { await reader.run() }
        let profile = try CardProfile.load("wang-jianguo", cardsDirectory: cards)

        var transactions: [Duration] = [], wireTimes: [Duration] = [], placedToEvent: [Duration] = []
        var bytesPerRead = 0
        for round in 0..<(rounds + 2) {
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<pollMs)))  // place at a random point of the poll cycle
            let placed = ContinuousClock.now
            simulator.put(profile)
            guard case .presented? = await events.next() else { throw ValidationError("the card was not presented") }
            let arrived = ContinuousClock.now
            guard let found = simulator.sinceCardFound else { throw ValidationError("the simulator saw no find") }
            simulator.remove()
            guard case .removed? = await events.next() else { throw ValidationError("the card was not removed") }
            if round < 2 { continue }  // warm-up
            bytesPerRead = found.bytes
            transactions.append(arrived - found.at)
            wireTimes.append(.microseconds(Int64(found.bytes) * 10_000_000 / Int64(baud)))
            placedToEvent.append(arrived - placed)
        }
        await reader.shutdown(grace: .milliseconds(100))
        running.cancel()
        wire.stop()
        serving.cancel()

        let wireTime = median(wireTimes)
        let overheads = zip(transactions, wireTimes).map { $0 - $1 }
        let overhead = median(overheads)
        let ratio = overhead / wireTime
        print("ID-card read over a simulated \(baud)-baud GA 467 reader (pty), \(rounds) rounds")
        print("  baseline: wire time of one read transaction (find, select, read, extra address; \(bytesPerRead) bytes): \(ms(wireTime))")
        print("  kioskd:   find answered → identity event: p50 \(ms(median(transactions)))  p95 \(ms(percentile(transactions, 0.95)))")
        print("  overhead: p50 \(ms(overhead)), p95 \(ms(percentile(overheads, 0.95))); ratio \(String(format: "%.3f", ratio)) of wire time (goal < 0.100) \(ratio < 0.1 ? "PASS" : "MISS")")
        print("  card placed → identity event, including the wait for the next poll (every \(pollMs) ms): p50 \(ms(median(placedToEvent)))  p95 \(ms(percentile(placedToEvent, 0.95)))")
        result("ID-card read: kioskd's overhead", figure: ms(overhead), baseline: "wire time \(ms(wireTime))", ratio: ratio, goal: "< 0.10 of wire time", pass: ratio < 0.1)
    }
}

func median(_ values: [Duration]) -> Duration { percentile(values, 0.5) }

func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .zero }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
}

func ms(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return String(format: "%.1f ms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
}

struct ScanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "A 10-page feeder batch from SANE's test backend at 300 dpi grey, against scanimage doing the same batch.",
        discussion: "Both read the same pages through libsane and write JPEG (quality 75); scanimage also writes its files. Goal: kioskd's time at most 1.1× scanimage's.")

    @Option(help: "Batches of each, alternating.") var rounds = 3
    @Option(help: "Where scanimage is.") var scanimage = "/usr/bin/scanimage"

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/kioskd-bench-scan-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder + "/sane.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "test\n".write(toFile: folder + "/sane.d/dll.conf", atomically: true, encoding: .utf8)
        try? FileManager.default.copyItem(atPath: "/etc/sane.d/test.conf", toPath: folder + "/sane.d/test.conf")
        setenv("SANE_CONFIG_DIR", folder + "/sane.d", 1)

        var settings = ScanSettings()
        settings.source = .adf
        settings.mode = .gray
        settings.resolution = 300
        settings.maxPages = 10
        settings.areaMillimetres = (200, 200)
        settings.extraOptions = ["test-picture": "Grid"]
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        let scanner = SANEScanner(device: "test:0", logger: quiet)

        var ours: [Duration] = [], theirs: [Duration] = []
        var ourBytes = 0, theirBytes = 0
        for round in 0..<(rounds + 1) {
            let clock = ContinuousClock()
            var start = clock.now
            let batch = try await scanner.scan(settings)
            let ourTime = clock.now - start
            guard batch.pages.count == 10 else { throw ValidationError("kioskd scanned \(batch.pages.count) pages, not 10") }

            let output = "\(folder)/round\(round)"
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            start = clock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: scanimage)
            process.arguments = ["-d", "test:0", "--source", "Automatic Document Feeder", "--mode", "Gray", "--resolution", "300",
                                 "-l", "0", "-t", "0", "-x", "200", "-y", "200", "--test-picture", "Grid",
                                 "--format=jpeg", "--batch=\(output)/page%d.jpg", "--batch-count=10"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            let theirTime = clock.now - start
            let files = try FileManager.default.contentsOfDirectory(atPath: output)
            guard files.count == 10 else { throw ValidationError("scanimage wrote \(files.count) pages, not 10") }
            if round == 0 { continue }  // warm-up
            ours.append(ourTime)
            theirs.append(theirTime)
            ourBytes = batch.pages.reduce(0) { $0 + $1.data.count } / 10
            theirBytes = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: "\(output)/\($1)")[.size] as? Int) ?? 0) } / 10
        }
        let ourMedian = median(ours), theirMedian = median(theirs)
        let ratio = ourMedian / theirMedian
        func rate(_ time: Duration) -> String { String(format: "%.1f pages/s", 10 / time.seconds) }
        print("10-page feeder batch, SANE test backend, 300 dpi grey 200×200 mm (2362×2362), JPEG, \(rounds) rounds")
        print("  baseline: scanimage --batch --format=jpeg: \(ms(theirMedian)) (\(rate(theirMedian))), \(theirBytes / 1024) KB/page")
        print("  kioskd:   SANEScanner.scan:                \(ms(ourMedian)) (\(rate(ourMedian))), \(ourBytes / 1024) KB/page")
        print("  ratio \(String(format: "%.2f", ratio)) of scanimage's time (goal ≤ 1.10) \(ratio <= 1.1 ? "PASS" : "MISS")")
        result("10-page scan (SANE test backend)", figure: ms(ourMedian), baseline: "scanimage \(ms(theirMedian))", ratio: ratio, goal: "≤ 1.10", pass: ratio <= 1.1)
    }
}
