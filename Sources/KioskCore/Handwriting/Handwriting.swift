/// One character written on the screen's pad: its strokes in the order they
/// were written, each the points the finger passed through, in the pad's own
/// units (its width and height), y downwards.
///
/// The pad is the page's, so every number is checked before a recogniser sees it.
public struct HandwrittenCharacter: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public init(x: Int, y: Int) { self.x = x; self.y = y }
    }

    /// The most a character is allowed: the commonest characters have under 25
    /// strokes, and a finger sampled every few pixels leaves a few hundred points a stroke.
    public static let maxStrokes = 40
    public static let maxPointsPerStroke = 1_000
    public static let maxPoints = 8_000
    public static let sides = 16...4_096

    public let width: Int
    public let height: Int
    public let strokes: [[Point]]

    public init(width: Int, height: Int, strokes: [[Point]]) throws(HandwritingError) {
        guard Self.sides.contains(width), Self.sides.contains(height) else {
            throw HandwritingError("the pad's width and height must be \(Self.sides.lowerBound)–\(Self.sides.upperBound), not \(width)×\(height)")
        }
        guard !strokes.isEmpty else { throw HandwritingError("nothing is written: send at least one stroke") }
        guard strokes.count <= Self.maxStrokes else {
            throw HandwritingError("\(strokes.count) strokes is more than one character's \(Self.maxStrokes): clear the pad and write again")
        }
        var total = 0
        for (index, stroke) in strokes.enumerated() {
            guard !stroke.isEmpty, stroke.count <= Self.maxPointsPerStroke else {
                throw HandwritingError("stroke \(index + 1) has \(stroke.count) points; a stroke has 1–\(Self.maxPointsPerStroke)")
            }
            total += stroke.count
            if let outside = stroke.first(where: { !(0...width).contains($0.x) || !(0...height).contains($0.y) }) {
                throw HandwritingError("stroke \(index + 1) leaves the pad at (\(outside.x), \(outside.y)); points lie within 0…\(width) × 0…\(height)")
            }
        }
        guard total <= Self.maxPoints else { throw HandwritingError("\(total) points is more than \(Self.maxPoints): send fewer points a stroke") }
        self.width = width
        self.height = height
        self.strokes = strokes
    }

    /// The same character with one stroke moved to another place in the order.
    func moving(stroke from: Int, to: Int) -> HandwrittenCharacter {
        var strokes = strokes
        strokes.insert(strokes.remove(at: from), at: to)
        return HandwrittenCharacter(checked: self, strokes: strokes)
    }

    private init(checked: HandwrittenCharacter, strokes: [[Point]]) {
        (width, height, self.strokes) = (checked.width, checked.height, strokes)
    }
}

/// A character a recogniser offers, with its score (higher is likelier; comparable within one reading only).
public struct HandwritingCandidate: Sendable, Equatable {
    public var character: String
    public var score: Double
    public init(character: String, score: Double) { self.character = character; self.score = score }
}

/// Something that reads handwriting: the best `count` guesses, best first.
public protocol HandwritingReader: Sendable {
    func read(_ character: HandwrittenCharacter, count: Int) -> [HandwritingCandidate]
}

extension HandwritingReader {
    /// The candidates a resident is shown. Residents write strokes out of order
    /// (and the model learned some characters in an order other than the
    /// standard one), so each pair of neighbouring strokes is also read the other
    /// way round; a swapped reading whose best guess is surer than the written
    /// reading's best goes right after that best, and the written reading's
    /// other guesses follow.
    public func candidates(for character: HandwrittenCharacter, count: Int) -> [String] {
        let written = read(character, count: count)
        guard let best = written.first else { return [] }
        var surer: [HandwritingCandidate] = []
        for index in character.strokes.indices.dropLast() {
            guard let guess = read(character.moving(stroke: index, to: index + 1), count: 1).first, guess.score > best.score else { continue }
            surer.append(guess)
        }
        var shown: [String] = []
        for candidate in [best] + surer.sorted { $0.score > $1.score } + written.dropFirst() where !shown.contains(candidate.character) {
            shown.append(candidate.character)
        }
        return Array(shown.prefix(count))
    }
}

public struct HandwritingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
