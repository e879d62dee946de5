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

    /// Where, under `http.ui_dir`, the table of how Chinese is read aloud is (`make speech-readings`).
    public static let readingsFile = "strings/zh-readings.json"

    /// Reads the strings files and the readings table; a file that is not there
    /// or not right stops kioskd with the file, line and key.
    public static func load(uiDirectory: String, logger: Logger? = nil) throws -> Phrasebooks {
        /// Reads `file` under the UI folder and parses it with `parse`.
        func load<T>(_ file: String, unreadable: String, _ parse: (String, [UInt8]) throws -> T) throws -> T {
            let path = uiDirectory + "/" + file
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StartupError("http.ui_dir: \(path) cannot be read: \(unreadable)")
            }
            do { return try parse(path, Array(data)) } catch { throw StartupError("http.ui_dir: \(error)") }
        }
        func read(_ language: String, fallback: Phrasebook?) throws -> Phrasebook {
            try load("strings/\(language).json", unreadable: "is http.ui_dir the folder holding index.html and strings/?") { path, bytes in
                try Phrasebook(language: language, file: path, json: bytes, fallback: fallback)
            }
        }
        let reading = try load(readingsFile, unreadable: "it comes with the strings files (make speech-readings writes it)") { path, bytes in
            try ChineseReading(json: bytes, file: path)
        }
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
