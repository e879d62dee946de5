import ArgumentParser
import Drivers
import Foundation
import KioskCore

struct HandwritingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handwriting",
        abstract: "The writing pad's reader on characters written in the standard stroke order (Tests/Handwriting/strokes.json).",
        discussion: """
            Accuracy: how often the right character is the first candidate, and among the first five (goal: 90% among the first five). \
            Time: a character's candidates as the pad shows them (each pair of neighbouring strokes also read swapped), against one \
            reading of the strokes as written.
            """)

    @Option(help: "The stroke fixture.") var fixture = FileManager.default.currentDirectoryPath + "/Tests/Handwriting/strokes.json"
    @Option(help: "The Zinnia model.") var model = ZinniaReader.debianModel
    @Option(help: "Times each character is read for the timing.") var rounds = 5

    private struct Fixture: Decodable {
        struct Written: Decodable { var character: String; var strokes: [[[Int]]] }
        var size: Int
        var characters: [Written]
    }

    func run() async throws {
        let reader = try ZinniaReader(model: model)
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: self.fixture)))
        let written = try fixture.characters.map { character in
            (character.character, try HandwrittenCharacter(width: fixture.size, height: fixture.size,
                                                          strokes: character.strokes.map { $0.map { .init(x: $0[0], y: $0[1]) } }))
        }
        var first = 0, five = 0, missed: [String] = []
        for (character, strokes) in written {
            let shown = reader.candidates(for: strokes, count: 10)
            if shown.first == character { first += 1 }
            if shown.prefix(5).contains(character) { five += 1 } else { missed.append(character) }
        }
        let clock = ContinuousClock()
        var shownTime = Duration.zero, writtenTime = Duration.zero
        for _ in 0..<rounds {
            for (_, strokes) in written {
                shownTime += clock.measure { _ = reader.candidates(for: strokes, count: 10) }
                writtenTime += clock.measure { _ = reader.read(strokes, count: 10) }
            }
        }
        let count = written.count
        func perCharacter(_ total: Duration) -> Double { total.seconds * 1000 / Double(count * rounds) }
        let (shownMs, writtenMs) = (perCharacter(shownTime), perCharacter(writtenTime))
        let topFive = Double(five) / Double(count)
        print("handwriting: \(count) characters; first candidate \(first), among the first five \(five) (\(String(format: "%.0f", topFive * 100))%); not among them: \(missed.joined())")
        print(String(format: "handwriting: %.1f ms a character as the pad shows it, %.1f ms for one reading as written", shownMs, writtenMs))
        result("handwriting: right character among the first 5 candidates (\(count) written in the standard order)",
               figure: String(format: "%d/%d (%.0f%%); first: %d/%d (%.0f%%)", five, count, topFive * 100, first, count, Double(first) / Double(count) * 100),
               baseline: "—", ratio: nil, goal: "≥ 90% among the first 5", pass: topFive >= 0.9)
        result("handwriting: time to read one character (neighbouring strokes also read swapped)",
               figure: String(format: "%.1f ms", shownMs), baseline: String(format: "%.1f ms (one reading as written)", writtenMs),
               ratio: shownMs / writtenMs, goal: nil, pass: true)
    }
}
