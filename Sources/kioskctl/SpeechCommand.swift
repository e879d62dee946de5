import ArgumentParser
import Drivers
import Foundation
import KioskCore
import KioskDaemon

/// `kioskctl speech`: what the kiosk would say, for a maintainer checking a new catalogue item.
struct SpeechCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speech",
        abstract: "How the kiosk reads a text aloud: its pinyin, or the speech itself as a WAV.",
        subcommands: [Pinyin.self, Say.self])

    struct Options: ParsableArguments {
        @Option(help: "The touchscreen's folder (kioskd's http.ui_dir), whose strings/zh-readings.json says how words are read.")
        var uiDir = "./ui"

        func reading() throws -> ChineseReading {
            let path = uiDir + "/" + Phrasebooks.readingsFile
            guard let data = FileManager.default.contents(atPath: path) else {
                complain("kioskctl: cannot read \(path): give --ui-dir the folder kioskd serves (http.ui_dir)")
                throw ExitCode(66)
            }
            do { return try ChineseReading(json: Array(data), file: path) } catch {
                complain("kioskctl: \(error)")
                throw ExitCode(65)
            }
        }
    }

    struct Pinyin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the tone-numbered pinyin the kiosk would speak for each TEXT, a line each (zhang3 bei4 mo2 shi4; ü as v, 5 for the neutral tone).")

        @OptionGroup var options: Options
        @Argument(help: "The Chinese text.") var texts: [String]

        func run() async throws {
            let reading = try options.reading()
            for text in texts { print(reading.pinyin(text)) }
        }
    }

    struct Say: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the speech for TEXT to a WAV file, as the kiosk would play it.")

        @OptionGroup var options: Options
        @Argument(help: "The text.") var text: String
        @Option(help: "The WAV file to write.") var out: String
        @Option(help: "The screen's language: zh, or en (Chinese names within are still read in Mandarin).") var language = "zh"

        func run() async throws {
            let speech = SpeechRenderer(reading: try options.reading(), synthesizer: ESpeakNG())
            let wav: [UInt8]
            do { wav = try await speech.wav(for: text, voice: SpeechRenderer.voice(for: language)) } catch {
                complain("kioskctl: \(error)")
                throw ExitCode(69)
            }
            guard FileManager.default.createFile(atPath: out, contents: Data(wav)) else {
                complain("kioskctl: cannot write \(out): does its folder exist, and may this user write there?")
                throw ExitCode(73)
            }
            print("\(out): \(wav.count) bytes")
        }
    }
}
