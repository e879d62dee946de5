import ArgumentParser
import Drivers
import Foundation
import HardwareSim
import KioskCore
import Logging

/// Benchmarks that compare kioskd with a baseline measured in the same run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd-bench",
        abstract: "kioskd's benchmarks; each prints its figure next to a baseline and the ratio.",
        subcommands: [IDCardBench.self])
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
