import KioskCore

#if canImport(Glibc)
import Glibc
#endif

/// Text to GB 18030 bytes through the C library's iconv, and what a printer
/// font of a given coverage can print.
public enum GB18030 {
    /// The GB 18030 bytes of one character; nil if it has none.
    public static func encode(_ character: Character) -> [UInt8]? {
        let descriptor = iconv_open("GB18030", "UTF-8")
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        var input = Array(String(character).utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: 16)
        var inLeft = input.count
        var outLeft = output.count
        let converted = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                return iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
            }
        }
        guard converted != -1, inLeft == 0 else { return nil }
        return output[0..<(16 - outLeft)].map { UInt8(bitPattern: $0) }
    }

    /// The bytes of `text`, or nil if a character is missing from `coverage`
    /// (the line must then print as an image).
    public static func encode(_ text: String, coverage: ESCPOSProfile.FontCoverage) -> [UInt8]? {
        var bytes: [UInt8] = []
        for character in text {
            guard let encoded = encode(character), isPrintable(encoded, coverage: coverage) else { return nil }
            bytes += encoded
        }
        return bytes
    }

    /// Whether a font of `coverage` has the character with these GB 18030 bytes.
    public static func isPrintable(_ bytes: [UInt8], coverage: ESCPOSProfile.FontCoverage) -> Bool {
        switch bytes.count {
        case 1: return bytes[0] >= 0x20 && bytes[0] < 0x7F
        case 2:
            let (lead, trail) = (bytes[0], bytes[1])
            switch coverage {
            case .gb2312: return (0xA1...0xF7).contains(lead) && (0xA1...0xFE).contains(trail)
            // GBK's last rows (FE50–FEFE) were user-defined; GB 18030 put CJK
            // Extension A characters there that GBK fonts do not have.
            case .gbk: return (0x81...0xFE).contains(lead) && (0x40...0xFE).contains(trail) && trail != 0x7F && !(lead == 0xFE && trail >= 0x50)
            case .gb18030: return true
            }
        case 4: return coverage == .gb18030
        default: return false
        }
    }
}
