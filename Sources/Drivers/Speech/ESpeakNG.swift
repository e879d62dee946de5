import Foundation
import KioskCore
import Synchronization

/// espeak-ng, Debian's speech synthesizer, behind KioskCore's ``SpeechSynthesizer``.
/// Every text goes on its standard input, never as an argument (one starting with
/// `-` would be taken for an option), and the WAV comes back on a pipe: nothing
/// is written to disk.
///
/// Each rendering is bounded: its text is written while its speech is read (a
/// pipe holds 64 KB, and espeak-ng stops reading its input while its output is
/// not read), it ends by ``deadline`` or espeak-ng is killed, its WAV is at most
/// ``maximumBytes``, and at most ``concurrent`` run at once, each on a thread of
/// its own, so no text can hold the threads that serve the screen.
public final class ESpeakNG: SpeechSynthesizer {
    public let executable: String
    /// How long one rendering may take: a whole guide takes about a second.
    public let deadline: Duration
    /// The most of one rendering's WAV: about six minutes of speech.
    public let maximumBytes: Int
    public static let concurrent = 2

    private let running = Mutex(0)
    /// The last rendering that did not end by the deadline: when, and what espeak-ng was asked.
    private let stuck = Mutex<(at: ContinuousClock.Instant, characters: Int)?>(nil)

    public init(executable: String = "/usr/bin/espeak-ng", deadline: Duration = .seconds(20), maximumBytes: Int = 16 << 20) {
        self.executable = executable
        self.deadline = deadline
        self.maximumBytes = maximumBytes
    }

    public var name: String { "espeak-ng (\(executable))" }

    public var problem: String? {
        FileManager.default.isExecutableFile(atPath: executable) ? nil : "no espeak-ng at \(executable): install the espeak-ng package"
    }

    /// A rendering killed at its deadline in the last ten minutes, and what it was asked (for `/healthz`).
    public var recentTrouble: String? {
        guard let last = stuck.withLock({ $0 }), ContinuousClock.now - last.at < .seconds(600) else { return nil }
        return "espeak-ng did not finish \(last.characters) characters of speech within \(deadline) and was stopped"
    }

    public func synthesize(_ text: String, voice: String, rate: Int) async throws -> [UInt8] {
        guard running.withLock({ count -> Bool in
            guard count < Self.concurrent else { return false }
            count += 1
            return true
        }) else { throw SpeechFailure("espeak-ng is busy with \(Self.concurrent) other sentences: the screen's text is shown, not spoken") }
        defer { running.withLock { $0 -= 1 } }
        let (executable, deadline, maximumBytes) = (self.executable, self.deadline, self.maximumBytes)
        let input = Array(text.utf8)
        let rendering: Rendering = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.render(input, executable: executable, voice: voice, rate: rate, deadline: deadline, maximumBytes: maximumBytes))
            }
        }
        switch rendering {
        case .wav(let wav): return wav
        case .timedOut:
            stuck.withLock { $0 = (.now, text.count) }
            throw SpeechFailure("espeak-ng did not finish within \(deadline) (\(input.count) bytes of text) and was stopped")
        case .failed(let why): throw SpeechFailure(why)
        }
    }

    private enum Rendering: Sendable {
        case wav([UInt8]), timedOut, failed(String)
    }

    /// One rendering, on the calling thread: the text written on another while the speech is read here.
    private static func render(_ input: [UInt8], executable: String, voice: String, rate: Int, deadline: Duration, maximumBytes: Int) -> Rendering {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-v", voice, "-s", String(rate), "--stdout"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .failed("espeak-ng did not start: \(error)") }
        // A writer of its own: espeak-ng reads its input only as fast as its output is read. SIGPIPE is
        // blocked on it, so an espeak-ng stopped mid-text ends the write with EPIPE, not the process
        // (the signal, pending on this thread only, goes with it).
        Thread.detachNewThread {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        let timedOut = Atomic(false)
        let timer = DispatchSource.makeTimerSource()
        timer.schedule(deadline: .now() + deadline.seconds)
        timer.setEventHandler {
            timedOut.store(true, ordering: .relaxed)
            kill(process.processIdentifier, SIGKILL)
        }
        timer.resume()
        var wav: [UInt8] = []
        var tooLarge = false
        let reader = stdout.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            wav += chunk
            if wav.count > maximumBytes {
                tooLarge = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
        }
        process.waitUntilExit()
        timer.cancel()
        if timedOut.load(ordering: .relaxed) { return .timedOut }
        // Speech past the bound is minutes long: its beginning is spoken, whole samples of it.
        if tooLarge { return .wav(Array(wav.prefix(maximumBytes & ~1))) }
        guard process.terminationStatus == 0 else { return .failed("espeak-ng failed (status \(process.terminationStatus))") }
        return .wav(wav)
    }
}
