import Foundation
@testable import KioskCore
import Testing

@Suite("The writing pad's strokes held against the standard stroke orders")
struct StrokeOrdersTests {
    static let orders = try! StrokeOrders(json: Shipped.bytes("ui/" + StrokeOrders.file), file: "ui/" + StrokeOrders.file)

    func kinds(_ strokes: [[(Int, Int)]], side: Int = 100) throws -> String {
        let character = try HandwrittenCharacter(width: side, height: side, strokes: strokes.map { $0.map { .init(x: $0.0, y: $0.1) } })
        return String(decoding: character.strokeKinds, as: UTF8.self)
    }

    @Test("A stroke's bearing in pure Swift agrees with C's atan2 to 1e-12° on every kind of direction, the pad's and random ones")
    func bearing() {
        var rng = SystemRandomNumberGenerator()
        var directions: [(Double, Double)] = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1), (3, -7), (-400, 1), (1e-9, -1), (0, 0)]
        for _ in 0..<20_000 { directions.append((Double.random(in: -400...400, using: &rng), Double.random(in: -400...400, using: &rng))) }
        for (x, y) in directions {
            #expect(abs(Bearing.degrees(x: x, y: y) - atan2(y, x) * 180 / .pi) < 1e-12, "(\(x), \(y))")
            #expect(abs(Bearing.length(x: x, y: y) - hypot(x, y)) < 1e-9)
        }
    }

    @Test("a stroke that turns more than a person's does is refused with why; a person's strokes, however many points, keep their turning points")
    func turningPoints() throws {
        let zigzag = (0..<40).map { HandwrittenCharacter.Point(x: 10 + $0 * 9, y: $0 % 2 == 0 ? 10 : 390) }
        let refused = #expect(throws: HandwritingError.self) { try HandwrittenCharacter(width: 400, height: 400, strokes: [zigzag]) }
        #expect(refused?.description.contains("turns 38 times") == true, "\(refused?.description ?? "")")
        // A finger's 横折钩, sampled every 3 units: hundreds of points, a handful of turns.
        let stroke = (0..<100).map { HandwrittenCharacter.Point(x: 50 + $0 * 3, y: 100) } + (0..<80).map { HandwrittenCharacter.Point(x: 350, y: 100 + $0 * 3) }
            + (0..<10).map { HandwrittenCharacter.Point(x: 350 - $0 * 3, y: 340 - $0 * 2) }
        let character = try HandwrittenCharacter(width: 400, height: 400, strokes: [stroke])
        #expect(character.outlines[0].count <= 5 && character.outlines[0].first == stroke.first && character.outlines[0].last == stroke.last)
    }

    @Test("Each stroke's kind told from its shape, at any size of pad")
    func kindsFromShapes() throws {
        let shapes: [(String, [(Int, Int)], String)] = [
            ("横", [(10, 50), (90, 48)], "h"),
            ("提", [(10, 80), (40, 60)], "h"),
            ("竖", [(50, 10), (51, 90)], "s"),
            ("竖钩", [(50, 10), (50, 90), (40, 82)], "s"),
            ("竖提", [(50, 10), (50, 90), (62, 80)], "z"),
            ("竖撇", [(30, 5), (30, 65), (12, 94)], "p"),
            ("撇", [(70, 10), (20, 80)], "p"),
            ("点", [(50, 10), (54, 20)], "n"),
            ("捺", [(30, 30), (90, 90)], "n"),
            ("横折", [(20, 20), (80, 20), (80, 80)], "z"),
            ("弯钩", [(50, 10), (58, 50), (52, 90), (40, 84)], "z"),
            ("a tap", [(50, 50)], "n"),
        ]
        for (name, points, kind) in shapes {
            #expect(try kinds([points]) == kind, "\(name)")
            // The page sends a finger's points every few pixels, in a box of its own size.
            let dense = zip(points, points.dropFirst()).flatMap { a, b in
                (0..<20).map { (($0 * b.0 + (20 - $0) * a.0) * 4 / 20, ($0 * b.1 + (20 - $0) * a.1) * 4 / 20) }
            } + [(points.last!.0 * 4, points.last!.1 * 4)]
            #expect(try kinds([dense], side: 400) == kind, "\(name), densely sampled in a 400-unit pad")
        }
    }

    @Test("Every character of the stroke fixture, written by hand in the standard order, has the kinds of its standard order")
    func fixtureKinds() throws {
        struct Fixture: Decodable {
            struct Written: Decodable { var character: String; var strokes: [[[Int]]] }
            var size: Int
            var characters: [Written]
        }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(Shipped.bytes("Tests/Handwriting/strokes.json")))
        #expect(fixture.characters.count >= 50)
        for written in fixture.characters {
            let character = try HandwrittenCharacter(width: fixture.size, height: fixture.size,
                                                     strokes: written.strokes.map { $0.map { .init(x: $0[0], y: $0[1]) } })
            #expect(Self.orders.distance(from: character.strokeKinds, to: written.character) == 0,
                    "\(written.character) written \(String(decoding: character.strokeKinds, as: UTF8.self)), standard \(Self.orders.orders(of: written.character))")
        }
    }

    @Test("The table: characters' orders, mainland and Taiwan alternatives, and the distance of strokes written otherwise")
    func table() {
        #expect(Self.orders.count > 8000)
        #expect(Self.orders.orders(of: "山") == ["szs"])
        #expect(Self.orders.orders(of: "北").contains("shhpz"), "the mainland order beside Taiwan's")
        #expect(Self.orders.distance(from: Array("szs".utf8), to: "山") == 0)
        #expect(Self.orders.distance(from: Array("sz".utf8), to: "山") == 1, "a stroke left out")
        #expect(Self.orders.distance(from: Array("hzs".utf8), to: "山") == 1, "a stroke of another kind")
        #expect(Self.orders.distance(from: Array("hhh".utf8), to: "😀") == 3, "a character the table lacks is as far as every stroke")
    }

    @Test("A stroke-order file that is not right is refused with its line and what to do")
    func badFiles() {
        for (text, line, message) in [
            (#"{"orders": {"山": "szs",\#n "大": "hpx"}}"#, 2, "letters h, s, p, n, z"),
            (#"{"orders": {"山": "szs",\#n"山水": "szs"}}"#, 2, "one character"),
            (#"{"orders": {"山": ""}}"#, 1, "letters h, s, p, n, z"),
            (#"{"strokes": {}}"#, 1, "make stroke-orders"),
            ("{\"orders\": {\n\"山\" \"szs\"}}", 2, "line 2"),
        ] {
            #expect { try StrokeOrders(json: Array(text.utf8), file: "stroke-orders.json") } throws: { error in
                guard let error = error as? DataFileError else { return false }
                return error.line == line && "\(error)".contains(message) && "\(error)".contains("stroke-orders.json")
            }
        }
    }

    /// A recogniser that answers fixed guesses, whatever the strokes' order.
    struct FixedReader: HandwritingReader {
        var guesses: [HandwritingCandidate]
        func read(_ character: HandwrittenCharacter, count: Int) -> [HandwritingCandidate] { Array(guesses.prefix(count)) }
    }

    @Test("A guess whose standard order matches the strokes rises above surer guesses of other kinds")
    func ranking() throws {
        // 山 written: 竖, 竖折, 竖. The recogniser is surer of 入 (撇, 捺) and 凶 (撇点 …) than of 山.
        let mountain = try HandwrittenCharacter(width: 100, height: 100, strokes: [
            [.init(x: 50, y: 8), .init(x: 50, y: 86)],
            [.init(x: 14, y: 36), .init(x: 14, y: 86), .init(x: 86, y: 86)],
            [.init(x: 86, y: 36), .init(x: 86, y: 86)],
        ])
        let reader = FixedReader(guesses: [.init(character: "入", score: 0.1), .init(character: "凶", score: -0.2),
                                           .init(character: "女", score: -0.4), .init(character: "山", score: -1.5)])
        var pad = WritingPad(reader: reader, orders: Self.orders)
        #expect(pad.candidates(for: mountain, count: 4).first == "山")
        #expect(pad.candidates(for: mountain, count: 2).count == 2)
        #expect(pad.candidates(for: mountain, count: 0).isEmpty)
        // With strokes weighing nothing, the recogniser's order stands.
        pad.strokeWeight = 0
        #expect(pad.candidates(for: mountain, count: 4) == ["入", "凶", "女", "山"])
    }
}
