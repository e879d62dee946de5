import Drivers
import Foundation
import KioskCore
import Testing

/// Characters written in the standard stroke order (Tests/Handwriting/strokes.json).
struct WrittenFixture: Decodable {
    struct Written: Decodable {
        var character: String
        var strokes: [[[Int]]]
    }
    var size: Int
    var characters: [Written]

    static func load() throws -> WrittenFixture {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try JSONDecoder().decode(WrittenFixture.self, from: Data(contentsOf: root.appendingPathComponent("Handwriting/strokes.json")))
    }

    func handwritten(_ written: Written) throws -> HandwrittenCharacter {
        try HandwrittenCharacter(width: size, height: size, strokes: written.strokes.map { $0.map { .init(x: $0[0], y: $0[1]) } })
    }
}

@Suite("Handwriting read by Zinnia with Debian's Simplified Chinese model")
struct ZinniaReaderTests {
    @Test("Characters written in the standard order: the right one is among the first five for most of them")
    func fixture() throws {
        let pad = try shippedWritingPad(try ZinniaReader())
        let fixture = try WrittenFixture.load()
        #expect(fixture.characters.count >= 50)
        var first = 0, firstFive = 0, missed: [String] = []
        for written in fixture.characters {
            let shown = pad.candidates(for: try fixture.handwritten(written), count: 10)
            if shown.first == written.character { first += 1 }
            if shown.prefix(5).contains(written.character) { firstFive += 1 } else { missed.append("\(written.character) (\(shown.prefix(5).joined()))") }
        }
        let count = fixture.characters.count
        print("handwriting: top-1 \(first)/\(count), top-5 \(firstFive)/\(count); not in the first five: \(missed.joined(separator: " "))")
        #expect(Double(firstFive) / Double(count) >= 0.9, "top-5 \(firstFive)/\(count); missed \(missed)")
        #expect(Double(first) / Double(count) >= 0.8, "top-1 \(first)/\(count)")
    }

    @Test("Two neighbouring strokes written the other way round still find the character")
    func strokesOutOfOrder() throws {
        let reader = try ZinniaReader()
        let pad = try shippedWritingPad(reader)
        // 马 and 周 with their first two strokes swapped, 白 with its second and third: read only as
        // written, none is among the first five; the candidates a resident is shown have each.
        let fixture = try WrittenFixture.load()
        for (character, first) in [("马", 0), ("周", 0), ("白", 1)] {
            let written = try #require(fixture.characters.first { $0.character == character })
            var strokes = written.strokes
            strokes.swapAt(first, first + 1)
            let swapped = try fixture.handwritten(.init(character: character, strokes: strokes))
            #expect(!reader.read(swapped, count: 5).map(\.character).contains(character))
            #expect(pad.candidates(for: swapped, count: 5).contains(character), "\(character) with strokes \(first + 1) and \(first + 2) swapped")
        }
    }

    @Test("The model is open only while someone writes: closed again after the last reading, and opened again for the next")
    func openOnDemand() async throws {
        let reader = try ZinniaReader(keepOpen: .milliseconds(200))
        #expect(reader.characters > 6000)
        #expect(!reader.isOpen, "checked at start, then let go: a kiosk at rest does not carry 26 MB of model")
        let fixture = try WrittenFixture.load()
        let king = try fixture.handwritten(try #require(fixture.characters.first { $0.character == "王" }))
        #expect(reader.read(king, count: 1).first?.character == "王")
        #expect(reader.isOpen)
        #expect(await eventually(within: .seconds(3)) { !reader.isOpen }, "closed after the last reading")
        #expect(reader.read(king, count: 1).first?.character == "王", "opened again")
    }

    @Test("A model that is missing or is not a model: an error that says what to install or set")
    func badModel() throws {
        #expect { try ZinniaReader(model: "/nonexistent/handwriting.model") } throws: { error in
            "\(error)".contains("/nonexistent/handwriting.model") && "\(error)".contains("install tegaki-zinnia-simplified-chinese")
        }
        let notAModel = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID()).model")
        try Data("this is not a zinnia model\n".utf8).write(to: notAModel)
        defer { try? FileManager.default.removeItem(at: notAModel) }
        #expect { try ZinniaReader(model: notAModel.path) } throws: { "\($0)".contains("set handwriting.model") }
    }

    @Test("Strokes from the page are checked before the model sees them")
    func checkedStrokes() {
        let line: [HandwrittenCharacter.Point] = [.init(x: 10, y: 50), .init(x: 90, y: 50)]
        let refusals: [(String, () throws -> HandwrittenCharacter)] = [
            ("nothing is written", { try HandwrittenCharacter(width: 100, height: 100, strokes: []) }),
            ("leaves the pad at (120, 50)", { try HandwrittenCharacter(width: 100, height: 100, strokes: [[.init(x: 120, y: 50)]]) }),
            ("leaves the pad at (5, -1)", { try HandwrittenCharacter(width: 100, height: 100, strokes: [[.init(x: 5, y: -1)]]) }),
            ("width and height must be", { try HandwrittenCharacter(width: 0, height: 100, strokes: [line]) }),
            ("more than one character's 40", { try HandwrittenCharacter(width: 100, height: 100, strokes: Array(repeating: line, count: 41)) }),
            ("stroke 2 has 0 points", { try HandwrittenCharacter(width: 100, height: 100, strokes: [line, []]) }),
            ("stroke 1 has 1001 points", { try HandwrittenCharacter(width: 100, height: 100, strokes: [Array(repeating: line[0], count: 1001)]) }),
            ("more than 8000", { try HandwrittenCharacter(width: 100, height: 100, strokes: Array(repeating: Array(repeating: line[0], count: 1000), count: 9)) }),
        ]
        for (message, make) in refusals {
            #expect { try make() } throws: { "\($0)".contains(message) }
        }
    }
}
