import Foundation
import KioskCore
import Logging

/// The words the session speaks and shows, in each language the screen
/// offers: the `say.` entries of the touchscreen's strings files
/// (`http.ui_dir`/strings/zh.json and en.json), which hold the page's own
/// labels too, so one file per language has every word a resident reads.
public struct Phrasebooks: Sendable {
    /// Simplified Chinese: every phrase must be there.
    public let zh: Phrasebook
    /// English: a phrase it lacks is said in Chinese, and kioskd warns at start.
    public let en: Phrasebook
    /// How the Chinese is read aloud (strings/zh-readings.json).
    public let reading: ChineseReading

    /// The book for a session's language (`zh` unless `en`).
    public subscript(language: String) -> Phrasebook { language == "en" ? en : zh }

    /// Reads both files; a file that is not there or not right stops kioskd with the file, line and key.
    public static func load(uiDirectory: String, logger: Logger? = nil) throws -> Phrasebooks {
        func read(_ language: String, fallback: Phrasebook?) throws -> Phrasebook {
            let path = uiDirectory + "/strings/\(language).json"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StartupError("http.ui_dir: \(path) cannot be read: is http.ui_dir the folder holding index.html and strings/?")
            }
            do { return try Phrasebook(language: language, file: path, json: Array(data), fallback: fallback) } catch {
                throw StartupError("http.ui_dir: \(error)")
            }
        }
        let readingsPath = uiDirectory + "/strings/zh-readings.json"
        guard let readings = FileManager.default.contents(atPath: readingsPath) else {
            throw StartupError("http.ui_dir: \(readingsPath) cannot be read: it comes with the strings files (make speech-readings writes it)")
        }
        let reading: ChineseReading
        do { reading = try ChineseReading(json: Array(readings), file: readingsPath) } catch { throw StartupError("http.ui_dir: \(error)") }
        let zh = try read("zh", fallback: nil)
        let en = try read("en", fallback: zh)
        if !en.missing.isEmpty {
            logger?.warning("\(uiDirectory)/strings/en.json lacks \(en.missing.count) phrase(s), said in Chinese instead: \(en.missing.map { "say." + $0.rawValue }.joined(separator: ", "))")
        }
        if !en.mismatched.isEmpty {
            logger?.warning("\(uiDirectory)/strings/en.json: \(en.mismatched.map { "say." + $0.rawValue }.joined(separator: ", ")) name other {values} than zh.json; a misspelt one shows on screen as written")
        }
        return Phrasebooks(zh: zh, en: en, reading: reading)
    }
}
