import Foundation
import Synchronization

/// What the simulated printer produced for one receipt.
public struct PrintedReceipt: Sendable, Hashable {
    /// The text it printed, a line per printed line; images and QR codes as `[image W×H]`, `[QR content]`.
    public var text: String
    /// The PNG it saved, if it has an output folder.
    public var imagePath: String?
    /// False when paper ran out or the printer went away mid-receipt.
    public var complete: Bool
}

/// An ESC/POS receipt printer, from the printer's side of the wire: it
/// interprets the byte stream (its own decoder, not the driver's encoder),
/// draws every receipt — text, raster images, QR codes — and saves it as a
/// PNG and a text file, and answers DLE EOT status requests from its paper,
/// cover and cutter state.
///
/// Control commands: `paper out [after N]` (N printed lines into the next
/// receipt), `paper low`, `paper ok`, `cover open`, `cover close`,
/// `cutter jam`, `cutter ok`, `status silent`, `status ok`,
/// `vanish after N` (bytes into the next job), `receipts`.
public final class ReceiptPrinterSimulator: SimulatedDevice {
    private struct Faults {
        var paperOut = false
        var paperOutAfterLines: Int?
        var paperLow = false
        var coverOpen = false
        var cutterJam = false
        var statusSilent = false
        var vanishAfterBytes: Int?
    }

    private struct Mode {
        var alignment = 0
        var bold = false
        var width = 1
        var height = 1
        var chinese = false
        var qrModuleSize = 3
        /// Error correction, 0 (L) to 3 (H), as GS ( k function 169 sets it.
        var qrLevel = 1
        var qrData: [UInt8] = []
    }

    private struct State {
        var pending: [UInt8] = []
        var lineBuffer: [UInt8] = []
        var mode = Mode()
        var rows: [[Bool]] = []
        var text: [String] = []
        var linesThisReceipt = 0
        var stopped = false  // paper ran out mid-receipt: the rest is not printed
        var faults = Faults()
        var bytesThisJob = 0
        var receipts: [PrintedReceipt] = []
    }

    /// Printable dots per line: 384 (58 mm) or 576 (80 mm).
    public let dotsPerLine: Int
    /// Where receipts are saved, if anywhere.
    public let outputDirectory: String?
    private let font: PrinterFont
    private let state = Mutex(State())
    private let vanish = Mutex<(@Sendable () -> Void)?>(nil)

    /// Creates a printer. Throws when the font it draws with is not installed.
    public init(dotsPerLine: Int = 576, outputDirectory: String? = nil) throws {
        self.dotsPerLine = dotsPerLine
        self.outputDirectory = outputDirectory
        font = try PrinterFont.shared()
        if let outputDirectory { try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true) }
    }

    /// Every receipt finished so far (cut, reset, or cut short).
    public var receipts: [PrintedReceipt] { state.withLock { $0.receipts } }

    /// Lets `vanish after N` close the wire.
    public func onVanish(_ action: @escaping @Sendable () -> Void) { vanish.withLock { $0 = action } }

    // MARK: Faults

    /// Runs out of paper now, or after `lines` printed lines of the next receipt.
    public func paperOut(afterLines lines: Int? = nil) {
        state.withLock { state in
            if let lines { state.faults.paperOutAfterLines = lines } else { state.faults.paperOut = true }
        }
    }
    /// A new roll: paper out and paper low cleared.
    public func loadPaper() {
        state.withLock { state in
            state.faults.paperOut = false
            state.faults.paperOutAfterLines = nil
            state.faults.paperLow = false
        }
    }
    /// The roll is nearly used up.
    public func paperLow() { state.withLock { $0.faults.paperLow = true } }
    /// Opens or closes the cover.
    public func cover(open: Bool) { state.withLock { $0.faults.coverOpen = open } }
    /// Jams the cutter, or frees it.
    public func cutter(jammed: Bool) { state.withLock { $0.faults.cutterJam = jammed } }
    /// Stops answering status requests, or answers again.
    public func status(silent: Bool) { state.withLock { $0.faults.statusSilent = silent } }
    /// Goes away after `bytes` bytes of the next job.
    public func vanish(afterBytes bytes: Int) { state.withLock { $0.faults.vanishAfterBytes = bytes } }

    public func control(_ words: [Substring]) async -> String? {
        let command = words.joined(separator: " ")
        switch command {
        case "paper out": paperOut(); return "ok: out of paper"
        case "paper low": paperLow(); return "ok: paper low"
        case "paper ok": loadPaper(); return "ok: a new roll is loaded"
        case "cover open": cover(open: true); return "ok: cover open"
        case "cover close": cover(open: false); return "ok: cover closed"
        case "cutter jam": cutter(jammed: true); return "ok: the cutter is jammed"
        case "cutter ok": cutter(jammed: false); return "ok: the cutter works"
        case "status silent": status(silent: true); return "ok: status requests go unanswered"
        case "status ok": status(silent: false); return "ok: status requests are answered"
        case "receipts": return "ok: \(receipts.count) receipts, \(receipts.filter(\.complete).count) complete"
        default:
            if words.count == 4, words[0] == "paper", words[1] == "out", words[2] == "after", let lines = Int(words[3]) {
                paperOut(afterLines: lines)
                return "ok: paper runs out after \(lines) lines of the next receipt"
            }
            if words.count == 3, words[0] == "vanish", words[1] == "after", let bytes = Int(words[2]) {
                vanish(afterBytes: bytes)
                return "ok: the printer goes away after \(bytes) bytes of the next job"
            }
            return nil
        }
    }

    // MARK: The wire

    public func hostDisconnected() {
        state.withLock { state in
            if state.linesThisReceipt > 0 || !state.rows.isEmpty { finishReceipt(&state, complete: false) }
            state.pending.removeAll()
            state.lineBuffer.removeAll()
            state.bytesThisJob = 0
        }
    }

    public func received(_ bytes: [UInt8], from host: HostLink) async {
        var replies: [UInt8] = []
        var goAway = false
        state.withLock { state in
            state.bytesThisJob += bytes.count
            if let limit = state.faults.vanishAfterBytes, state.bytesThisJob >= limit {
                state.faults.vanishAfterBytes = nil
                state.pending += bytes.prefix(max(0, bytes.count - (state.bytesThisJob - limit)))
                goAway = true
            } else {
                state.pending += bytes
            }
            interpret(&state, replies: &replies)
        }
        if goAway {
            vanish.withLock { $0 }?()
            return
        }
        if !replies.isEmpty { await host.send(replies) }
    }

    // MARK: Interpreting

    /// Consumes every complete command in `pending`.
    private func interpret(_ state: inout State, replies: inout [UInt8]) {
        while let first = state.pending.first {
            let needed: Int
            switch first {
            case 0x10:  // DLE EOT n
                guard state.pending.count >= 3 else { return }
                if state.pending[1] == 0x04 {
                    if !state.faults.statusSilent { replies.append(statusByte(state.faults, kind: state.pending[2])) }
                    needed = 3
                } else {
                    needed = 1
                }
            case 0x1B:  // ESC
                guard state.pending.count >= 2 else { return }
                switch state.pending[1] {
                case 0x40:
                    if !state.rows.isEmpty || state.linesThisReceipt > 0 { finishReceipt(&state, complete: !state.stopped) }
                    state.mode = Mode()
                    state.bytesThisJob = 2
                    needed = 2
                case 0x61, 0x45, 0x64, 0x21, 0x2D, 0x4A, 0x33, 0x74, 0x52:
                    guard state.pending.count >= 3 else { return }
                    let n = Int(state.pending[2])
                    switch state.pending[1] {
                    case 0x61: state.mode.alignment = n % 48 % 3
                    case 0x45: state.mode.bold = n & 1 == 1
                    case 0x64: for _ in 0..<n { printLine(&state, text: []) }
                    case 0x21:
                        state.mode.bold = n & 0x08 != 0
                        state.mode.height = n & 0x10 != 0 ? 2 : 1
                        state.mode.width = n & 0x20 != 0 ? 2 : 1
                    default: break
                    }
                    needed = 3
                default:
                    state.text.append("[unknown command ESC \(hex(state.pending[1]))]")
                    needed = 2
                }
            case 0x1D:  // GS
                guard state.pending.count >= 2 else { return }
                switch state.pending[1] {
                case 0x21:
                    guard state.pending.count >= 3 else { return }
                    state.mode.width = Int(state.pending[2] >> 4) + 1
                    state.mode.height = Int(state.pending[2] & 0x0F) + 1
                    needed = 3
                case 0x56:
                    guard state.pending.count >= 3 else { return }
                    let hasFeed = state.pending[2] == 0x41 || state.pending[2] == 0x42
                    guard state.pending.count >= (hasFeed ? 4 : 3) else { return }
                    cut(&state)
                    needed = hasFeed ? 4 : 3
                case 0x76:
                    guard state.pending.count >= 8 else { return }
                    let widthBytes = Int(state.pending[4]) | Int(state.pending[5]) << 8
                    let height = Int(state.pending[6]) | Int(state.pending[7]) << 8
                    guard state.pending.count >= 8 + widthBytes * height else { return }
                    let bits = Array(state.pending[8..<(8 + widthBytes * height)])
                    let image = (0..<height).map { y in (0..<(widthBytes * 8)).map { x in bits[y * widthBytes + x / 8] & (0x80 >> UInt8(x % 8)) != 0 } }
                    place(&state, image: image, text: "[image \(widthBytes * 8)x\(height)]")
                    needed = 8 + widthBytes * height
                case 0x28:
                    guard state.pending.count >= 5 else { return }
                    let length = Int(state.pending[3]) | Int(state.pending[4]) << 8
                    guard state.pending.count >= 5 + length else { return }
                    if state.pending[2] == 0x6B { symbol(&state, Array(state.pending[5..<(5 + length)])) }
                    needed = 5 + length
                default:
                    state.text.append("[unknown command GS \(hex(state.pending[1]))]")
                    needed = 2
                }
            case 0x1C:  // FS
                guard state.pending.count >= 2 else { return }
                if state.pending[1] == 0x26 { state.mode.chinese = true }
                if state.pending[1] == 0x2E { state.mode.chinese = false }
                needed = 2
            case 0x0A:
                printLine(&state, text: state.lineBuffer)
                state.lineBuffer.removeAll()
                needed = 1
            case 0x0D:
                needed = 1
            default:
                if first >= 0x20 { state.lineBuffer.append(first) }
                needed = 1
            }
            state.pending.removeFirst(needed)
        }
    }

    /// The DLE EOT reply: 0xx1xx10 with the bits for the asked status.
    private func statusByte(_ faults: Faults, kind: UInt8) -> UInt8 {
        let offline = faults.paperOut || faults.coverOpen || faults.cutterJam
        var byte: UInt8 = 0x12
        switch kind {
        case 1: if offline { byte |= 0x08 }
        case 2:
            if faults.coverOpen { byte |= 0x04 }
            if faults.paperOut { byte |= 0x20 }
            if faults.cutterJam { byte |= 0x40 }
        case 3: if faults.cutterJam { byte |= 0x08 }
        case 4:
            if faults.paperLow { byte |= 0x0C }
            if faults.paperOut { byte |= 0x60 }
        default: break
        }
        return byte
    }

    private func symbol(_ state: inout State, _ body: [UInt8]) {
        guard body.count >= 2, body[0] == 0x31 else { return }
        switch body[1] {
        case 0x43 where body.count >= 3: state.mode.qrModuleSize = max(1, min(16, Int(body[2])))
        case 0x45 where body.count >= 3: state.mode.qrLevel = (0x30...0x33).contains(body[2]) ? Int(body[2]) - 0x30 : 1
        case 0x50 where body.count >= 3: state.mode.qrData = Array(body[3...])
        case 0x51:
            let payload = String(decoding: state.mode.qrData, as: UTF8.self)
            guard let code = QRSymbol(state.mode.qrData, level: state.mode.qrLevel) else {
                state.text.append("[QR too long: \(state.mode.qrData.count) bytes]")
                return
            }
            let module = state.mode.qrModuleSize
            let quiet = 4 * module
            let side = code.size * module + 2 * quiet
            let image = (0..<side).map { y in
                (0..<side).map { x in
                    let (mx, my) = ((x - quiet) / module, (y - quiet) / module)
                    return x >= quiet && y >= quiet && mx < code.size && my < code.size && code.isDark(mx, my)
                }
            }
            place(&state, image: image, text: "[QR \(payload)]")
        default: break
        }
    }

    private func printLine(_ state: inout State, text bytes: [UInt8]) {
        let text = decodePrinterText(bytes, chinese: state.mode.chinese)
        let cell = 24 * state.mode.height
        var image: [[Bool]] = Array(repeating: [], count: cell)
        for scalar in text.unicodeScalars {
            let glyph = font.cell(scalar, cellHeight: cell)  // scaled by height; width follows
            for y in 0..<cell {
                var row = glyph[y]
                if state.mode.width > state.mode.height { row = row.flatMap { [$0, $0] } }
                if state.mode.bold { row = row.enumerated().map { index, ink in ink || (index > 0 && row[index - 1]) } }
                image[y] += row
            }
        }
        place(&state, image: image, text: text)
    }

    /// Adds an image (a text line, a raster block, a QR code) to the receipt, aligned.
    private func place(_ state: inout State, image: [[Bool]], text: String) {
        if state.faults.paperOut || state.stopped {
            state.stopped = true
            return
        }
        if let limit = state.faults.paperOutAfterLines, state.linesThisReceipt >= limit {
            state.faults.paperOut = true
            state.faults.paperOutAfterLines = nil
            state.stopped = true
            state.text.append("[paper out: printing stopped]")
            return
        }
        let width = image.first?.count ?? 0
        let offset = switch state.mode.alignment {
        case 1: max(0, (dotsPerLine - width) / 2)
        case 2: max(0, dotsPerLine - width)
        default: 0
        }
        for row in image {
            var line = Array(repeating: false, count: dotsPerLine)
            for (x, ink) in row.enumerated() where ink && offset + x < dotsPerLine { line[offset + x] = true }
            state.rows.append(line)
        }
        if image.isEmpty { state.rows += Array(repeating: Array(repeating: false, count: dotsPerLine), count: 24) }
        state.text.append(text)
        state.linesThisReceipt += 1
    }

    private func cut(_ state: inout State) {
        if state.faults.cutterJam {
            state.text.append("[cutter jammed: not cut]")
            return
        }
        finishReceipt(&state, complete: !state.stopped)
    }

    private func finishReceipt(_ state: inout State, complete: Bool) {
        guard !state.rows.isEmpty || !state.text.isEmpty else { return }
        let number = state.receipts.count + 1
        let text = state.text.joined(separator: "\n")
        var imagePath: String?
        if let outputDirectory {
            let name = String(format: "receipt-%04d%@", number, complete ? "" : "-incomplete")
            let rows = state.rows
            let path = "\(outputDirectory)/\(name).png"
            if let png = paperPNG(width: dotsPerLine, rows: rows) {
                _ = FileManager.default.createFile(atPath: path, contents: Data(png))
                imagePath = path
            } else {
                state.text.append("[the receipt's image could not be written]")
            }
            _ = FileManager.default.createFile(atPath: "\(outputDirectory)/\(name).txt", contents: Data((text + "\n").utf8))
        }
        state.receipts.append(PrintedReceipt(text: text, imagePath: imagePath, complete: complete))
        state.rows.removeAll()
        state.text.removeAll()
        state.linesThisReceipt = 0
        state.stopped = false
    }

    private func hex(_ byte: UInt8) -> String { String(format: "%02X", byte) }
}
