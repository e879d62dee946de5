import Foundation

/// A simulated card: `hardware-sim/cards/*.json`. Every person is fictional
/// and every number valid by its checksum. Schema in docs/hardware-sim.md.
public struct CardProfile: Codable, Sendable, Equatable {
    /// `resident_id` (default), `foreign_permanent_resident` ('I') or `hmt_residence_permit` ('J').
    public var type: String?
    /// Name as printed (Chinese name on an 'I' card).
    public var name: String
    /// English name ('I' cards).
    public var englishName: String?
    /// 1 male, 2 female (GB/T 2261.1).
    public var gender: Int
    /// GB 3304 code, e.g. "01" (resident ID cards).
    public var nation: String?
    /// ISO 3166-1 alpha-3 ('I' cards).
    public var nationality: String?
    /// YYYYMMDD.
    public var birth: String
    /// Registered address (not on 'I' cards).
    public var address: String?
    /// The card number.
    public var number: String
    /// Issuing authority (a code on 'I' cards).
    public var authority: String
    /// YYYYMMDD.
    public var validFrom: String
    /// YYYYMMDD or 长期.
    public var validUntil: String
    /// 追加住址, returned by command 30 03.
    public var extraAddress: String?
    /// 通行证号码 ('J' cards).
    public var passNumber: String?
    /// 签发次数 ('J' cards), two digits.
    public var issueCount: String?
    /// Whether the card holds fingerprints.
    public var fingerprint: Bool?
    /// What this profile is for.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case type, name, gender, nation, nationality, birth, address, number, authority, fingerprint, note
        case englishName = "english_name"
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case extraAddress = "extra_address"
        case passNumber = "pass_number"
        case issueCount = "issue_count"
    }

    /// Loads a profile: a path to a JSON file, or a name looked up as `DIR/NAME.json`.
    public static func load(_ nameOrPath: String, cardsDirectory: String) throws -> CardProfile {
        let path = nameOrPath.hasSuffix(".json") ? nameOrPath : "\(cardsDirectory)/\(nameOrPath).json"
        guard let data = FileManager.default.contents(atPath: path) else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: cardsDirectory))?
                .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted() ?? []
            throw SimulatorError("no card profile \(path)" + (known.isEmpty ? "" : "; known cards: \(known.joined(separator: ", "))"))
        }
        do {
            return try JSONDecoder().decode(CardProfile.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw SimulatorError("\(path): the field \"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw SimulatorError("\(path): the field \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch {
            throw SimulatorError("\(path) is not a valid card profile: \(error)")
        }
    }

    /// The 256-byte text block as the card stores it: UCS-2LE fields padded with spaces.
    public var textBlock: [UInt8] {
        var block = [UInt8](repeating: 0, count: 256)
        for index in stride(from: 0, to: 256, by: 2) { block[index] = 0x20 }  // all spaces
        func put(_ text: String, at offset: Int, length: Int) {
            var position = offset
            for unit in text.utf16 where position + 1 < offset + length {
                block[position] = UInt8(unit & 0xFF)
                block[position + 1] = UInt8(unit >> 8)
                position += 2
            }
        }
        switch type ?? "resident_id" {
        case "foreign_permanent_resident" where number.count == 18:
            // The 2023 card (type Y): the resident ID card's places for the birth date, the number and the
            // dates; the English name in two parts, the nationality before the type.
            let english = englishName ?? ""
            put(name, at: 0, length: 30)
            put(String(gender), at: 30, length: 2)
            put(issueCount ?? "00", at: 32, length: 4)
            put(birth, at: 36, length: 16)
            put(String(english.prefix(35)), at: 52, length: 70)
            put(number, at: 122, length: 36)
            put(validFrom, at: 188, length: 16)
            put(validUntil, at: 204, length: 16)
            put(String(english.dropFirst(35).prefix(11)), at: 220, length: 22)
            put(nationality ?? "", at: 242, length: 6)
            put("Y", at: 248, length: 2)
        case "foreign_permanent_resident":
            put(englishName ?? "", at: 0, length: 120)
            put(String(gender), at: 120, length: 2)
            put(number, at: 122, length: 30)
            put(nationality ?? "", at: 152, length: 6)
            put(name, at: 158, length: 30)
            put(validFrom, at: 188, length: 16)
            put(validUntil, at: 204, length: 16)
            put(birth, at: 220, length: 16)
            put("01", at: 236, length: 4)
            put(authority, at: 240, length: 8)
            put("I", at: 248, length: 2)
        default:
            put(name, at: 0, length: 30)
            put(String(gender), at: 30, length: 2)
            put(nation ?? "", at: 32, length: 4)
            put(birth, at: 36, length: 16)
            put(address ?? "", at: 52, length: 70)
            put(number, at: 122, length: 36)
            put(authority, at: 158, length: 30)
            put(validFrom, at: 188, length: 16)
            put(validUntil, at: 204, length: 16)
            if type == "hmt_residence_permit" {
                put(passNumber ?? "", at: 220, length: 18)
                put(issueCount ?? "01", at: 238, length: 4)
                put("J", at: 248, length: 2)
            }
        }
        return block
    }

    /// A stand-in for the 1024-byte WLT photo: the WLT magic, then bytes
    /// derived from the number, so each card's photo differs and is stable.
    public var photo: [UInt8] { Self.pseudoBlock(seed: number + "photo", magic: [0x57, 0x4C, 0x66, 0x00]) }

    /// A stand-in for the 1024-byte fingerprint block.
    public var fingerprintBlock: [UInt8] { fingerprint == true ? Self.pseudoBlock(seed: number + "fp", magic: [0x43, 0x01]) : [] }

    static func pseudoBlock(seed: String, magic: [UInt8]) -> [UInt8] {
        var state: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in seed.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var block = magic
        while block.count < 1024 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            block.append(UInt8(truncatingIfNeeded: state >> 33))
        }
        return block
    }

    /// The 70-byte extra-address block (UCS-2LE, space padded).
    var extraAddressBlock: [UInt8]? {
        guard let extraAddress else { return nil }
        var block: [UInt8] = []
        for unit in extraAddress.utf16.prefix(35) { block += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        while block.count < 70 { block += [0x20, 0x00] }
        return block
    }
}
