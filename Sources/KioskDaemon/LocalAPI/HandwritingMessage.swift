import Foundation
import KioskCore
import NIOCore
import Synchronization

/// `POST /api/handwriting`'s body: the pad's size and its strokes, each a list
/// of `[x, y]` points in the pad's units —
/// `{"width": 480, "height": 480, "strokes": [[[40, 60], [440, 60]], …]}`.
enum HandwritingMessage {
    /// How many candidates the pad shows.
    static let shown = 10

    private struct Body: Decodable {
        var width: Double
        var height: Double
        var strokes: [[[Double]]]
    }

    static func decode(_ buffer: ByteBuffer) throws -> HandwrittenCharacter {
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView)) else {
            throw HandwritingError(#"not a handwritten character: expected {"width": W, "height": H, "strokes": [[[x, y], …], …]}"#)
        }
        func whole(_ number: Double) throws -> Int {
            guard number.isFinite, abs(number) < 1_000_000 else { throw HandwritingError("\(number) is not a coordinate") }
            return Int(number.rounded())
        }
        let strokes = try body.strokes.map { stroke in
            try stroke.map { point in
                guard point.count == 2 else { throw HandwritingError("a point is [x, y], not \(point.count) numbers") }
                return HandwrittenCharacter.Point(x: try whole(point[0]), y: try whole(point[1]))
            }
        }
        return try HandwrittenCharacter(width: try whole(body.width), height: try whole(body.height), strokes: strokes)
    }
}

/// The writing pad's readings: one at a time on a thread of their own, and at most ``waiting`` more
/// asked for meanwhile; past that the asker is told to ask again (the page asks once its last answer is back).
final class PadReadings: Sendable {
    static let waiting = 2
    private let queue = DispatchQueue(label: "kioskd.handwriting", qos: .userInitiated)
    private let asked = Mutex(0)

    /// `reading`'s answer, or nil when too many readings are already asked for.
    func read<Answer: Sendable>(_ reading: @escaping @Sendable () -> Answer) async -> Answer? {
        guard asked.withLock({ count -> Bool in
            guard count <= Self.waiting else { return false }
            count += 1
            return true
        }) else { return nil }
        return await withCheckedContinuation { done in
            queue.async {
                let answer = reading()
                self.asked.withLock { $0 -= 1 }
                done.resume(returning: answer)
            }
        }
    }
}

extension HandwritingMessage {
    /// kioskd's one writing pad's readings.
    static let readings = PadReadings()
}
