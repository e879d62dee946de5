import KioskCore

/// The GA 467 (SAM-V) frame format, from the business terminal's side:
///
///     AA AA AA 96 69 | LEN (2 bytes, big-endian) | CMD PARA data… | XOR
///
/// LEN counts every byte after itself, the XOR included; the XOR covers LEN
/// through the last data byte. Replies carry SW1 SW2 SW3 where commands carry
/// CMD PARA.
public enum GA467 {
    /// The five bytes every frame starts with.
    public static let preamble: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69]

    /// The longest LEN accepted: the largest reply (base info + photo +
    /// fingerprint) is 2 314 bytes; anything near 64 KB is line noise.
    public static let maxLength = 4096

    /// The reply to *find card* while no card is in the field (SW3 80).
    public static let noCardAnswer: [UInt8] = preamble + [0x00, 0x04, 0x00, 0x00, 0x80, 0x04 ^ 0x80]

    /// Encodes a command frame.
    public static func encode(_ command: GA467Command, data: [UInt8] = []) -> [UInt8] {
        let length = UInt16(data.count + 3)  // CMD PARA … XOR
        var body: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), command.code, command.parameter]
        body += data
        return preamble + body + [body.reduce(0, ^)]
    }
}

/// A command the terminal sends to the SAM.
public struct GA467Command: Hashable, Sendable, CustomStringConvertible {
    /// CMD.
    public let code: UInt8
    /// PARA.
    public let parameter: UInt8
    /// What it does, for logs and errors.
    public let name: String

    /// 寻找证/卡.
    public static let findCard = GA467Command(code: 0x20, parameter: 0x01, name: "find card")
    /// 选取证/卡.
    public static let selectCard = GA467Command(code: 0x20, parameter: 0x02, name: "select card")
    /// 读基本信息 + 照片.
    public static let readBaseAndPhoto = GA467Command(code: 0x30, parameter: 0x01, name: "read base info and photo")
    /// 读基本信息 + 照片 + 指纹.
    public static let readBaseAndFingerprint = GA467Command(code: 0x30, parameter: 0x10, name: "read base info, photo and fingerprint")
    /// 读追加住址.
    public static let readExtraAddress = GA467Command(code: 0x30, parameter: 0x03, name: "read extra address")
    /// 读 SAM_V 管理信息 (SAM id).
    public static let samID = GA467Command(code: 0x12, parameter: 0xFF, name: "read SAM id")
    /// SAM_V 状态检测.
    public static let samStatus = GA467Command(code: 0x11, parameter: 0xFF, name: "SAM status")
    /// 复位 SAM_V.
    public static let resetSAM = GA467Command(code: 0x10, parameter: 0xFF, name: "reset SAM")

    public var description: String { name }
}

/// A decoded reply frame.
public struct GA467Reply: Hashable, Sendable {
    /// SW1, SW2 (00 00 in every reply seen).
    public var sw1: UInt8
    public var sw2: UInt8
    /// SW3: the status.
    public var status: GA467Status
    /// What follows SW3, without the XOR.
    public var data: [UInt8]
}

/// A frame that breaks the format. The decoder has already skipped past it
/// and goes on looking for the next preamble.
public enum GA467FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The XOR does not match the frame's bytes (line noise, a lost byte).
    case badChecksum(expected: UInt8, received: UInt8)
    /// LEN is too small for a reply or larger than any real frame.
    case badLength(Int)

    public var description: String {
        switch self {
        case .badChecksum(let expected, let received):
            "GA 467 frame checksum mismatch (computed \(hex(Int(expected), digits: 2)), received \(hex(Int(received), digits: 2))): line noise or a lost byte"
        case .badLength(let length):
            "GA 467 frame with impossible length \(length): line noise or a wrong baud rate"
        }
    }
}

/// Reassembles reply frames from whatever pieces the transport delivers:
/// fragments are joined, garbage before a preamble is skipped, and a frame
/// with a bad length or checksum is reported and skipped. The buffer never
/// holds more than one maximal frame plus the bytes of the last `append`.
///
/// ```swift
/// var decoder = GA467ReplyDecoder()
/// decoder.append(bytesFromTheWire)
/// while let result = decoder.next() { … }
/// ```
public struct GA467ReplyDecoder: Sendable {
    private var buffer: [UInt8] = []
    /// Bytes skipped as garbage so far (not part of any frame).
    public private(set) var skippedBytes = 0

    /// Creates an empty decoder.
    public init() {}

    /// Bytes waiting for the rest of their frame.
    public var bufferedCount: Int { buffer.count }

    /// Adds bytes from the wire.
    public mutating func append(_ bytes: [UInt8]) {
        buffer += bytes
    }

    /// Forgets partial input (after a flush or a timeout).
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
    }

    /// The next complete frame, a framing error, or nil when more bytes are needed.
    public mutating func next() -> Result<GA467Reply, GA467FrameError>? {
        while true {
            guard let start = preambleIndex() else {
                // Keep a tail that may be the start of a preamble.
                let keep = partialPreambleSuffix()
                skippedBytes += buffer.count - keep
                buffer.removeFirst(buffer.count - keep)
                return nil
            }
            if start > 0 {
                skippedBytes += start
                buffer.removeFirst(start)
            }
            guard buffer.count >= 7 else { return nil }
            let length = Int(buffer[5]) << 8 | Int(buffer[6])
            guard length >= 4, length <= GA467.maxLength else {
                dropOne()
                return .failure(.badLength(length))
            }
            guard buffer.count >= 7 + length else { return nil }
            let checked = buffer[5..<(6 + length)]
            let expected = checked.reduce(0, ^)
            let received = buffer[6 + length]
            guard expected == received else {
                dropOne()
                return .failure(.badChecksum(expected: expected, received: received))
            }
            let reply = GA467Reply(sw1: buffer[7], sw2: buffer[8], status: GA467Status(buffer[9]), data: Array(buffer[10..<(6 + length)]))
            buffer.removeFirst(7 + length)
            return .success(reply)
        }
    }

    /// Skips the first byte of a bad frame, so a real preamble inside it is still found.
    private mutating func dropOne() {
        buffer.removeFirst()
        skippedBytes += 1
    }

    private func preambleIndex() -> Int? {
        let preamble = GA467.preamble
        guard buffer.count >= preamble.count else { return nil }
        var index = 0
        while index + preamble.count <= buffer.count {
            if buffer[index] == 0xAA, buffer[index + 1] == 0xAA, buffer[index + 2] == 0xAA, buffer[index + 3] == 0x96, buffer[index + 4] == 0x69 {
                return index
            }
            index += 1
        }
        return nil
    }

    private func partialPreambleSuffix() -> Int {
        let preamble = GA467.preamble
        for keep in stride(from: min(preamble.count - 1, buffer.count), through: 1, by: -1)
        where Array(buffer.suffix(keep)) == Array(preamble.prefix(keep)) {
            return keep
        }
        return 0
    }
}

/// `value` in capital hexadecimal, zero-padded to `digits`: a status byte (SW3=80), a PDF code, a glyph name.
func hex(_ value: Int, digits: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}
