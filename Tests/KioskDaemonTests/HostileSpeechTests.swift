import Drivers
import Foundation
import KioskCore
@testable import KioskDaemon
import TestSupport
import Testing

/// Speech held against long and hostile text: nothing waits for ever, nothing grows without bound,
/// and no text reaches espeak-ng as a command.
@Suite("Speech held against long and hostile text", .serialized, .timeLimit(.minutes(2)))
struct HostileSpeechTests {
    static func renderer(_ synthesizer: ESpeakNG = ESpeakNG()) throws -> SpeechRenderer {
        SpeechRenderer(reading: try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui").reading, synthesizer: synthesizer)
    }

    @Test("a search of 20,000 digits is spoken (its beginning) and returns: the text is written while the speech is read")
    func longSearch() async throws {
        let wav = try await Self.renderer().wav(for: "没有找到“" + String(repeating: "1234567890", count: 2_000) + "”的事项。")
        let sound = try #require(WAVSound(wav), "not a WAV a browser plays")
        #expect(sound.seconds > 60 && sound.peak >= 1000, "\(sound.seconds) s")
    }

    @Test("espeak-ng given 100 KB at once, past the renderer's bound, streams and stops at its size limit with the speech's beginning, instead of waiting for ever")
    func streamsAndStops() async throws {
        let speech = ESpeakNG(maximumBytes: 1 << 20)
        let text = String(repeating: "yi1 er4 san1 ", count: 8_000)
        let wav = try await speech.synthesize(text, voice: SpeechRenderer.mandarin, rate: 150)
        #expect(wav.count == 1 << 20 && Array(wav[0..<4]) == Array("RIFF".utf8))
    }

    @Test("an espeak-ng that never finishes is stopped at its deadline; /healthz's speech line says so and what to do")
    func stuckSynthesizer() async throws {
        let folder = temporaryDirectory()
        let stuck = folder + "/espeak-ng"
        try "#!/bin/sh\nexec sleep 60\n".write(toFile: stuck, atomically: true, encoding: .utf8)
        chmod(stuck, 0o755)
        let speech = ESpeakNG(executable: stuck, deadline: .seconds(1))
        do {
            _ = try await speech.synthesize("你好", voice: SpeechRenderer.mandarin, rate: 150)
            Issue.record("a synthesizer that never finishes answered")
        } catch let failure as SpeechFailure {
            #expect(failure.description.contains("within 1.0 seconds"), "\(failure)")
        }
        #expect(speech.recentTrouble?.contains("did not finish") == true)
        let config = try await ConfigLoader.load(file: nil, environment: ["KIOSKD_HANDWRITING_MODEL": ""])
        let aids = ScreenAids(config: config, speech: try Self.renderer(speech), logger: .init(label: "test"))
        let lines = aids.health()
        let line = try #require(lines.first { $0.name == "speech" })
        #expect(line.status == "stuck" && line.detail?.contains("kioskctl selftest") == true, "\(line)")
    }

    @Test("control characters in text (CTRL-A sets espeak-ng's volume and speed) are spoken as spaces: the same speech as without them")
    func controlCharacters() async throws {
        #expect(SpeechRenderer.speakable("请刷\u{01}0A身份证\u{1B}[2J\u{7F}\u{9B}") == "请刷 0A身份证 [2J  ")
        let speech = try Self.renderer()
        let commanded = try await speech.wav(for: "请刷身份证\u{01}0A请刷身份证")
        let plain = try await speech.wav(for: "请刷身份证 0A请刷身份证")
        #expect(commanded == plain)
    }

    @Test("the kept renderings are bounded by size as well as by count")
    func cacheBounded() async throws {
        let speech = try Self.renderer()
        var total = 0
        for n in 0..<6 { total += try await speech.wav(for: "第\(n)句：" + String(repeating: "请刷身份证。", count: 50)).count }
        #expect(total > SpeechRenderer.cacheBytes / 2, "the sentences are long enough to matter (\(total) bytes)")
        #expect(speech.keptBytes <= SpeechRenderer.cacheBytes)
    }
}
