import KioskCore

/// SW3, the SAM's answer to a command, with what it means for a maintainer.
public struct GA467Status: Hashable, Sendable, CustomStringConvertible {
    /// The byte.
    public let code: UInt8

    /// Wraps a byte; every value is accepted, unknown ones are reported as such.
    public init(_ code: UInt8) { self.code = code }

    /// How the driver reacts.
    public enum Category: Hashable, Sendable {
        /// 90, 9F: done.
        case success
        /// 91: the card has no such content (no extra address, no fingerprint).
        case noContent
        /// 80, 81: no card in the field.
        case noCard
        /// The card could not be read or authenticated: ask to place it again.
        case cardProblem
        /// The terminal's frame or command was refused: resend.
        case terminalError
        /// The SAM module is faulty or not authorised: a maintainer is needed.
        case samFault
        /// A code GA 467 does not define.
        case unknown
    }

    public static let success = GA467Status(0x90)
    public static let cardFound = GA467Status(0x9F)
    public static let noContent = GA467Status(0x91)
    public static let findFailed = GA467Status(0x80)
    public static let selectFailed = GA467Status(0x81)

    /// Category and meaning of every SW3 value GA 467 defines.
    static let table: [UInt8: (Category, String)] = [
        0x90: (.success, "operation succeeded (操作成功)"),
        0x9F: (.success, "card found (寻找证/卡成功)"),
        0x91: (.noContent, "the card has no such content (证/卡中此项无内容)"),
        0x10: (.terminalError, "the SAM received a frame with a bad checksum (接收业务终端数据的校验和错)"),
        0x11: (.terminalError, "the SAM received a frame with a bad length (接收业务终端数据的长度错)"),
        0x21: (.terminalError, "the SAM refused the command or its parameter (接收业务终端的命令错误)"),
        0x23: (.terminalError, "the command is not allowed now (越权操作)"),
        0x24: (.samFault, "the SAM reports an unrecognised error (无法识别的错误)"),
        0x31: (.cardProblem, "the card failed to authenticate the reader (证/卡认证机具失败)"),
        0x32: (.cardProblem, "the reader failed to authenticate the card (机具认证证/卡失败)"),
        0x33: (.cardProblem, "the card's information failed verification (信息验证错误)"),
        0x40: (.cardProblem, "the card type is not recognised (无法识别的卡类型)"),
        0x41: (.cardProblem, "reading the card failed (读证/卡操作失败)"),
        0x47: (.samFault, "the SAM could not get a random number (取随机数失败)"),
        0x60: (.samFault, "the SAM failed its self-test and takes no commands (SAM_V自检失败)"),
        0x66: (.samFault, "the SAM is not authorised for use (SAM_V没经过授权)"),
        0x80: (.noCard, "no card found (寻找证/卡失败)"),
        0x81: (.noCard, "selecting the card failed (选取证/卡失败)"),
    ]

    /// How the driver reacts to this code.
    public var category: Category { Self.table[code]?.0 ?? .unknown }

    /// What the code means.
    public var meaning: String { Self.table[code]?.1 ?? "undefined status code" }

    /// What to do about it, for a maintainer or (card problems) a resident.
    public var advice: String {
        switch category {
        case .success, .noContent, .noCard: ""
        case .cardProblem: "take the card off and place it flat on the reader again; if it keeps failing the card may be damaged"
        case .terminalError: "kioskd resends; if it repeats, check the cable and the baud rate"
        case .samFault: code == 0x66
            ? "the reader's security module is not authorised: contact the reader's supplier"
            : "power-cycle the ID-card reader; if it persists, replace it"
        case .unknown: "check that the device at this port is a GA 467 ID-card reader"
        }
    }

    public var description: String { "SW3=\(hex(Int(code), digits: 2)): \(meaning)" }

    /// The status as a ``DeviceError`` for a command that needed success.
    func error(for command: GA467Command) -> DeviceError {
        let text = "ID-card reader: \(command.name) answered \(self)" + (advice.isEmpty ? "" : "; \(advice)")
        return switch category {
        case .samFault: DeviceError(.hardwareError, text)
        case .cardProblem: DeviceError(.userError, text)
        default: DeviceError(.protocolError, text)
        }
    }
}
