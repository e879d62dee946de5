/// Each character's strokes in writing order as five kinds, the 五笔画 of
/// stroke input: h 横 (and 提), s 竖 (and 竖钩), p 撇, n 点 (and 捺), z 折
/// (every other stroke that turns). From ui/stroke-orders.json
/// (`make stroke-orders`, docs/handwriting.md).
///
/// A recogniser's model may have learned a character in another order than
/// the one residents are taught; the kinds of the strokes as written, held
/// against the standard order, tell the written character apart where the
/// model's shapes do not.
public struct StrokeOrders: Sendable {
    /// Where, under `http.ui_dir`, the table is.
    public static let file = "stroke-orders.json"

    private let orders: [String: [[UInt8]]]

    public var count: Int { orders.count }

    /// Reads a stroke-order file; `file` names it in errors.
    public init(json bytes: [UInt8], file: String) throws(DataFileError) {
        let node: JSONNode
        do { node = try JSONNode.parse(bytes) } catch { throw DataFileError(file: file, line: error.line, item: nil, field: "", message: error.message) }
        guard case .object(let members)? = node["orders"]?.value else {
            throw DataFileError(file: file, line: node.line, item: nil, field: "", message: "must be an object with \"orders\": regenerate it with make stroke-orders")
        }
        let kinds = Set("hspnz".utf8)
        var orders: [String: [[UInt8]]] = [:]
        for member in members {
            guard member.key.count == 1, case .string(let text) = member.value.value,
                  case let alternatives = text.split(separator: " ").map({ Array($0.utf8) }),
                  !alternatives.isEmpty, alternatives.allSatisfy({ $0.allSatisfy(kinds.contains) })
            else {
                throw DataFileError(file: file, line: member.value.line, item: member.key, field: "orders",
                                    message: "must map one character to its strokes as letters h, s, p, n, z (alternatives space-separated)")
            }
            orders[member.key] = alternatives
        }
        self.orders = orders
    }

    /// The standard orders of `character`, as letters (`山` → `["szs"]`).
    public func orders(of character: String) -> [String] {
        (orders[character] ?? []).map { String(decoding: $0, as: UTF8.self) }
    }

    /// How many strokes must be put in, left out or changed in kind to turn
    /// `written` into `character`'s nearest standard order; a character the
    /// table lacks is as far as every written stroke.
    public func distance(from written: [UInt8], to character: String) -> Int {
        distance(from: written, to: character, below: .max) ?? written.count
    }

    /// The distance when it is under `limit`, else nil; most characters are
    /// turned away by their count of strokes alone.
    public func distance(from written: [UInt8], to character: String, below limit: Int) -> Int? {
        guard let alternatives = orders[character] else { return written.count < limit ? written.count : nil }
        var nearest: Int?
        for order in alternatives where abs(order.count - written.count) < min(limit, nearest ?? .max) {
            let distance = Self.editDistance(written, order)
            if distance < min(limit, nearest ?? .max) { nearest = distance }
        }
        return nearest
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension HandwrittenCharacter {
    /// Each stroke's kind as the letter of the 五笔画 (h s p n z), told from
    /// its shape: a stroke with a corner is 折; a short last part turning back
    /// is a hook, which leaves a straight 竖 a 竖 (竖钩) and makes anything else
    /// 折; otherwise the direction from its start to its end (a 竖 ending
    /// leftwards is 竖撇, a 撇; a short one is a 点).
    public var strokeKinds: [UInt8] {
        let size = Double(max(width, height))
        return strokes.map { Self.kind(of: $0, size: size) }
    }

    typealias Vector = (x: Double, y: Double)

    private static func kind(of stroke: [Point], size: Double) -> UInt8 {
        let points = simplified(stroke.map { (x: Double($0.x), y: Double($0.y)) }, tolerance: size * 0.03)
        let segments = zip(points, points.dropFirst()).map { (from: $0, to: $1) }.filter { length($0) > 0 }
        guard let first = segments.first, let last = segments.last else { return UInt8(ascii: "n") }
        let total = segments.map(length).reduce(0, +)
        let hooked = segments.count >= 2 && length(last) < 0.3 * total && turn(segments[segments.count - 2], last) > 60
        let body = hooked ? segments.dropLast() : segments[...]
        if zip(body, body.dropFirst()).contains(where: { turn($0, $1) > 60 }) { return UInt8(ascii: "z") }
        let overall = direction(from: first.from, to: body.last?.to ?? last.to)
        if hooked { return body.count == 1 && overall == UInt8(ascii: "s") && last.to.x < last.from.x ? UInt8(ascii: "s") : UInt8(ascii: "z") }
        guard overall == UInt8(ascii: "s") else { return overall }
        if let end = body.last, direction(from: end.from, to: end.to) == UInt8(ascii: "p") { return UInt8(ascii: "p") }
        return total < 0.15 * size ? UInt8(ascii: "n") : overall
    }

    /// h rightwards (a 提 rises to the right), n down to the right, s down, p down to the left; y grows downwards.
    private static func direction(from a: Vector, to b: Vector) -> UInt8 {
        let degrees = Bearing.degrees(x: b.x - a.x, y: b.y - a.y)
        switch degrees {
        case -75...12: return UInt8(ascii: "h")
        case 12..<72: return UInt8(ascii: "n")
        case 72...102: return UInt8(ascii: "s")
        default: return UInt8(ascii: "p")
        }
    }

    private static func length(_ segment: (from: Vector, to: Vector)) -> Double {
        Bearing.length(x: segment.to.x - segment.from.x, y: segment.to.y - segment.from.y)
    }

    /// The angle between two segments' directions, 0–180°.
    private static func turn(_ a: (from: Vector, to: Vector), _ b: (from: Vector, to: Vector)) -> Double {
        let angle = abs(Bearing.degrees(x: b.to.x - b.from.x, y: b.to.y - b.from.y) - Bearing.degrees(x: a.to.x - a.from.x, y: a.to.y - a.from.y))
        return angle > 180 ? 360 - angle : angle
    }

    /// The stroke as the fewest straight parts within `tolerance` of every point (Douglas–Peucker).
    static func simplified(_ points: [Vector], tolerance: Double) -> [Vector] {
        guard points.count > 2, let start = points.first, let end = points.last else { return points }
        let span = max(Bearing.length(x: end.x - start.x, y: end.y - start.y), 1e-9)
        var farthest = (index: 0, distance: 0.0)
        for index in 1..<(points.count - 1) {
            let p = points[index]
            let distance = abs((end.x - start.x) * (start.y - p.y) - (start.x - p.x) * (end.y - start.y)) / span
            if distance > farthest.distance { farthest = (index, distance) }
        }
        guard farthest.distance > tolerance else { return [start, end] }
        return simplified(Array(points[...farthest.index]), tolerance: tolerance).dropLast()
            + simplified(Array(points[farthest.index...]), tolerance: tolerance)
    }
}
