import Foundation
import Synchronization

/// A GA 467 (SAM-V) ID-card reader, from the reader's side of the wire: it
/// decodes the terminal's command frames and answers as a SAM-V module does.
///
/// Card behaviour follows real modules: *find* succeeds (9F) once per
/// placement; after a card has been selected, *find* fails (80) while it
/// stays, and *select* still succeeds (90); with no card both fail (80, 81).
///
/// Control commands (besides the wire's): `card put NAME|FILE`, `card remove`,
/// `card swap NAME|FILE [mid-read]`, `card` (what is on the reader),
/// `read corrupt N` (the next N read replies are garbled),
/// `sam fault CODE` (hex SW3, e.g. 60), `sam ok`, `read bytes` (the bytes
/// the last read transaction exchanged, for a benchmark's wire time).
public final class IDCardSimulator: SimulatedDevice {
    private enum CardState { case fresh, selected }

    private struct State {
        var card: CardProfile?
        var cardState = CardState.fresh
        var swapMidRead: CardProfile?
        var samFault: UInt8?
        var corruptReads = 0
        var pending: [UInt8] = []
        var commands = 0
        var bytesIn = 0
        var bytesOut = 0
        var cardFoundAt: ContinuousClock.Instant?
        var bytesAtCardFound = 0
        var lastReadBytes: Int?
    }

    /// Where `card put NAME` looks for `NAME.json`.
    public let cardsDirectory: String
    /// When set, a command is answered only after the time its bytes take on
    /// a UART at this rate (the wire's pacing covers the replies).
    public let commandBitsPerSecond: Int?
    private let state = Mutex(State())

    /// The SAM's 16-byte management number (not personal data).
    static let samID: [UInt8] = [0x05, 0x01, 0x20, 0x26, 0x11, 0x26, 0x00, 0x00, 0x34, 0x01, 0x04, 0x00, 0x00, 0x00, 0x12, 0x34]

    /// Creates a reader with no card on it.
    public init(cardsDirectory: String, card: CardProfile? = nil, commandBitsPerSecond: Int? = nil) {
        self.cardsDirectory = cardsDirectory
        self.commandBitsPerSecond = commandBitsPerSecond
        state.withLock { $0.card = card }
    }

    /// Command frames decoded so far (for tests and benchmarks).
    public var commandCount: Int { state.withLock { $0.commands } }

    /// For benchmarks: when the last *find* that found a card was answered,
    /// and the bytes (both ways) exchanged since then.
    public var sinceCardFound: (at: ContinuousClock.Instant, bytes: Int)? {
        state.withLock { state in state.cardFoundAt.map { ($0, state.bytesIn + state.bytesOut - state.bytesAtCardFound) } }
    }

    /// Puts a card on the reader (replacing any).
    public func put(_ card: CardProfile) {
        state.withLock { state in
            state.card = card
            state.cardState = .fresh
        }
    }

    /// Takes the card off.
    public func remove() {
        state.withLock { state in
            state.card = nil
            state.swapMidRead = nil
        }
    }

    /// Makes the next read fail as if the card were pulled away mid-read, with `card` placed instead.
    public func swapDuringNextRead(to card: CardProfile) {
        state.withLock { $0.swapMidRead = card }
    }

    /// Corrupts the checksum of the next `count` read replies (30 01, 30 10): the
    /// SAM has selected and read the card, but the terminal never gets the data.
    public func corruptNextReads(_ count: Int) {
        state.withLock { $0.corruptReads = count }
    }

    /// Makes the SAM answer every command with `code` (nil: healthy again).
    public func setSAMFault(_ code: UInt8?) {
        state.withLock { $0.samFault = code }
    }

    /// An unplug is a power loss: the SAM forgets the selected card.
    public func hostDisconnected() {
        state.withLock { state in
            state.pending.removeAll()
            state.cardState = .fresh
        }
    }

    public func received(_ bytes: [UInt8], from host: HostLink) async {
        var replies: [[UInt8]] = []
        state.withLock { state in
            state.pending += bytes
            state.bytesIn += bytes.count
            while let frame = Self.takeCommandFrame(&state.pending) {
                state.commands += 1
                let reply = Self.reply(to: frame, state: &state)
                if reply.count > 9, reply[9] == 0x9F {
                    state.cardFoundAt = .now
                    state.bytesAtCardFound = state.bytesIn + state.bytesOut - 10  // count the find command itself
                }
                state.bytesOut += reply.count
                if case .command(0x30, 0x03, _) = frame, state.cardFoundAt != nil {  // the extra address ends a read
                    state.lastReadBytes = state.bytesIn + state.bytesOut - state.bytesAtCardFound
                }
                replies.append(reply)
            }
        }
        if let commandBitsPerSecond, !replies.isEmpty {
            try? await Task.sleep(for: .microseconds(Int64(bytes.count) * 10_000_000 / Int64(commandBitsPerSecond)))
        }
        for reply in replies { await host.send(reply) }
    }

    // MARK: The reader's side of the protocol

    private enum CommandFrame {
        case command(code: UInt8, parameter: UInt8, data: [UInt8])
        case badChecksum
        case badLength
    }

    /// Finds the next command frame in `pending`, dropping anything before
    /// its preamble. Written from the protocol description, for the SAM side.
    private static func takeCommandFrame(_ pending: inout [UInt8]) -> CommandFrame? {
        let marker: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69]
        while true {
            guard let start = (0...max(0, pending.count - marker.count)).first(where: { offset in
                offset + marker.count <= pending.count && Array(pending[offset..<(offset + marker.count)]) == marker
            }) else {
                if pending.count > 4 { pending.removeFirst(pending.count - 4) }
                return nil
            }
            pending.removeFirst(start)
            guard pending.count >= 7 else { return nil }
            let length = Int(pending[5]) * 256 + Int(pending[6])
            if length < 3 || length > 1024 {
                pending.removeFirst(5)
                return .badLength
            }
            guard pending.count >= 7 + length else { return nil }
            var xor: UInt8 = 0
            for byte in pending[5..<(6 + length)] { xor ^= byte }
            let frame = Array(pending[0..<(7 + length)])
            pending.removeFirst(7 + length)
            guard xor == frame[6 + length] else { return .badChecksum }
            return .command(code: frame[7], parameter: frame[8], data: Array(frame[9..<(6 + length)]))
        }
    }

    /// A reply frame: preamble, LEN, SW1 SW2 SW3, data, XOR.
    static func replyFrame(_ sw3: UInt8, _ data: [UInt8] = []) -> [UInt8] {
        let length = data.count + 4
        var frame: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, UInt8(length / 256), UInt8(length % 256), 0x00, 0x00, sw3]
        frame += data
        var xor: UInt8 = 0
        for byte in frame[5...] { xor ^= byte }
        frame.append(xor)
        return frame
    }

    private static func reply(to frame: CommandFrame, state: inout State) -> [UInt8] {
        let code: UInt8, parameter: UInt8
        switch frame {
        case .badChecksum: return replyFrame(0x10)
        case .badLength: return replyFrame(0x11)
        case .command(let c, let p, _):
            code = c
            parameter = p
        }
        if code == 0x10, parameter == 0xFF { return replyFrame(0x90) }  // reset: answers, a lasting fault stays
        if let fault = state.samFault { return replyFrame(fault) }
        switch (code, parameter) {
        case (0x20, 0x01):  // find
            guard state.card != nil, state.cardState == .fresh else { return replyFrame(0x80) }
            return replyFrame(0x9F, [0, 0, 0, 0])
        case (0x20, 0x02):  // select
            guard state.card != nil else { return replyFrame(0x81) }
            state.cardState = .selected
            return replyFrame(0x90, [UInt8](repeating: 0, count: 8))
        case (0x30, 0x01), (0x30, 0x10):  // read
            guard let card = state.card, state.cardState == .selected else { return replyFrame(0x41) }
            if let replacement = state.swapMidRead {
                state.swapMidRead = nil
                state.card = replacement
                state.cardState = .fresh
                return replyFrame(0x41)
            }
            let text = card.textBlock, photo = card.photo
            var data = [UInt8(text.count >> 8), UInt8(text.count & 0xFF), UInt8(photo.count >> 8), UInt8(photo.count & 0xFF)]
            if parameter == 0x10 {
                let fingerprint = card.fingerprintBlock
                data += [UInt8(fingerprint.count >> 8), UInt8(fingerprint.count & 0xFF)]
                data += text + photo + fingerprint
            } else {
                data += text + photo
            }
            var frame = replyFrame(0x90, data)
            if state.corruptReads > 0 {
                state.corruptReads -= 1
                frame[frame.count - 1] ^= 0xFF
            }
            return frame
        case (0x30, 0x03):  // extra address
            guard let card = state.card, state.cardState == .selected else { return replyFrame(0x41) }
            guard let block = card.extraAddressBlock else { return replyFrame(0x91) }
            return replyFrame(0x90, block)
        case (0x12, 0xFF): return replyFrame(0x90, samID)
        case (0x11, 0xFF): return replyFrame(0x90)
        default: return replyFrame(0x21)
        }
    }

    // MARK: Control

    /// Handles `card …` and `sam …` control commands.
    public func control(_ words: [Substring]) async -> String? {
        guard let verb = words.first else { return nil }
        switch (verb, words.dropFirst().first) {
        case ("card", nil):
            let card = state.withLock { $0.card }
            return "ok: " + (card.map { "card on the reader: \($0.number.prefix(4))…\($0.number.suffix(4))" } ?? "no card")
        case ("card", "put"?):
            guard words.count >= 3 else { return "error: card put NAME|FILE" }
            do {
                put(try CardProfile.load(String(words[2]), cardsDirectory: cardsDirectory))
                return "ok: card \(words[2]) placed"
            } catch {
                return "error: \(error)"
            }
        case ("card", "remove"?):
            remove()
            return "ok: card removed"
        case ("card", "swap"?):
            guard words.count >= 3 else { return "error: card swap NAME|FILE [mid-read]" }
            do {
                let card = try CardProfile.load(String(words[2]), cardsDirectory: cardsDirectory)
                if words.count > 3, words[3] == "mid-read" {
                    swapDuringNextRead(to: card)
                    return "ok: the next read fails as the card is pulled away; \(words[2]) takes its place"
                }
                put(card)
                return "ok: card swapped for \(words[2])"
            } catch {
                return "error: \(error)"
            }
        case ("read", "corrupt"?):
            guard words.count == 3, let count = Int(words[2]), count >= 0 else { return "error: read corrupt N" }
            corruptNextReads(count)
            return "ok: the next \(count) read replies arrive with a bad checksum"
        case ("sam", "fault"?):
            guard words.count == 3, let code = UInt8(words[2], radix: 16) else { return "error: sam fault CODE (hex SW3, e.g. 60, 66, 24)" }
            setSAMFault(code)
            return "ok: the SAM answers SW3=\(words[2]) to every command until `sam ok`"
        case ("read", "bytes"?):
            guard let bytes = state.withLock({ $0.lastReadBytes }) else { return "error: no card has been read yet" }
            return "ok: \(bytes) bytes exchanged by the last read, from find to extra address"
        case ("sam", "ok"?):
            setSAMFault(nil)
            return "ok: the SAM is healthy"
        default:
            return nil
        }
    }
}
