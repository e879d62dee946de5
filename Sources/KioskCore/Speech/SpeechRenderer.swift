import Synchronization

/// A voice that reads text aloud: the port the screen's speech is made through
/// (espeak-ng behind it, in Drivers: `ESpeakNG`).
public protocol SpeechSynthesizer: Sendable {
    /// What speaks, for a maintainer: `espeak-ng (/usr/bin/espeak-ng)`.
    var name: String { get }
    /// Why it cannot speak here and what to do (its program not installed), or nil.
    var problem: String? { get }
    /// `text` read by `voice` at `rate` words a minute, as a 16-bit WAV whose lengths may be
    /// unset (0xFFFFFFFF, as a stream writes them). Mandarin text comes as tone-numbered pinyin.
    func synthesize(_ text: String, voice: String, rate: Int) async throws -> [UInt8]
    /// What went wrong lately that a maintainer should know (a rendering stopped at its deadline), or nil.
    var recentTrouble: String? { get }
}

extension SpeechSynthesizer {
    public var recentTrouble: String? { nil }
}

/// A failure to speak, with what to do.
public struct SpeechFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Renders the screen's prompt as speech, in Mandarin or, on an English
/// screen, English, into a WAV the page plays. Chinese is handed to the
/// synthesizer as tone-numbered pinyin read word by word (``ChineseReading``);
/// the runs' WAVs are joined and the header's lengths (unknown to a stream)
/// filled in here. The last few renderings are kept in memory, keyed by their text.
///
///     let speech = SpeechRenderer(reading: phrasebooks.reading, synthesizer: ESpeakNG())
///     let wav = try await speech.wav(for: "请刷身份证")
public final class SpeechRenderer: Sendable {
    public let synthesizer: any SpeechSynthesizer
    private let reading: ChineseReading
    private let cache = Mutex<[(text: String, voice: String, rate: Int, wav: [UInt8])]>([])

    public init(reading: ChineseReading, synthesizer: any SpeechSynthesizer) {
        self.reading = reading
        self.synthesizer = synthesizer
    }

    /// espeak-ng's Mandarin voice. Its plain `cmn` voice reads Latin as English, and in
    /// Debian's espeak-ng 1.51 that includes the pinyin it makes of many characters: 您好
    /// came out as "nin two hao three". `cmn-latn-pinyin` reads the same characters as Mandarin.
    public static let mandarin = "cmn-latn-pinyin"

    /// espeak-ng's voice for a screen language.
    public static func voice(for language: String) -> String { language == "en" ? "en" : mandarin }

    /// Words a minute: 150, slower than espeak's default of 175, for everyone; slower still in elderly mode.
    public static func rate(elderly: Bool) -> Int { elderly ? 120 : 150 }

    /// The most of a sentence that is spoken: a screen says far less (a whole guide is under 1,000
    /// characters); what comes from outside (a search typed, a catalogue's guide) may be longer,
    /// and only its beginning is read.
    public static let maximumCharacters = 2_000
    /// The most the kept renderings hold, together: a few screens' worth.
    public static let cacheBytes = 8 << 20

    /// The WAV for `text` in `voice`, at `rate` words a minute; with `fresh`, rendered again even when it is kept (the self-test's).
    public func wav(for text: String, voice: String = mandarin, rate: Int = rate(elderly: false), fresh: Bool = false) async throws -> [UInt8] {
        if !fresh, let hit = cache.withLock({ $0.first { $0.text == text && $0.voice == voice && $0.rate == rate }?.wav }) { return hit }
        if let problem = synthesizer.problem { throw SpeechFailure(problem) }
        // One WAV of the runs' samples in order: espeak-ng writes 22,050 Hz 16-bit mono for every voice.
        var samples: [UInt8] = []
        var header: [UInt8] = []
        for run in Self.runs(Self.speakable(text), voice: voice) {
            let part = try await synthesizer.synthesize(run.voice == Self.mandarin ? reading.pinyin(run.text) : run.text, voice: run.voice, rate: rate)
            guard part.count >= 44 else { continue }
            if header.isEmpty { header = Array(part[0..<44]) }
            samples += part[44...]
        }
        guard let wav = Self.fixHeader(header + samples) else { throw SpeechFailure("\(synthesizer.name) wrote no WAV for the prompt") }
        cache.withLock { cache in
            cache.insert((text, voice, rate, wav), at: 0)
            while cache.count > 16 || (cache.count > 1 && Self.bytes(of: cache) > Self.cacheBytes) { cache.removeLast() }
        }
        return wav
    }

    /// The bytes of the renderings kept now.
    public var keptBytes: Int { cache.withLock { Self.bytes(of: $0) } }

    private static func bytes(of kept: [(text: String, voice: String, rate: Int, wav: [UInt8])]) -> Int { kept.reduce(0) { $0 + $1.wav.count } }

    /// `text` as it may reach a synthesizer: control characters (espeak-ng takes CTRL-A for its own
    /// commands: volume, speed, a voice) as spaces, and no more than ``maximumCharacters``.
    public static func speakable(_ text: String) -> String {
        var kept = ""
        kept.unicodeScalars.reserveCapacity(min(text.unicodeScalars.count, maximumCharacters))
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < maximumCharacters else { break }
            let control = isControl(scalar) || scalar.properties.generalCategory == .format
            kept.unicodeScalars.append(control ? " " : scalar)
            count += 1
        }
        return kept
    }

    /// `text` in runs, each with the voice that reads it. On an English screen
    /// the catalogue's names and the resident's stay Chinese, and the English
    /// voice would say "Chinese letter" for each character: those runs are
    /// read in Mandarin. Digits, spaces and punctuation stay with the run they
    /// are in (年满80周岁 is one), and so does a masked name's *, which
    /// ``ChineseReading`` reads 某 (张*兰 → zhang1 mou3 lan2).
    public static func runs(_ text: String, voice: String) -> [(text: String, voice: String)] {
        guard voice != mandarin else { return [(text, mandarin)] }
        var runs: [(text: String, voice: String)] = []
        for character in text {
            let own: String? = isChinese(character) ? mandarin : character.isLetter ? voice : nil
            if let last = runs.last, own == nil || own == last.voice {
                runs[runs.count - 1].text.append(character)
            } else {
                runs.append((String(character), own ?? voice))
            }
        }
        return runs
    }

    static func isChinese(_ character: Character) -> Bool {
        character.unicodeScalars.contains { (0x3400...0x9FFF).contains($0.value) || (0x20000...0x3134F).contains($0.value) || (0x3000...0x303F).contains($0.value) || (0xFF00...0xFFEF).contains($0.value) }
    }

        /// A streamed WAV has 0xFFFFFFFF where its lengths go: fill them in.
    public static func fixHeader(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count > 44, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8),
              bytes[36..<40].elementsEqual("data".utf8) else { return nil }
        var fixed = bytes
        func put(_ value: Int, at offset: Int) {
            for index in 0..<4 { fixed[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
        put(bytes.count - 8, at: 4)
        put(bytes.count - 44, at: 40)
        return fixed
    }
}
