import CZinnia
import Dispatch
import KioskCore
import Synchronization

/// Handwriting read by Zinnia with a model file (Debian's tegaki-zinnia-simplified-chinese
/// by default). The model is 26 MB, and open it is all resident: it is opened
/// when someone writes and closed again `keepOpen` after the last reading, so a
/// kiosk at rest does not carry it (opening it again takes about 25 ms).
/// Readings take turns on it.
public final class ZinniaReader: HandwritingReader, @unchecked Sendable {
    /// Where Debian's tegaki-zinnia-simplified-chinese puts its model.
    public static let debianModel = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model"

    private let path: String
    private let keepOpen: Duration
    private let open = Mutex<(recognizer: OpaquePointer?, readings: Int)>((nil, 0))
    /// How many characters the model knows.
    public let characters: Int

    /// Opens the model once to check it, and lets it go.
    public init(model path: String = ZinniaReader.debianModel, keepOpen: Duration = .seconds(60)) throws(HandwritingError) {
        self.path = path
        self.keepOpen = keepOpen
        let recognizer = try Self.open(path)
        characters = zinnia_recognizer_size(recognizer)
        zinnia_recognizer_destroy(recognizer)
    }

    deinit { open.withLock { if let recognizer = $0.recognizer { zinnia_recognizer_destroy(recognizer) } } }

    /// Whether the model is open now.
    public var isOpen: Bool { open.withLock { $0.recognizer != nil } }

    public func read(_ written: HandwrittenCharacter, count: Int) -> [HandwritingCandidate] {
        guard count > 0, let character = zinnia_character_new() else { return [] }
        defer { zinnia_character_destroy(character) }
        zinnia_character_set_width(character, written.width)
        zinnia_character_set_height(character, written.height)
        // Each stroke as its turning points: Zinnia's work grows with every turn it is given.
        for (index, stroke) in written.outlines.enumerated() {
            for point in stroke { zinnia_character_add(character, index, Int32(point.x), Int32(point.y)) }
        }
        let (candidates, reading) = open.withLock { state -> ([HandwritingCandidate], Int) in
            if state.recognizer == nil { state.recognizer = try? Self.open(path) }
            state.readings += 1
            guard let recognizer = state.recognizer, let result = zinnia_recognizer_classify(recognizer, character, min(count, characters)) else { return ([], state.readings) }
            defer { zinnia_result_destroy(result) }
            return ((0..<zinnia_result_size(result)).compactMap { index in
                zinnia_result_value(result, index).map { HandwritingCandidate(character: String(cString: $0), score: Double(zinnia_result_score(result, index))) }
            }, state.readings)
        }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + keepOpen.seconds) { [weak self] in self?.close(ifLastReading: reading) }
        return candidates
    }

    private func close(ifLastReading reading: Int) {
        open.withLock { state in
            guard state.readings == reading, let recognizer = state.recognizer else { return }
            zinnia_recognizer_destroy(recognizer)
            state.recognizer = nil
        }
    }

    private static func open(_ path: String) throws(HandwritingError) -> OpaquePointer {
        guard let recognizer = zinnia_recognizer_new() else { throw HandwritingError("Zinnia could not start (out of memory?)") }
        guard zinnia_recognizer_open(recognizer, path) == 1 else {
            let reason = zinnia_recognizer_strerror(recognizer).map { String(cString: $0) } ?? "unknown reason"
            zinnia_recognizer_destroy(recognizer)
            throw HandwritingError("""
                cannot open the handwriting model \(path) (\(reason)): install tegaki-zinnia-simplified-chinese, \
                or set handwriting.model to a Zinnia model file
                """)
        }
        return recognizer
    }
}
