import Drivers
import KioskCore
import Testing

/// Frames written by hand from the GA 467 description, not produced by the encoder.
@Suite("GA 467 frames")
struct GA467CodecTests {
    @Test("command frames match the protocol description byte for byte")
    func commands() {
        let expected: [(GA467Command, [UInt8])] = [
            (.findCard, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]),
            (.readBaseAndPhoto, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32]),
            (.selectCard, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21]),
            (.readBaseAndFingerprint, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x10, 0x23]),
            (.readExtraAddress, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x03, 0x30]),
            (.samID, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x12, 0xFF, 0xEE]),
            (.samStatus, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0xED]),
            (.resetSAM, [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x10, 0xFF, 0xEC]),
        ]
        for (command, bytes) in expected {
            #expect(GA467.encode(command) == bytes, "\(command)")
        }
    }

    static let findOK: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, 0x97]
    static let findNone: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84]

    @Test("a reply frame decodes to its status and data")
    func reply() throws {
        var decoder = GA467ReplyDecoder()
        decoder.append(Self.findOK + Self.findNone)
        let firstResult = decoder.next()
        let first = try #require(firstResult).get()
        #expect(first.status == .cardFound)
        #expect(first.data == [0, 0, 0, 0])
        let secondResult = decoder.next()
        let second = try #require(secondResult).get()
        #expect(second.status == .findFailed)
        #expect(second.data.isEmpty)
        #expect(decoder.next() == nil)
        #expect(decoder.bufferedCount == 0)
    }

    @Test("a frame arriving one byte at a time is reassembled")
    func fragments() throws {
        var decoder = GA467ReplyDecoder()
        for byte in Self.findOK.dropLast() {
            decoder.append([byte])
            #expect(decoder.next() == nil)
        }
        decoder.append([Self.findOK.last!])
        let result = decoder.next()
        #expect(try #require(result).get().status == .cardFound)
    }

    @Test("garbage before a frame is skipped, including bytes that look like the start of a preamble")
    func garbage() throws {
        var decoder = GA467ReplyDecoder()
        decoder.append([0x13, 0x37, 0xAA, 0xAA, 0x96, 0x00, 0xAA] + Self.findNone)
        let result = decoder.next()
        #expect(try #require(result).get().status == .findFailed)
        #expect(decoder.skippedBytes == 7)
    }

    @Test("a bad checksum is reported, and the next frame still decodes")
    func badChecksum() throws {
        var decoder = GA467ReplyDecoder()
        var corrupt = Self.findOK
        corrupt[corrupt.count - 1] ^= 0xFF
        decoder.append(corrupt + Self.findNone)
        #expect(decoder.next() == .failure(.badChecksum(expected: 0x97, received: 0x68)))
        var next = decoder.next()
        while case .failure? = next { next = decoder.next() }
        #expect(try #require(next).get().status == .findFailed)
    }

    @Test("an impossible length is reported at once, without waiting for 64 KB that will never come")
    func badLength() throws {
        var decoder = GA467ReplyDecoder()
        decoder.append([0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, 0x00])
        #expect(decoder.next() == .failure(.badLength(0xFFFF)))
        decoder.append([0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x00, 0x02])  // too short for SW1 SW2 SW3 XOR
        #expect(decoder.next() == .failure(.badLength(2)))
        decoder.append(Self.findNone)
        var next = decoder.next()
        while case .failure? = next { next = decoder.next() }
        #expect(try #require(next).get().status == .findFailed)
    }

    @Test("every SW3 status GA 467 defines has a category and a meaning", arguments: [
        0x90, 0x9F, 0x91, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60, 0x66, 0x80, 0x81,
    ] as [UInt8])
    func statuses(_ code: UInt8) {
        let status = GA467Status(code)
        #expect(status.category != .unknown)
        #expect(!status.meaning.isEmpty)
        if status.category == .samFault || status.category == .cardProblem || status.category == .terminalError {
            #expect(!status.advice.isEmpty)
        }
    }

    @Test("SW3 categories: SAM faults need a maintainer, card problems the resident")
    func categories() {
        #expect(GA467Status(0x60).category == .samFault)
        #expect(GA467Status(0x66).advice.contains("not authorised"))
        #expect(GA467Status(0x41).category == .cardProblem)
        #expect(GA467Status(0x41).advice.contains("place it flat on the reader again"))
        #expect(GA467Status(0x80).category == .noCard)
        #expect(GA467Status(0x10).category == .terminalError)
        #expect(GA467Status(0x55).category == .unknown)
    }
}

/// Builds a 256-byte text block by hand: UCS-2LE at the offsets GA 467 gives.
func handTextBlock(_ fields: [(Int, Int, String)]) -> [UInt8] {
    var block = [UInt8](repeating: 0, count: 256)
    for index in stride(from: 0, to: 256, by: 2) { block[index] = 0x20 }
    for (offset, length, text) in fields {
        for (index, unit) in text.utf16.enumerated() where index * 2 < length {
            block[offset + index * 2] = UInt8(unit & 0xFF)
            block[offset + index * 2 + 1] = UInt8(unit >> 8)
        }
    }
    return block
}

@Suite("GA 467 card text")
struct GA467CardTextTests {
    @Test("a resident ID card's text block decodes field by field")
    func residentCard() throws {
        let text = handTextBlock([
            (0, 30, "王建国"), (30, 2, "1"), (32, 4, "01"), (36, 16, "19580312"), (52, 70, "安徽省合肥市蜀山区示例街道"),
            (122, 36, "340104195803120519"), (158, 30, "合肥市公安局蜀山分局"), (188, 16, "20180312"), (204, 16, "长期"),
        ])
        var extra: [UInt8] = []
        for unit in "现住示例路1号".utf16 { extra += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        extra += [0x20, 0x00]
        let resident = try GA467CardText.identity(text: text, photo: [UInt8](repeating: 7, count: 1024), extraAddress: extra)
        #expect(resident.cardType == .residentID)
        #expect(resident.name == "王建国")
        #expect(resident.gender == .male)
        #expect(resident.nation?.name == "汉")
        #expect(resident.birthDate == CalendarDate(yyyymmdd: "19580312"))
        #expect(resident.address == "安徽省合肥市蜀山区示例街道现住示例路1号")
        #expect(resident.number == "340104195803120519")
        #expect(resident.issuingAuthority == "合肥市公安局蜀山分局")
        #expect(resident.validUntil == .longTerm)
        #expect(resident.photo.count == 1024)
    }

    @Test("a damaged birth date is an unreadable card whose message, which is logged, carries none of the card's text")
    func damagedDateMasked() {
        for damaged in ["1958031", "19581332", "1958-03-12"] {
            let text = handTextBlock([
                (0, 30, "王建国"), (30, 2, "1"), (32, 4, "01"), (36, 16, damaged), (52, 70, "安徽省合肥市蜀山区示例街道"),
                (122, 36, "340104195803120519"), (158, 30, "合肥市公安局蜀山分局"), (188, 16, "20180312"), (204, 16, "长期"),
            ])
            do {
                _ = try GA467CardText.identity(text: text, photo: [])
                Issue.record("a birth date of \(damaged) was accepted")
            } catch {
                #expect(error.message.contains("birth date") && error.message.contains("place the card again"), "\(error.message)")
                for secret in [damaged, "1958", "王建国", "340104"] { #expect(!error.message.contains(secret), "\(error.message)") }
            }
        }
    }

    @Test("a foreigner's permanent residence card ('I') decodes name, number and validity")
    func foreignCard() throws {
        let text = handTextBlock([
            (0, 120, "SMITH, JOHN"), (120, 2, "1"), (122, 30, "CAN340078051702"), (152, 6, "CAN"), (158, 30, "史约翰"),
            (188, 16, "20200101"), (204, 16, "20300101"), (220, 16, "19780517"), (236, 4, "01"), (240, 8, "1500"), (248, 2, "I"),
        ])
        let resident = try GA467CardText.identity(text: text, photo: [])
        #expect(resident.cardType == .foreignPermanentResident)
        #expect(resident.name == "史约翰")
        #expect(resident.englishName == "SMITH, JOHN")
        #expect(resident.number == "CAN340078051702")
        #expect(resident.nationality == "CAN")
        #expect(resident.validUntil == .until(CalendarDate(yyyymmdd: "20300101")!))
    }

    @Test("a Hong Kong/Macao/Taiwan residence permit ('J') decodes name, number, validity and pass number")
    func permit() throws {
        let text = handTextBlock([
            (0, 30, "陈家豪"), (30, 2, "1"), (36, 16, "19900101"), (52, 70, "安徽省合肥市"), (122, 36, "810000199001010019"),
            (158, 30, "合肥市公安局"), (188, 16, "20220101"), (204, 16, "20270101"), (220, 18, "H12345678"), (238, 4, "01"), (248, 2, "J"),
        ])
        let resident = try GA467CardText.identity(text: text, photo: [])
        #expect(resident.cardType == .hongKongMacaoTaiwanResidence)
        #expect(resident.number == "810000199001010019")
        #expect(resident.passNumber == "H12345678")
        #expect(resident.nation == nil)
    }

    @Test("a damaged text block is refused with a reason, not decoded into nonsense")
    func damaged() {
        let badNation = handTextBlock([(0, 30, "王建国"), (30, 2, "1"), (32, 4, "77"), (36, 16, "19580312"), (122, 36, "340104195803120519"), (188, 16, "20180312"), (204, 16, "长期")])
        #expect(throws: DeviceError.self) { try GA467CardText.identity(text: badNation, photo: []) }
        let badDate = handTextBlock([(0, 30, "王建国"), (30, 2, "1"), (32, 4, "01"), (36, 16, "19581312"), (122, 36, "340104195803120519"), (188, 16, "20180312"), (204, 16, "长期")])
        #expect(throws: DeviceError.self) { try GA467CardText.identity(text: badDate, photo: []) }
        #expect(throws: DeviceError.self) { try GA467CardText.identity(text: [0x20, 0x00], photo: []) }
        #expect(throws: DeviceError.self) { try GA467CardText.decodeRead([0x01, 0x00, 0x04, 0x00], withFingerprint: false) }
    }
}
