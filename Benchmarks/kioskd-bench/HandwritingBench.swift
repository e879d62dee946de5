import ArgumentParser
import Drivers
import Foundation
import KioskCore

struct HandwritingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handwriting",
        abstract: "The writing pad on characters written in the standard stroke order (Tests/Handwriting/strokes.json).",
        discussion: """
            Accuracy: how often the right character is the first candidate, and among the first five (goal: 90% among the first five), \
            as the pad shows them (Zinnia's guesses held against the standard stroke orders) against Zinnia's reading alone. \
            The same on the fixture distorted as a finger distorts it (seeded: wavering strokes, turned, sheared, stretched), \
            for three weights of a stroke of the wrong kind. Time: a character's candidates as the pad shows them, against one reading.
            """)

    @Option(help: "The stroke fixture.") var fixture = FileManager.default.currentDirectoryPath + "/Tests/Handwriting/strokes.json"
    @Option(help: "The stroke orders.") var orders = FileManager.default.currentDirectoryPath + "/ui/" + StrokeOrders.file
    @Option(help: "The Zinnia model.") var model = ZinniaReader.debianModel
    @Option(help: "Times each character is read for the timing.") var rounds = 5
    @Option(help: "Distorted copies of each character.") var distorted = 4

    private struct Fixture: Decodable {
        struct Written: Decodable { var character: String; var strokes: [[[Int]]] }
        var size: Int
        var characters: [Written]
    }

    func run() async throws {
        let reader = try ZinniaReader(model: model)
        let pad = WritingPad(reader: reader, orders: try StrokeOrders(json: Array(try Data(contentsOf: URL(fileURLWithPath: orders))), file: orders))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: self.fixture)))
        let written = try fixture.characters.map { character in
            (character.character, try HandwrittenCharacter(width: fixture.size, height: fixture.size,
                                                          strokes: character.strokes.map { $0.map { .init(x: $0[0], y: $0[1]) } }))
        }
        let count = written.count
        func rates(_ characters: [(String, HandwrittenCharacter)], _ shown: (HandwrittenCharacter) -> [String]) -> (first: Int, five: Int, missed: String) {
            var first = 0, five = 0, missed = ""
            for (character, strokes) in characters {
                let candidates = shown(strokes)
                if candidates.first == character { first += 1 }
                if candidates.prefix(5).contains(character) { five += 1 } else { missed += character }
            }
            return (first, five, missed)
        }
        func percent(_ part: Int, _ whole: Int) -> String { String(format: "%d/%d (%.0f%%)", part, whole, Double(part) / Double(whole) * 100) }

        let padRates = rates(written) { pad.candidates(for: $0, count: 10) }
        let zinniaRates = rates(written) { reader.read($0, count: 10).map(\.character) }
        print("handwriting: \(count) characters; the pad: first \(padRates.first), first five \(padRates.five), not among them: \(padRates.missed)")
        print("handwriting: Zinnia alone: first \(zinniaRates.first), first five \(zinniaRates.five), not among them: \(zinniaRates.missed)")
        result("handwriting: right character among the first 5 candidates (\(count) written in the standard order)",
               figure: percent(padRates.five, count) + "; first: " + percent(padRates.first, count),
               baseline: "Zinnia alone: " + percent(zinniaRates.five, count), ratio: nil, goal: "≥ 90% among the first 5",
               pass: Double(padRates.five) >= 0.9 * Double(count))

        var generator = SeededGenerator(seed: 2026)
        let wavering = written.flatMap { character, strokes in
            (0..<distorted).map { _ in (character, Self.distort(strokes, &generator)) }
        }
        let zinniaDistorted = rates(wavering) { reader.read($0, count: 10).map(\.character) }
        var weighed: [String] = []
        for weight in [0.5, 1, 2] {
            var weighted = pad
            weighted.strokeWeight = weight
            let figures = rates(wavering) { weighted.candidates(for: $0, count: 10) }
            weighed.append(String(format: "weight %.1f: ", weight) + percent(figures.five, wavering.count))
        }
        print("handwriting: \(wavering.count) distorted; Zinnia alone \(percent(zinniaDistorted.five, wavering.count)); the pad, \(weighed.joined(separator: ", "))")
        result("handwriting: right character among the first 5, the fixture distorted (\(wavering.count): wavering, turned ±5°, sheared, stretched)",
               figure: weighed.joined(separator: "; "), baseline: "Zinnia alone: " + percent(zinniaDistorted.five, wavering.count),
               ratio: nil, goal: nil, pass: true)

        let clock = ContinuousClock()
        var shownTime = Duration.zero, writtenTime = Duration.zero
        for _ in 0..<rounds {
            for (_, strokes) in written {
                shownTime += clock.measure { _ = pad.candidates(for: strokes, count: 10) }
                writtenTime += clock.measure { _ = reader.read(strokes, count: 10) }
            }
        }
        func perCharacter(_ total: Duration) -> Double { total.seconds * 1000 / Double(count * rounds) }
        let (shownMs, writtenMs) = (perCharacter(shownTime), perCharacter(writtenTime))
        print(String(format: "handwriting: %.1f ms a character as the pad shows it, %.1f ms for one reading as written", shownMs, writtenMs))
        result("handwriting: time to read one character (neighbouring strokes also read swapped, all guesses held against the stroke orders)",
               figure: String(format: "%.1f ms", shownMs), baseline: String(format: "%.1f ms (one reading as written)", writtenMs),
               ratio: shownMs / writtenMs, goal: nil, pass: true)
    }

    /// `character` as a finger might write it in a 1,000-unit pad: points every 1.5% of the side, each
    /// stroke wavering by up to 2% in two slow waves, the whole turned by up to 5°, sheared and stretched.
    static func distort(_ character: HandwrittenCharacter, _ generator: inout SeededGenerator) -> HandwrittenCharacter {
        let side = Double(character.width)
        let turn = Double.random(in: -5...5, using: &generator) * .pi / 180
        let shear = Double.random(in: -0.08...0.08, using: &generator)
        let (stretchX, stretchY) = (Double.random(in: 0.85...1.1, using: &generator), Double.random(in: 0.85...1.1, using: &generator))
        let strokes = character.strokes.map { stroke -> [HandwrittenCharacter.Point] in
            var dense: [(Double, Double)] = []
            for (a, b) in zip(stroke, stroke.dropFirst()) {
                let (dx, dy) = (Double(b.x - a.x), Double(b.y - a.y))
                let steps = max(1, Int(hypot(dx, dy) / (side * 0.015)))
                for step in 0..<steps {
                    let along = Double(step) / Double(steps)
                    dense.append((Double(a.x) + dx * along, Double(a.y) + dy * along))
                }
            }
            if let last = stroke.last { dense.append((Double(last.x), Double(last.y))) }
            let phases = (0..<4).map { _ in Double.random(in: 0...(2 * .pi), using: &generator) }
            let swings = (0..<4).map { _ in Double.random(in: -0.02...0.02, using: &generator) * side }
            return dense.enumerated().map { index, point in
                let along = Double(index) / Double(max(1, dense.count - 1))
                let x = point.0 + swings[0] * sin(.pi * along + phases[0]) + swings[1] * sin(2 * .pi * along + phases[1]) - side / 2
                let y = point.1 + swings[2] * sin(.pi * along + phases[2]) + swings[3] * sin(2 * .pi * along + phases[3]) - side / 2
                let turnedX = stretchX * (x * cos(turn) - y * sin(turn)) + shear * y, turnedY = stretchY * (x * sin(turn) + y * cos(turn))
                return .init(x: Int(((turnedX + side / 2) * 1000 / side).rounded()).clamped(0, 1000), y: Int(((turnedY + side / 2) * 1000 / side).rounded()).clamped(0, 1000))
            }
        }
        // Every number is within the pad and the fixture's strokes are few: this cannot fail.
        return (try? HandwrittenCharacter(width: 1000, height: 1000, strokes: strokes)) ?? character
    }
}

/// A generator with a seed, so every run distorts the fixture the same way (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private extension Int {
    func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
