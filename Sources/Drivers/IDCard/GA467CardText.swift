import KioskCore

/// Decodes the card's 256-byte text block (UCS-2 little-endian, fixed
/// fields padded with spaces) into a ``ResidentIdentity``.
public enum GA467CardText {
    /// The text block's size.
    public static let textSize = 256
    /// The WLT photo's size.
    public static let photoSize = 1024

    /// Decodes a read reply's data: text length, photo length (and fingerprint
    /// length for 30 10), then the blocks.
    public static func decodeRead(_ data: [UInt8], withFingerprint: Bool) throws(DeviceError) -> (text: [UInt8], photo: [UInt8], fingerprint: [UInt8]) {
        let header = withFingerprint ? 6 : 4
        guard data.count >= header else { throw unreadable("the read reply has \(data.count) bytes, fewer than its length header") }
        let textLength = Int(data[0]) << 8 | Int(data[1])
        let photoLength = Int(data[2]) << 8 | Int(data[3])
        let fingerprintLength = withFingerprint ? Int(data[4]) << 8 | Int(data[5]) : 0
        guard textLength == textSize else { throw unreadable("the text block is \(textLength) bytes, not 256") }
        guard photoLength == photoSize || photoLength == 0 else { throw unreadable("the photo is \(photoLength) bytes, not 1024") }
        guard data.count == header + textLength + photoLength + fingerprintLength else {
            throw unreadable("the read reply has \(data.count) bytes where its header announces \(header + textLength + photoLength + fingerprintLength)")
        }
        let text = Array(data[header..<(header + textLength)])
        let photo = Array(data[(header + textLength)..<(header + textLength + photoLength)])
        let fingerprint = Array(data[(header + textLength + photoLength)...])
        return (text, photo, fingerprint)
    }

    /// Decodes the text block. `extraAddress` is the 70-byte block of 30 03, if any.
    public static func identity(text: [UInt8], photo: [UInt8], extraAddress: [UInt8]? = nil) throws(DeviceError) -> ResidentIdentity {
        guard text.count == textSize else { throw unreadable("the text block is \(text.count) bytes, not 256") }
        let type = field(text, 248, 2)
        switch type {
        case "I": return try foreignPermanentResident(text, photo: photo)
        case "Y": return try foreignPermanentResident2023(text, photo: photo)
        case "J": return try residentStyle(text, photo: photo, extraAddress: extraAddress, type: .hongKongMacaoTaiwanResidence)
        case "": return try residentStyle(text, photo: photo, extraAddress: extraAddress, type: .residentID)
        default: throw unreadable("unknown card type \"\(type)\"")
        }
    }

    /// Name 0/30, gender 30/2, nation 32/4, birth 36/16, address 52/70,
    /// number 122/36, authority 158/30, valid from 188/16, valid until
    /// 204/16 ("长期" or a date); 'J' cards add a pass number at 220/18.
    private static func residentStyle(_ text: [UInt8], photo: [UInt8], extraAddress: [UInt8]?, type: IdentityCardType) throws(DeviceError) -> ResidentIdentity {
        var address = field(text, 52, 70)
        if let extraAddress {
            let extra = decodeUCS2(extraAddress[...])
            if !extra.isEmpty { address += extra }
        }
        let nationCode = field(text, 32, 4)
        let nation: Nation?
        if type == .residentID {
            guard let found = Nation(code: nationCode) else { throw unreadable("nation code \"\(nationCode)\" is not in GB 3304") }
            nation = found
        } else {
            nation = nil
        }
        return ResidentIdentity(
            cardType: type, name: try nonEmpty(field(text, 0, 30), "name"), gender: try gender(field(text, 30, 2)),
            nation: nation, birthDate: try date(field(text, 36, 16), "birth date"), address: address,
            number: try nonEmpty(field(text, 122, 36), "ID number"), issuingAuthority: field(text, 158, 30),
            validFrom: try date(field(text, 188, 16), "valid-from date"), validUntil: try validity(field(text, 204, 16)),
            passNumber: type == .hongKongMacaoTaiwanResidence ? field(text, 220, 18) : nil, photo: photo)
    }

    /// English name 0/120, gender 120/2, number 122/30, nationality 152/6,
    /// Chinese name 158/30, valid from 188/16, valid until 204/16, birth
    /// 220/16, version 236/4, authority code 240/8, type 248/2.
    private static func foreignPermanentResident(_ text: [UInt8], photo: [UInt8]) throws(DeviceError) -> ResidentIdentity {
        let english = field(text, 0, 120)
        let chinese = field(text, 158, 30)
        return ResidentIdentity(
            cardType: .foreignPermanentResident, name: chinese.isEmpty ? try nonEmpty(english, "name") : chinese,
            englishName: english.isEmpty ? nil : english, gender: try gender(field(text, 120, 2)), nation: nil,
            nationality: field(text, 152, 6), birthDate: try date(field(text, 220, 16), "birth date"), address: nil,
            number: try nonEmpty(field(text, 122, 30), "card number"), issuingAuthority: field(text, 240, 8),
            validFrom: try date(field(text, 188, 16), "valid-from date"), validUntil: try validity(field(text, 204, 16)), photo: photo)
    }

    /// The 2023 permanent residence card (type `Y`): Chinese name 0/30, gender 30/2, renewals 32/4,
    /// birth 36/16, English name 52/70 and its continuation 220/22, the 18-digit number 122/36,
    /// valid from 188/16, valid until 204/16, nationality 242/6. Its issuer (国家移民管理局) is not in the text.
    private static func foreignPermanentResident2023(_ text: [UInt8], photo: [UInt8]) throws(DeviceError) -> ResidentIdentity {
        let english = field(text, 52, 70) + field(text, 220, 22)
        let chinese = field(text, 0, 30)
        return ResidentIdentity(
            cardType: .foreignPermanentResident, name: chinese.isEmpty ? try nonEmpty(english, "name") : chinese,
            englishName: english.isEmpty ? nil : english, gender: try gender(field(text, 30, 2)), nation: nil,
            nationality: field(text, 242, 6), birthDate: try date(field(text, 36, 16), "birth date"), address: nil,
            number: try nonEmpty(field(text, 122, 36), "card number"), issuingAuthority: "",
            validFrom: try date(field(text, 188, 16), "valid-from date"), validUntil: try validity(field(text, 204, 16)), photo: photo)
    }

    /// The field at `offset` of `length` bytes, decoded and trimmed of padding.
    static func field(_ text: [UInt8], _ offset: Int, _ length: Int) -> String {
        decodeUCS2(text[offset..<(offset + length)])
    }

    /// UCS-2LE without the space and NUL padding.
    static func decodeUCS2(_ bytes: ArraySlice<UInt8>) -> String {
        var units: [UInt16] = []
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            units.append(UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
            index += 2
        }
        while let last = units.last, last == 0x0020 || last == 0x0000 { units.removeLast() }
        return String(decoding: units, as: UTF16.self)
    }

    private static func gender(_ code: String) throws(DeviceError) -> Gender {
        guard let value = Int(code), let gender = Gender(rawValue: value) else { throw unreadable("gender code \"\(code)\" is not 0, 1, 2 or 9") }
        return gender
    }

    private static func date(_ text: String, _ what: String) throws(DeviceError) -> CalendarDate {
        // The text itself stays out of the message: it is a birth date, and the message is logged.
        guard let date = CalendarDate(yyyymmdd: text) else { throw unreadable("the \(what) (\(text.count) characters) is not a date") }
        return date
    }

    private static func validity(_ text: String) throws(DeviceError) -> CardValidity {
        if text == "长期" { return .longTerm }
        return .until(try date(text, "valid-until date"))
    }

    private static func nonEmpty(_ text: String, _ what: String) throws(DeviceError) -> String {
        guard !text.isEmpty else { throw unreadable("the card's \(what) is empty") }
        return text
    }

    private static func unreadable(_ reason: String) -> DeviceError {
        DeviceError(.protocolError, "ID-card reader returned a card text block kioskd cannot decode: \(reason); place the card again")
    }
}
