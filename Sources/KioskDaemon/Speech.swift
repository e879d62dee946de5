import Foundation
import Synchronization

/// Renders the screen's prompt as speech with espeak-ng, in Mandarin
/// (`-v cmn`) or, on an English screen, English (`-v en`), into a WAV the page plays. Nothing is written to disk: espeak-ng writes to
/// a pipe, and the WAV header's lengths (unknown to a stream) are filled in
/// here. The last few renderings are kept in memory, keyed by their text.
final class SpeechRenderer: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let executable: String
    private let cache = Mutex<[(text: String, voice: String, wav: [UInt8])]>([])

    init(executable: String = "/usr/bin/espeak-ng") {
        self.executable = executable
    }

    /// espeak-ng's voice for a screen language.
    static func voice(for language: String) -> String { language == "en" ? "en" : "cmn" }

    /// The WAV for `text` in `voice`.
    func wav(for text: String, voice: String = "cmn") async throws -> [UInt8] {
        if let hit = cache.withLock({ $0.first { $0.text == text && $0.voice == voice }?.wav }) { return hit }
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "speech needs espeak-ng (\(executable)): install the espeak-ng package")
        }
        let executable = self.executable
        let wav: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                // 150 words a minute: slower than espeak's default, for elderly listeners.
                process.arguments = ["-v", voice, "-s", "150", "--stdout", text]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0, let fixed = Self.fixHeader(Array(data)) else {
                        throw Failure(description: "espeak-ng failed (status \(process.terminationStatus)) or wrote no WAV")
                    }
                    continuation.resume(returning: fixed)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        cache.withLock { cache in
            cache.insert((text, voice, wav), at: 0)
            if cache.count > 16 { cache.removeLast() }
        }
        return wav
    }

    /// A streamed WAV has 0xFFFFFFFF where its lengths go: fill them in.
    static func fixHeader(_ bytes: [UInt8]) -> [UInt8]? {
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
