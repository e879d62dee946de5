/// How kioskd reads Chinese aloud: text turned into tone-numbered pinyin
/// (`zhang3 bei4 mo2 shi4`, 5 for the neutral tone, ü written v) word by
/// word, for espeak-ng's cmn-latn-pinyin voice. Given characters, espeak-ng
/// picks one reading per character and says 长辈 cháng bèi, 银行 yín xíng.
///
/// Words come from ui/strings/zh-readings.json (`make speech-readings`,
/// docs/speech.md): each character's usual reading and the words read
/// otherwise, matched longest first. Numbers are read as a person reads them:
/// a count in words (80 → ba1 shi2), a year, a phone, tracking or ID number
/// digit by digit (1 as yao1), a date, a time, a percentage, a decimal.
/// A Latin letter is said by its name; punctuation becomes a pause.
public struct ChineseReading: Sendable {
    private let characters: [Character: String]
    private let words: [String: [String]]
    private let longestWord: Int

    /// The pause tokens: a short one inside a sentence, a long one after it.
    public static let shortPause = ",", longPause = "."

    /// Reads a readings file; `file` names it in errors.
    public init(json bytes: [UInt8], file: String) throws(DataFileError) {
        let node: JSONNode
        do { node = try JSONNode.parse(bytes) } catch { throw DataFileError(file: file, line: error.line, item: nil, field: "", message: error.message) }
        guard case .object(let members) = node.value,
              case .object(let characterMembers)? = members.first(where: { $0.key == "characters" })?.value.value,
              case .object(let wordMembers)? = members.first(where: { $0.key == "words" })?.value.value
        else {
            throw DataFileError(file: file, line: node.line, item: nil, field: "", message: "must be an object with \"characters\" and \"words\": regenerate it with make speech-readings")
        }
        var characters: [Character: String] = [:]
        for member in characterMembers {
            guard member.key.count == 1, case .string(let reading) = member.value.value, Self.isSyllable(reading) else {
                throw DataFileError(file: file, line: member.value.line, item: member.key, field: "characters", message: "must map one character to one tone-numbered syllable")
            }
            characters[Character(member.key)] = reading
        }
        var words: [String: [String]] = [:]
        for member in wordMembers {
            guard case .string(let reading) = member.value.value else {
                throw DataFileError(file: file, line: member.value.line, item: member.key, field: "words", message: "must be a string of syllables")
            }
            let syllables = reading.split(separator: " ").map(String.init)
            guard syllables.count == member.key.count, syllables.allSatisfy(Self.isSyllable) else {
                throw DataFileError(file: file, line: member.value.line, item: member.key, field: "words", message: "must have one tone-numbered syllable per character")
            }
            words[member.key] = syllables
        }
        self.characters = characters
        self.words = words
        longestWord = words.keys.map(\.count).max() ?? 1
    }

    private static func isSyllable(_ text: String) -> Bool {
        guard let tone = text.last, ("1"..."5").contains(tone), text.count >= 2 else { return false }
        return text.dropLast().allSatisfy { ("a"..."z").contains($0) }
    }

    /// `text` as tokens: syllables, pauses (``shortPause``, ``longPause``) and,
    /// for a character the table lacks, the character itself.
    public func tokens(_ text: String) -> [String] {
        let text = Array(text)
        var tokens: [String] = []
        var sandhi: [(position: Int, changes: Bool)] = []  // where 一 and 不 are: their tone is chosen last
        var index = 0
        while index < text.count {
            let character = text[index]
            if character.isASCII, character.isNumber {
                index = readNumber(text, from: index, into: &tokens)
            } else if characters[character] != nil {
                // A run of Chinese, cut into words from its end: backward matching
                // errs less than forward (救助金发放: 金|发放, not 金发|放).
                var end = index
                while end < text.count, characters[text[end]] != nil { end += 1 }
                // A masked name (曾*华, 单*): the character before * is a surname, read as one (曾 zeng1, not ceng2).
                var surname: String?
                if end < text.count, text[end] == "*", let reading = Self.surnames[text[end - 1]] {
                    surname = reading
                    end -= 1
                }
                var cuts: [Int] = [end]
                while let last = cuts.last, last > index {
                    cuts.append(last - longestWord(in: text, from: index, endingAt: last))
                }
                for (start, stop) in zip(cuts.reversed(), cuts.reversed().dropFirst()) {
                    let piece = String(text[start..<stop])
                    let readings = words[piece] ?? [characters[text[start]] ?? piece]
                    for (offset, reading) in readings.enumerated() {
                        if let changes = Self.changesTone(text, at: start + offset) { sandhi.append((tokens.count, changes)) }
                        tokens.append(reading)
                    }
                }
                index = end
                if let surname {
                    tokens.append(surname)
                    index += 1
                }
            } else if character == "*", index > 0, characters[text[index - 1]] != nil {
                tokens.append("mou3")  // 张*兰 is read 张某兰, as Chinese anonymises a name
                index += 1
            } else if character.isASCII, character.isLetter, let name = Self.letterNames[character.uppercased().first ?? character] {
                tokens += name
                index += 1
            } else {
                if let pause = Self.pause(after: character) {
                    if let last = tokens.last, last != Self.shortPause, last != Self.longPause {
                        tokens.append(pause)
                    } else if pause == Self.longPause, !tokens.isEmpty {
                        tokens[tokens.count - 1] = pause
                    }
                } else if !character.isWhitespace, !character.isPunctuation, !character.isSymbol {
                    tokens.append(String(character))  // a character the table lacks: espeak-ng reads it its own way
                }
                index += 1
            }
        }
        for (position, changes) in sandhi { Self.applySandhi(&tokens, at: position, changes: changes) }
        return tokens
    }

    /// Characters read otherwise as a surname than in words (百家姓's readings), for the character
    /// before a masked name's *: a resident hears their own name said as they say it.
    static let surnames: [Character: String] = [
        "曾": "zeng1", "单": "shan4", "解": "xie4", "仇": "qiu2", "区": "ou1", "朴": "piao2", "查": "zha1", "覃": "qin2", "翟": "zhai2",
        "盖": "ge3", "乐": "yue4", "缪": "miao4", "尉": "yu4", "华": "hua4", "任": "ren2", "燕": "yan1", "纪": "ji3", "冼": "xian3",
        "折": "she2", "员": "yun4", "秘": "bi4", "过": "guo1", "隗": "wei3", "句": "gou1", "种": "chong2", "召": "shao4", "繁": "po2",
        "宿": "su4", "舍": "she4", "谌": "chen2", "那": "na1",
    ]

    /// 一 and 不 change tone with the syllable after them, as everyone says them:
    /// 不要 bu2 yao4, 一个 yi2 ge4, 一天 yi4 tian1. 一 keeps yi1 as a number
    /// (第一, 十一, 一月, 一一) and at the end of a phrase. Nil for other characters.
    private static func changesTone(_ text: [Character], at index: Int) -> Bool? {
        switch text[index] {
        case "不": return true
        case "一":
            let numerals: Set<Character> = ["第", "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "百", "千", "万", "亿", "周", "星"]
            if index > 0, numerals.contains(text[index - 1]) { return false }
            if index + 1 < text.count, ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "月", "号", "日", "楼", "层", "级"].contains(text[index + 1]) { return false }
            return true
        default: return nil
        }
    }

    /// Sets the tone of the 一 or 不 at `position` (the table's words carry it either way).
    private static func applySandhi(_ tokens: inout [String], at position: Int, changes: Bool) {
        guard let base = ["yi", "bu"].first(where: { tokens[position].hasPrefix($0) && tokens[position].count == 3 }) else { return }
        tokens[position] = base == "yi" ? "yi1" : "bu4"
        guard changes, position + 1 < tokens.count, let next = tokens[position + 1].last, ("1"..."5").contains(next) else { return }
        switch (base, next) {
        case (_, "4"): tokens[position] = base + "2"
        case ("yi", "5"): break
        case ("yi", _): tokens[position] = "yi4"
        default: tokens[position] = "bu4"
        }
    }

    /// The tokens as one line for espeak-ng and `kioskctl speech pinyin`:
    /// syllables separated by spaces, a pause written after its syllable.
    public func pinyin(_ text: String) -> String {
        var line = ""
        for token in tokens(text) {
            if token == Self.shortPause || token == Self.longPause {
                line += token
            } else {
                line += (line.isEmpty ? "" : " ") + token
            }
        }
        return line
    }

    /// The length of the longest word of the table that ends at `end` and starts at or after `start` (1 when none does).
    private func longestWord(in text: [Character], from start: Int, endingAt end: Int) -> Int {
        var length = min(longestWord, end - start)
        while length > 1 {
            if words[String(text[(end - length)..<end])] != nil { return length }
            length -= 1
        }
        return 1
    }

    private static func pause(after character: Character) -> String? {
        switch character {
        case "。", "！", "？", "!", "?", "…": longPause
        case "，", "、", "；", "：", ",", ";", ":", "（", "）", "(", ")", "—", "\n": shortPause
        default: nil
        }
    }

    // MARK: Numbers

    private static let digitNames = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]

    /// Reads the number starting at `start`; returns the index after it.
    private func readNumber(_ text: [Character], from start: Int, into tokens: inout [String]) -> Int {
        func digits(from index: Int) -> [Int] {
            var found: [Int] = []
            var at = index
            while at < text.count, text[at].isASCII, let digit = text[at].wholeNumberValue {
                found.append(digit)
                at += 1
            }
            return found
        }
        func at(_ index: Int) -> Character? { index < text.count ? text[index] : nil }
        let whole = digits(from: start)
        var end = start + whole.count

        // 2026-12-08, 2026年12月8日: a year is said digit by digit.
        if whole.count == 4, at(end) == "-", case let month = digits(from: end + 1), (1...2).contains(month.count),
           at(end + 1 + month.count) == "-", case let day = digits(from: end + 2 + month.count), (1...2).contains(day.count) {
            tokens += Self.digitByDigit(whole, one: "yi1") + ["nian2"] + Self.cardinal(Self.value(month)) + ["yue4"] + Self.cardinal(Self.value(day)) + ["ri4"]
            return end + 2 + month.count + day.count
        }
        if at(end) == "年", whole.count == 4 || whole.count == 2 {
            tokens += Self.digitByDigit(whole, one: "yi1")
            return end
        }
        // 09:30
        if whole.count <= 2, at(end) == ":", case let minutes = digits(from: end + 1), minutes.count == 2 {
            tokens += Self.cardinal(Self.value(whole)) + ["dian3"]
            tokens += Self.value(minutes) == 0 ? ["zheng3"] : (minutes[0] == 0 ? ["ling2"] : []) + Self.cardinal(Self.value(minutes)) + ["fen1"]
            return end + 1 + minutes.count
        }
        // A phone, tracking, ID or account number, a code with a leading 0 or letters: digit by digit.
        let inCode = (start > 0 && text[start - 1].isASCII && text[start - 1].isLetter) || (at(end)?.isASCII == true && at(end)?.isLetter == true)
        if whole.count >= 5 || (whole.count > 1 && (whole[0] == 0 || inCode)) {
            tokens += Self.digitByDigit(whole, one: "yao1")
            while at(end) == "-", case let more = digits(from: end + 1), !more.isEmpty {  // 0551-65123456
                tokens += Self.digitByDigit(more, one: "yao1")
                end += 1 + more.count
            }
            return end
        }
        var spoken = Self.cardinal(Self.value(whole))
        if at(end) == ".", case let fraction = digits(from: end + 1), !fraction.isEmpty {
            spoken += ["dian3"] + Self.digitByDigit(fraction, one: "yi1")
            end += 1 + fraction.count
        }
        if at(end) == "%" || at(end) == "％" {
            tokens += ["bai3", "fen1", "zhi1"] + spoken
            return end + 1
        }
        tokens += spoken
        return end
    }

    private static func value(_ digits: [Int]) -> Int { digits.reduce(0) { $0 &* 10 &+ $1 } }

    private static func digitByDigit(_ digits: [Int], one: String) -> [String] {
        digits.map { $0 == 1 ? one : digitNames[$0] }
    }

    /// A count in words, below 10^12: 80 ba1 shi2, 105 yi1 bai3 ling2 wu3, 12 shi2 er4.
    static func cardinal(_ number: Int) -> [String] {
        guard number > 0 else { return ["ling2"] }
        func belowTenThousand(_ value: Int) -> [String] {
            var spoken: [String] = []
            var zero = false
            for (unit, name) in [(1000, "qian1"), (100, "bai3"), (10, "shi2"), (1, "")] {
                let digit = value / unit % 10
                if digit == 0 {
                    zero = !spoken.isEmpty
                    continue
                }
                if zero { spoken.append("ling2") }
                zero = false
                spoken.append(digitNames[digit])
                if !name.isEmpty { spoken.append(name) }
            }
            return spoken
        }
        var spoken: [String] = []
        var gap = false
        for (unit, name) in [(100_000_000, "yi4"), (10_000, "wan4"), (1, "")] {
            let group = number / unit % 10_000
            guard group > 0 else {
                gap = !spoken.isEmpty
                continue
            }
            if !spoken.isEmpty, gap || group < 1000 { spoken.append("ling2") }
            gap = false
            spoken += belowTenThousand(group)
            if !name.isEmpty { spoken.append(name) }
        }
        if spoken.count >= 2, spoken[0] == "yi1", spoken[1] == "shi2" { spoken.removeFirst() }  // 12: shi2 er4
        return spoken
    }

    // MARK: Letters

    /// Latin letters as a Chinese speaker says their names (the credit code's I, O, Z, S, V; a QR code).
    private static let letterNames: [Character: [String]] = [
        "A": ["ei1"], "B": ["bi4"], "C": ["xi1"], "D": ["di4"], "E": ["yi4"], "F": ["ai2", "fu1"], "G": ["ji4"],
        "H": ["ai2", "qi1"], "I": ["ai4"], "J": ["jie4"], "K": ["kai4"], "L": ["ai2", "lou5"], "M": ["ai2", "mu5"],
        "N": ["en1"], "O": ["ou1"], "P": ["pi4"], "Q": ["qiu1"], "R": ["a4"], "S": ["ai2", "si1"], "T": ["ti4"],
        "U": ["you1"], "V": ["wei1"], "W": ["da2", "bu5", "liu5"], "X": ["ai2", "ke4", "si1"], "Y": ["wai4"], "Z": ["zei4"],
    ]
}
