import Foundation
import KioskCore
import Testing

@Suite("Phrasebooks: the session's sentences in Chinese and English")
struct PhrasebookTests {
    @Test("Every phrase is in both shipped files, naming the same values; the English has no Chinese in it")
    func shippedBooksAgree() {
        #expect(Shipped.en.missing.isEmpty)
        #expect(Shipped.en.mismatched.isEmpty, "\(Shipped.en.mismatched)")
        for phrase in Phrase.allCases {
            let english = Shipped.en.render(SessionText(phrase))
            #expect(!english.contains { ("\u{4E00}"..."\u{9FFF}").contains($0) }, "say.\(phrase.rawValue): \(english)")
            // Chinese puts nothing between whole sentences (each ends with 。).
            #expect(!Shipped.zh.render(SessionText(phrase)).isEmpty || phrase == .sentenceSeparator)
        }
    }

    @Test("Dates, lists, clauses and sentences inside sentences, each language its own way")
    func rendering() {
        let booked = SessionText(.reserved, [
            "date": .date(CalendarDate(year: 2026, month: 12, day: 8)!), "reference": .verbatim("YY20261127001"),
            "missing": .texts([SessionText(.missingMaterial, ["material": .verbatim("居民户口簿")]), SessionText(.missingPostalAddress)]),
        ])
        #expect(Shipped.zh.render(booked) == "已为您预约2026年12月8日，预约号YY20261127001。请带齐：缺少材料：居民户口簿；选择邮寄时需要填写收件地址。")
        #expect(Shipped.en.render(booked) == "You are booked for 8 December 2026, reference YY20261127001. Please bring: Missing: 居民户口簿; An address is needed to send the result by post.")
        let found = SessionText(.eCertificatesFound, ["materials": .list(["居民户口簿", "结婚证"])])
        #expect(Shipped.zh.render(found) == "已调取电子证照：居民户口簿、结婚证，无需再交纸质材料。")
        #expect(Shipped.en.render(found).hasPrefix("E-certificates found: 居民户口簿, 结婚证."))
        let problem = SessionText(.fieldProblem, ["label": .text(SessionText(.phoneLabel)), "problem": .text(SessionText(.fieldPhone))])
        #expect(Shipped.zh.render(problem) == "联系电话：请输入11位手机号码或带区号的固定电话")
        #expect(Shipped.en.render(problem) == "Phone: enter an 11-digit mobile number, or a landline with its area code")
        // A value the code forgot shows as written rather than vanishing.
        #expect(Shipped.en.render(SessionText(.pinWrong)) == "Wrong PIN: {tries} more tries.")
    }

    static func book(_ json: String, fallback: Phrasebook? = nil) throws(DataFileError) -> Phrasebook {
        try Phrasebook(language: "en", file: "strings/en.json", json: Array(json.utf8), fallback: fallback)
    }

    @Test("A misspelt phrase, a phrase that is not text, a missing one: refused with the file, the line and the key")
    func badFiles() {
        let misspelt = #expect(throws: DataFileError.self) { try Self.book("{\n \"say.greting\": \"Hi {name}\"\n}", fallback: Shipped.zh) }
        #expect(misspelt?.description == "strings/en.json line 2, field say.greting: is not a phrase kioskd says (did you mean \"say.greeting\"?)")
        let number = #expect(throws: DataFileError.self) { try Self.book("{\"back\": \"Back\",\n\"say.saving\": 3}", fallback: Shipped.zh) }
        #expect(number?.description == "strings/en.json line 2, field say.saving: must be a string, not a number")
        let missing = #expect(throws: DataFileError.self) { try Self.book("{\"say.saving\": \"Saving\"}") }
        #expect(missing?.description.contains("field say.date: is missing") == true)
        let broken = #expect(throws: DataFileError.self) { try Self.book("{\"say.saving\": \"Saving\",}", fallback: Shipped.zh) }
        #expect(broken?.file == "strings/en.json" && broken?.line == 1)
    }

    @Test("An English file that lacks phrases says them in Chinese and names them; a misspelt value is named too")
    func fallback() throws {
        let partial = try Self.book("{\"say.saving\": \"Saving, one moment.\", \"say.greeting\": \"Hello, {nmae}.\"}", fallback: Shipped.zh)
        #expect(partial.render(SessionText(.saving)) == "Saving, one moment.")
        #expect(partial.render(SessionText(.ratingThanks)) == "感谢您的评价。")
        #expect(partial.missing.count == Phrase.allCases.count - 2 && !partial.missing.contains(.saving))
        #expect(partial.mismatched == [.greeting])
        #expect(partial.render(SessionText(.greeting, ["name": .verbatim("王*国")])) == "Hello, {nmae}.")
        let months = #expect(throws: DataFileError.self) { try Self.book("{\"say.monthNames\": \"Jan Feb\"}", fallback: Shipped.zh) }
        #expect(months?.field == "say.monthNames")
    }
}
