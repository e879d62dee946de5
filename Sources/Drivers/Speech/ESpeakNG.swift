import Foundation
import KioskCore

/// espeak-ng, Debian's speech synthesizer, behind KioskCore's ``SpeechSynthesizer``.
/// Every text goes on its standard input, never as an argument (one starting with
/// `-` would be taken for an option), and the WAV comes back on a pipe: nothing
/// is written to disk.
public struct ESpeakNG: SpeechSynthesizer {
    public let executable: String

    public init(executable: String = "/usr/bin/espeak-ng") {
        self.executable = executable
    }

    public var name: String { "espeak-ng (\(executable))" }

    public var problem: String? {
        FileManager.default.isExecutableFile(atPath: executable) ? nil : "no espeak-ng at \(executable): install the espeak-ng package"
    }

    public func synthesize(_ text: String, voice: String, rate: Int) async throws -> [UInt8] {
        let executable = self.executable
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = ["-v", voice, "-s", String(rate), "--stdout"]
                let input = Pipe(), output = Pipe()
                process.standardInput = input
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                    try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
                    try input.fileHandleForWriting.close()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else { throw SpeechFailure("espeak-ng failed (status \(process.terminationStatus))") }
                    continuation.resume(returning: Array(data))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
