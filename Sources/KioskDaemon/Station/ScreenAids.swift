import Drivers
import Foundation
import KioskCore
import Logging

/// What a resident who reads little leans on beyond the screen's words: each
/// screen's speech (espeak-ng) and the writing pad (Zinnia held against the
/// standard stroke orders). A kiosk without them still serves, so neither
/// stops kioskd; each has a `/healthz` line and a self-test step, so a station
/// installed without them tells its maintainer, not a resident who finds no
/// voice and no pad.
struct ScreenAids: Sendable {
    /// The pad, or nil: none configured, or its parts would not open.
    let pad: WritingPad?
    /// The pad's `/healthz` line, decided at start (the model is opened once).
    let padHealth: ComponentHealth
    let speech: SpeechRenderer

    /// The pad from `handwriting.model` and the page's `stroke-orders.json`; a part that will not open is logged and shown, not fatal.
    init(config: KioskConfig, speech: SpeechRenderer, logger: Logger) {
        self.speech = speech
        guard let model = config.handwritingModel else {
            (pad, padHealth) = (nil, ComponentHealth(name: "handwriting", status: "disabled", detail: "handwriting.model is empty: the screen shows no writing pad"))
            return
        }
        let ordersFile = config.uiDirectory + "/" + StrokeOrders.file
        do {
            let reader = try ZinniaReader(model: model)
            guard let bytes = FileManager.default.contents(atPath: ordersFile) else {
                throw HandwritingError("cannot read \(ordersFile): it comes with the page's files (make stroke-orders writes it); reinstall kioskd")
            }
            let orders = try StrokeOrders(json: Array(bytes), file: ordersFile)
            let detail = "Zinnia with \(model), \(reader.characters) characters; stroke orders of \(orders.count)"
            logger.info("writing pad: \(detail)")
            (pad, padHealth) = (WritingPad(reader: reader, orders: orders), ComponentHealth(name: "handwriting", status: "ok", detail: detail))
        } catch {
            logger.error("no writing pad: \(error)")
            (pad, padHealth) = (nil, ComponentHealth(
                name: "handwriting", status: "error",
                detail: "no writing pad on the screen: \(error); restart kioskd once that is done (the pad opens at start)"))
        }
    }

    func health() -> [ComponentHealth] {
        [speech.synthesizer.problem.map { ComponentHealth(name: "speech", status: "missing", detail: "the screens are silent: \($0)") }
            ?? speech.synthesizer.recentTrouble.map {
                ComponentHealth(name: "speech", status: "stuck", detail: "\($0); the screen showed its text. If it happens again, run `kioskctl selftest` and see `kioskctl logs`")
            }
            ?? ComponentHealth(name: "speech", status: "ok", detail: "\(speech.synthesizer.name) reads each screen aloud"),
         padHealth]
    }

    /// What the self-test hears and writes: a sentence spoken, and a character written on the pad.
    static let spokenSentence = "您好，欢迎使用自助服务终端。"
    static let writtenCharacter = "王"
    /// 王 in a 400-unit box, stroke by stroke in the standard order, as the page sends it.
    static let writtenStrokes: [[(Int, Int)]] = [[(80, 80), (200, 80), (320, 80)], [(100, 200), (300, 200)], [(200, 80), (200, 330)], [(48, 336), (352, 336)]]

    func selfTest() async -> [SelfTestItem] {
        [await speechItem(), padItem()]
    }

    private func speechItem() async -> SelfTestItem {
        let fix = "install espeak-ng and espeak-ng-data (residents who read little are told nothing without them), then run the self-test again"
        do {
            let wav = try await speech.wav(for: Self.spokenSentence, fresh: true)  // espeak-ng now, not a rendering kept from before
            guard let sound = WAVSound(wav), sound.seconds >= 1, sound.peak >= 1000 else {
                return .init(component: "speech", check: "Mandarin voice", outcome: "failed", detail: "espeak-ng's speech of \(Self.spokenSentence) is silent or cut short", fix: fix)
            }
            return .init(component: "speech", check: "Mandarin voice", outcome: "passed",
                         detail: String(format: "%@ spoken in %.1f s", Self.spokenSentence, sound.seconds))
        } catch {
            return .init(component: "speech", check: "Mandarin voice", outcome: "failed", detail: "\(error)", fix: fix)
        }
    }

    private func padItem() -> SelfTestItem {
        let check = "\(Self.writtenCharacter) written on the pad"
        guard let pad else {
            let disabled = padHealth.status == "disabled"
            return .init(component: "handwriting", check: check, outcome: disabled ? "skipped" : "failed", detail: padHealth.detail ?? padHealth.status,
                         fix: disabled ? nil : "what the detail says, then restart kioskd: the pad opens at start")
        }
        let strokes = Self.writtenStrokes.map { $0.map { HandwrittenCharacter.Point(x: $0.0, y: $0.1) } }
        guard let written = try? HandwrittenCharacter(width: 400, height: 400, strokes: strokes) else {
            return .init(component: "handwriting", check: check, outcome: "failed", detail: "the self-test's strokes are not a character")
        }
        let candidates = pad.candidates(for: written, count: 5)
        guard candidates.first == Self.writtenCharacter else {
            return .init(component: "handwriting", check: check, outcome: "failed",
                         detail: "the pad read \(candidates.joined(separator: " ")), not \(Self.writtenCharacter) first",
                         fix: "reinstall tegaki-zinnia-simplified-chinese and kioskd (the model or ui/stroke-orders.json is not the one shipped)")
        }
        return .init(component: "handwriting", check: check, outcome: "passed", detail: "read as \(candidates.joined(separator: " "))")
    }
}

/// The length and loudness of a 16-bit PCM WAV, as a listener would judge it.
struct WAVSound {
    let seconds: Double
    let peak: Int

    init?(_ wav: [UInt8]) {
        func number(_ offset: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(wav[offset + $1]) << (8 * $1) } }
        guard wav.count > 44, wav[0..<4].elementsEqual("RIFF".utf8), wav[36..<40].elementsEqual("data".utf8), number(34, 2) == 16 else { return nil }
        let rate = number(24, 4), channels = number(22, 2), bytes = min(number(40, 4), wav.count - 44)
        guard rate > 0, channels > 0 else { return nil }
        seconds = Double(bytes) / Double(rate * channels * 2)
        peak = stride(from: 44, to: 44 + bytes - 1, by: 2).reduce(0) { max($0, abs(Int(Int16(bitPattern: UInt16(wav[$1]) | UInt16(wav[$1 + 1]) << 8)))) }
    }
}
