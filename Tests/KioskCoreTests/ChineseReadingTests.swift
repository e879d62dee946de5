import Foundation
@testable import KioskCore
import Testing

@Suite("Chinese read aloud: words, numbers, letters, 一 and 不")
struct ChineseReadingTests {
    static let reading = try! ChineseReading(json: Shipped.bytes("ui/strings/zh-readings.json"), file: "ui/strings/zh-readings.json")

    func pinyin(_ text: String) -> String { Self.reading.pinyin(text) }

    @Test("Words read as words, where espeak-ng reading one character at a time said them wrong")
    func words() {
        #expect(pinyin("长辈模式") == "zhang3 bei4 mo2 shi4")
        #expect(pinyin("银行") == "yin2 hang2")
        #expect(pinyin("重印") == "chong2 yin4")
        #expect(pinyin("重新") == "chong2 xin1")
        #expect(pinyin("调取") == "diao4 qu3")
        #expect(pinyin("还款") == "huan2 kuan3")
        #expect(pinyin("长期") == "chang2 qi1")
        #expect(pinyin("单元") == "dan1 yuan2")
        // A word is cut from the end of its run: 金|发放, not 金发|放.
        #expect(pinyin("救助金发放") == "jiu4 zhu4 jin1 fa1 fang4")
        // The neutral tone, and ü written v.
        #expect(pinyin("您的绿色") == "nin2 de5 lv4 se4")
    }

    @Test("Numbers as a person reads them: counts in words, years, phones and tracking numbers digit by digit")
    func numbers() {
        #expect(pinyin("年满80周岁") == "nian2 man3 ba1 shi2 zhou1 sui4")
        #expect(pinyin("12个") == "shi2 er4 ge4")
        #expect(pinyin("105元") == "yi1 bai3 ling2 wu3 yuan2")
        #expect(pinyin("2000元") == "er4 qian1 yuan2")
        #expect(pinyin("10500") == "yao1 ling2 wu3 ling2 ling2")  // five digits and more: a code, digit by digit
        #expect(pinyin("1940年") == "yi1 jiu3 si4 ling2 nian2")
        #expect(pinyin("2026-12-08") == "er4 ling2 er4 liu4 nian2 shi2 er4 yue4 ba1 ri4")
        #expect(pinyin("09:30") == "jiu3 dian3 san1 shi2 fen1")
        #expect(pinyin("9:05") == "jiu3 dian3 ling2 wu3 fen1")
        #expect(pinyin("13912345678") == "yao1 san1 jiu3 yao1 er4 san1 si4 wu3 liu4 qi1 ba1")
        #expect(pinyin("0551-65123456") == "ling2 wu3 wu3 yao1 liu4 wu3 yao1 er4 san1 si4 wu3 liu4")
        #expect(pinyin("12.5%") == "bai3 fen1 zhi1 shi2 er4 dian3 wu3")
        #expect(pinyin("KS2026") == "kai4 ai2 si1 er4 ling2 er4 liu4")
        #expect(ChineseReading.cardinal(100_010_000) == ["yi1", "yi4", "ling2", "yi1", "wan4"])
        #expect(ChineseReading.cardinal(20_305) == ["er4", "wan4", "ling2", "san1", "bai3", "ling2", "wu3"])
    }

    @Test("一 and 不 change tone before the next syllable; 一 as a number keeps yi1")
    func toneSandhi() {
        #expect(pinyin("一个") == "yi2 ge4")
        #expect(pinyin("一天") == "yi4 tian1")
        #expect(pinyin("不要") == "bu2 yao4")
        #expect(pinyin("不满意") == "bu4 man3 yi4")
        #expect(pinyin("第一") == "di4 yi1")
        #expect(pinyin("一月") == "yi1 yue4")
        #expect(pinyin("统一") == "tong3 yi1")
    }

    @Test("Punctuation becomes a pause; a masked name's * is read 某; a letter by its name")
    func pausesAndNames() {
        #expect(pinyin("张*兰，您好。") == "zhang1 mou3 lan2, nin2 hao3.")
        // The character before a masked name's * is a surname, read as one.
        for (name, reading) in [("曾*华", "zeng1 mou3 hua2"), ("单*", "shan4 mou3"), ("解*明", "xie4 mou3 ming2"), ("仇*", "qiu2 mou3"), ("区*芳", "ou1 mou3 fang1"),
                                ("朴*", "piao2 mou3"), ("查*", "zha1 mou3"), ("覃*", "qin2 mou3"), ("翟*", "zhai2 mou3")] {
            #expect(pinyin(name) == reading, "\(name)")
        }
        #expect(pinyin("代办员单*，您好。") == "dai4 ban4 yuan2 shan4 mou3, nin2 hao3.", "a surname after other words")
        #expect(pinyin("单位") == "dan1 wei4", "the same character in a word keeps its word's reading")
        #expect(pinyin("没有I、O") == "mei2 you3 ai4, ou1")
        #expect(pinyin("“我的办件”") == "wo3 de5 ban4 jian4")
    }

    @Test("A broken readings file is refused with its line and what to do")
    func brokenFile() {
        let bytes = Array("{\n\"characters\": {\n\"长\": \"chang\"\n},\n\"words\": {}\n}".utf8)
        #expect(throws: DataFileError.self) { try ChineseReading(json: bytes, file: "zh-readings.json") }
        do {
            _ = try ChineseReading(json: bytes, file: "zh-readings.json")
        } catch {
            #expect("\(error)".contains("line 3") && "\(error)".contains("tone-numbered syllable"), "\(error)")
        }
        #expect(throws: DataFileError.self) { try ChineseReading(json: Array("{\"words\": {}}".utf8), file: "zh-readings.json") }
        #expect(throws: DataFileError.self) {
            try ChineseReading(json: Array("{\"characters\": {}, \"words\": {\"银行\": \"yin2\"}}".utf8), file: "zh-readings.json")
        }
    }
}
