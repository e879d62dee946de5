import Synchronization

/// A fault a simulator can inject into what it sends back, the way real
/// devices misbehave. Device-specific faults (a SAM error status, paper out)
/// belong to each device's simulator; these work on any wire.
public enum WireFault: Sendable, Hashable, CustomStringConvertible {
    /// Send each reply in pieces of at most `chunk` bytes, `gap` apart.
    case fragment(chunk: Int, gap: Duration)
    /// Wait this long before each reply.
    case delay(Duration)
    /// Send these bytes before the next reply (line noise, a stale frame).
    case garbage([UInt8])
    /// Flip the bits of the last byte of the next reply (a checksum error for most protocols).
    case corrupt
    /// Swallow replies: the device stops answering.
    case silent
    /// Vanish instead of sending the next reply: the far end closes mid-command.
    case vanish

    /// Parses the control-socket form: `fragment 3 5ms`, `delay 200ms`,
    /// `garbage 00ff13`, `corrupt`, `silent`, `vanish`.
    public init?(parsing words: [Substring]) {
        guard let first = words.first else { return nil }
        switch first {
        case "fragment":
            guard words.count >= 2, let chunk = Int(words[1]), chunk > 0 else { return nil }
            let gap = words.count > 2 ? parseDuration(words[2]) : .milliseconds(2)
            guard let gap else { return nil }
            self = .fragment(chunk: chunk, gap: gap)
        case "delay":
            guard words.count == 2, let duration = parseDuration(words[1]) else { return nil }
            self = .delay(duration)
        case "garbage":
            guard words.count == 2, let bytes = parseHex(words[1]) else { return nil }
            self = .garbage(bytes)
        case "corrupt": self = .corrupt
        case "silent": self = .silent
        case "vanish": self = .vanish
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .fragment(let chunk, let gap): "fragment \(chunk) \(gap)"
        case .delay(let duration): "delay \(duration)"
        case .garbage(let bytes): "garbage \(bytes.count) bytes"
        case .corrupt: "corrupt"
        case .silent: "silent"
        case .vanish: "vanish"
        }
    }

    /// Whether the fault lasts until cleared (otherwise it is used up by one reply).
    var isLasting: Bool {
        switch self {
        case .fragment, .delay, .silent: true
        case .garbage, .corrupt, .vanish: false
        }
    }
}

/// The faults armed on one simulated device.
public final class FaultInjector: Sendable {
    private let armed = Mutex<[WireFault]>([])

    /// Creates an injector with nothing armed.
    public init() {}

    /// Arms a fault. One-shot faults apply to the next reply only.
    public func arm(_ fault: WireFault) { armed.withLock { $0.append(fault) } }

    /// Disarms everything.
    public func clear() { armed.withLock { $0 = [] } }

    /// What is armed now.
    public var current: [WireFault] { armed.withLock { $0 } }

    /// Takes the faults that apply to the next reply, using up the one-shot ones.
    func faultsForNextReply() -> [WireFault] {
        armed.withLock { faults in
            defer { faults.removeAll { !$0.isLasting } }
            return faults
        }
    }
}

/// `200ms`, `2s`, `1.5s`.
func parseDuration(_ text: Substring) -> Duration? {
    if text.hasSuffix("ms"), let value = Int(text.dropLast(2)) { return .milliseconds(value) }
    if text.hasSuffix("s"), let value = Double(text.dropLast()) { return .milliseconds(Int(value * 1000)) }
    return nil
}

/// `00ff13` → [0x00, 0xff, 0x13].
func parseHex(_ text: Substring) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        bytes.append(byte)
    }
    return bytes
}
