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
    /// The most points a stroke keeps once each nearly straight run is one line (within 1% of the pad):
    /// a person's stroke turns a few times. Zinnia's work doubles with each turn past about twenty (a
    /// zig-zag of 26 turns took it a gigabyte, one of 40 aborted kioskd), so a stroke that turns more is
    /// refused, and a recogniser is given each stroke as these points (``outlines``).
    public static let maxTurningPoints = 16

    public let width: Int
    public let height: Int
    public let strokes: [[Point]]
    /// Each stroke as its turning points: what a recogniser reads.
    public let outlines: [[Point]]

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
        let tolerance = Double(max(width, height)) * 0.01
        var outlines: [[Point]] = []
        for (index, stroke) in strokes.enumerated() {
            let outline = Self.simplified(stroke.map { (x: Double($0.x), y: Double($0.y)) }, tolerance: tolerance).map { Point(x: Int($0.x), y: Int($0.y)) }
            guard outline.count <= Self.maxTurningPoints else {
                throw HandwritingError("stroke \(index + 1) turns \(outline.count - 2) times; a stroke of a character turns a few times at most: clear the pad and write again")
            }
            outlines.append(outline)
        }
        self.width = width
        self.height = height
        self.strokes = strokes
        self.outlines = outlines
    }

    /// The same character with one stroke moved to another place in the order.
    func moving(stroke from: Int, to: Int) -> HandwrittenCharacter {
        var (strokes, outlines) = (strokes, outlines)
        strokes.insert(strokes.remove(at: from), at: to)
        outlines.insert(outlines.remove(at: from), at: to)
        return HandwrittenCharacter(checked: self, strokes: strokes, outlines: outlines)
    }

    private init(checked: HandwrittenCharacter, strokes: [[Point]], outlines: [[Point]]) {
        (width, height, self.strokes, self.outlines) = (checked.width, checked.height, strokes, outlines)
    }
}

/// A character a recogniser offers, with its score (higher is likelier; comparable within one reading only).
public struct HandwritingCandidate: Sendable, Equatable {
    public var character: String
    public var score: Double
    public init(character: String, score: Double) { self.character = character; self.score = score }
}

/// Something that reads handwriting: the best `count` guesses, best first (all it knows when it knows fewer).
public protocol HandwritingReader: Sendable {
    func read(_ character: HandwrittenCharacter, count: Int) -> [HandwritingCandidate]
}

/// The screen's writing pad: a recogniser, and the standard stroke orders
/// its guesses are held against.
public struct WritingPad: Sendable {
    public let reader: any HandwritingReader
    public let orders: StrokeOrders
    /// What a stroke whose kind is not the standard order's costs, in the
    /// recogniser's score (Zinnia's: its first guesses lie within a unit or two
    /// of each other). Measured on the fixture's characters distorted
    /// (`kioskd-bench handwriting`), 0.5–2 did about as well as each other.
    public var strokeWeight = 1.0

    public init(reader: any HandwritingReader, orders: StrokeOrders) {
        self.reader = reader
        self.orders = orders
    }

    /// The candidates a resident is shown, best first. Each of the recogniser's
    /// guesses is marked down by how far the kinds of the strokes as written are
    /// from that character's standard order (`strokeWeight` a stroke, see
    /// ``StrokeOrders``): the model learned some characters in another order,
    /// and finds 山 or 于 written in the standard one only among hundreds.
    /// Residents also write strokes out of order, so each pair of neighbouring
    /// strokes is read the other way round too, at the cost of one stroke more;
    /// the best guess of the strokes as written stays first all the same (read
    /// swapped, 王's last two strokes make a surer 丰).
    /// The most readings with two neighbouring strokes swapped, for a character of many strokes.
    public static let swappedReadings = 24

    public func candidates(for character: HandwrittenCharacter, count: Int) -> [String] {
        guard count > 0 else { return [] }
        let writtenKinds = character.strokeKinds
        var readings = [(strokes: character, kinds: writtenKinds)]
        // Past the commonest characters' strokes, swaps are read for the first ones only: a reading's work stays bounded.
        for index in character.strokes.indices.dropLast().prefix(Self.swappedReadings) {
            var kinds = writtenKinds
            kinds.swapAt(index, index + 1)
            readings.append((character.moving(stroke: index, to: index + 1), kinds))
        }
        var best: [String: Double] = [:]
        /// The score a guess must beat to be shown: the `count`th best so far.
        var bar = -Double.infinity
        var first: (character: String, score: Double)?
        for (index, (reading, kinds)) in readings.enumerated() {
            let cost = index == 0 ? 0 : strokeWeight
            for guess in reader.read(reading, count: .max) {
                // Guesses come best first, and marking down only lowers them: none after this one can be shown.
                let ceiling = guess.score - cost
                let floor = index == 0 ? min(bar, first?.score ?? -.infinity) : bar
                guard ceiling > floor else { break }
                let strokesAllowed = strokeWeight > 0 && floor.isFinite ? Int(min(((ceiling - floor) / strokeWeight).rounded(.up), 100)) : .max
                guard let strokes = orders.distance(from: kinds, to: guess.character, below: strokesAllowed) else { continue }
                let score = ceiling - strokeWeight * Double(strokes)
                if index == 0, score > first?.score ?? -.infinity { first = (guess.character, score) }
                guard score > bar, score > best[guess.character, default: -.infinity] else { continue }
                best[guess.character] = score
                if best.count >= count { bar = best.values.sorted(by: >)[count - 1] }
            }
        }
        guard let first else { return [] }
        let rest = best.filter { $0.key != first.character }.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        return [first.character] + rest.prefix(count - 1).map(\.key)
    }
}

public struct HandwritingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
