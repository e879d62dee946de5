import CZinnia
import KioskCore
import Synchronization

/// Handwriting read by Zinnia with a model file (Debian's tegaki-zinnia-simplified-chinese
/// by default). The model is opened once; readings take turns on it.
public final class ZinniaReader: HandwritingReader, @unchecked Sendable {
    /// Where Debian's tegaki-zinnia-simplified-chinese puts its model.
    public static let debianModel = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model"

    private let recognizer: OpaquePointer
    private let turn = Mutex(())
    /// How many characters the model knows.
    public let characters: Int

    public init(model path: String = ZinniaReader.debianModel) throws(HandwritingError) {
        guard let recognizer = zinnia_recognizer_new() else { throw HandwritingError("Zinnia could not start (out of memory?)") }
        guard zinnia_recognizer_open(recognizer, path) == 1 else {
            let reason = zinnia_recognizer_strerror(recognizer).map { String(cString: $0) } ?? "unknown reason"
            zinnia_recognizer_destroy(recognizer)
            throw HandwritingError("""
                cannot open the handwriting model \(path) (\(reason)): install tegaki-zinnia-simplified-chinese, \
                or set handwriting.model to a Zinnia model file
                """)
        }
        self.recognizer = recognizer
        characters = zinnia_recognizer_size(recognizer)
    }

    deinit { zinnia_recognizer_destroy(recognizer) }

    public func read(_ written: HandwrittenCharacter, count: Int) -> [HandwritingCandidate] {
        guard count > 0, let character = zinnia_character_new() else { return [] }
        defer { zinnia_character_destroy(character) }
        zinnia_character_set_width(character, written.width)
        zinnia_character_set_height(character, written.height)
        for (index, stroke) in written.strokes.enumerated() {
            for point in stroke { zinnia_character_add(character, index, Int32(point.x), Int32(point.y)) }
        }
        return turn.withLock { _ in
            guard let result = zinnia_recognizer_classify(recognizer, character, count) else { return [] }
            defer { zinnia_result_destroy(result) }
            return (0..<zinnia_result_size(result)).compactMap { index in
                zinnia_result_value(result, index).map { HandwritingCandidate(character: String(cString: $0), score: Double(zinnia_result_score(result, index))) }
            }
        }
    }
}
