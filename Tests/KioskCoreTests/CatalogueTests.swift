import Foundation
import KioskCore
import Testing

@Suite("Service catalogue")
struct CatalogueTests {
    @Test("The shipped catalogue loads: 20+ village items, 3 bundles, marked as sample data")
    func shipped() throws {
        let catalogue = Shipped.catalogue
        #expect(catalogue.isSampleData)
        #expect(catalogue.items.count >= 20)
        #expect(catalogue.bundles.count >= 3)
        for name in ["城乡居民基本养老保险参保登记", "城乡居民基本养老保险待遇领取", "城乡居民基本医疗保险参保登记", "最低生活保障申请", "临时救助申请",
                     "困难残疾人生活补贴申请", "重度残疾人护理补贴申请", "高龄津贴申领", "生育登记", "社会保障卡补换", "居住证明开具"] {
            #expect(catalogue.items.contains { $0.name == name }, "\(name) is missing")
        }
        for item in catalogue.items {
            #expect(item.promisedLimit.workingDays <= item.statutoryLimit.workingDays)
            #expect(catalogue.department(item.department) != nil)
            #expect(!item.legalBasis.isEmpty && !item.delivery.isEmpty)
        }
    }

    @Test("A bundle asks a shared material and a shared field once")
    func bundleSharing() throws {
        let catalogue = Shipped.catalogue
        guard case .bundle(let bundle, let items)? = catalogue.choice("YJS-BIRTH-01") else { Issue.record("no birth bundle"); return }
        #expect(bundle.name == "出生一件事" && items.count == 3)
        let asked = items.flatMap(\.materials).filter { $0.id == "marriage_certificate" }.count
        #expect(asked == 2, "two items of the bundle need the marriage certificate")
        let choice = ServiceChoice.bundle(bundle, items)
        #expect(choice.materials.filter { $0.id == "marriage_certificate" }.count == 1)
        #expect(choice.formFields.filter { $0.id == "child_name" }.count == 1)
        #expect(Set(choice.materials.map(\.id)).count == choice.materials.count)
    }

    @Test("Search by keyword and by pinyin initials; 常用 first")
    func search() {
        let catalogue = Shipped.catalogue
        #expect(catalogue.search("低保").first?.name == "最低生活保障申请")
        #expect(catalogue.search("yl").map(\.name).contains("城乡居民基本养老保险参保登记"))
        #expect(catalogue.search("SHBZK").map(\.name) == ["社会保障卡补换"])
        #expect(catalogue.search("上户口").first?.name == "出生一件事", "a bundle comes before its items")
        #expect(catalogue.search("QQQQ").isEmpty)
        let popular = catalogue.popular
        #expect(popular.first?.isBundle == true)
        #expect(popular.first(where: { !$0.isBundle })?.name == "城乡居民基本养老保险参保登记")
        #expect(catalogue.entries(lifeEvent: "birth").first?.name == "出生一件事")
    }

    @Test("Every pictogram a catalogue may name is drawn in ui/pictograms.svg with a text alternative, and each menu's pictures differ")
    func pictograms() throws {
        let sprite = String(decoding: Shipped.bytes("ui/pictograms.svg"), as: UTF8.self)
        let symbols = sprite.split(separator: "<symbol ").dropFirst()
        var drawn: [String: String] = [:]
        for symbol in symbols {
            // Prefixed, so no element of the page shares a pictogram's id (the header's #station, the footer's #stop).
            let symbolID = symbol.split(separator: "\"")[1]
            #expect(symbolID.hasPrefix("pictogram-"), "\(symbolID)")
            let id = symbolID.dropFirst("pictogram-".count)
            let title = symbol.split(separator: "<title>").dropFirst().first?.split(separator: "</title>").first ?? ""
            #expect(!title.trimmingCharacters(in: .whitespaces).isEmpty, "\(id) has no <title>")
            #expect(drawn.updateValue(String(title), forKey: String(id)) == nil, "\(id) is drawn twice")
        }
        #expect(Set(drawn.keys) == Pictogram.names, "ui/pictograms.svg and Pictogram.names differ")
        #expect(Pictogram.catalogue.count + Pictogram.screen.count == Pictogram.names.count)

        // A resident choosing by picture needs a different picture for each tile on a screen.
        let catalogue = Shipped.catalogue
        var menus: [(String, [String])] = [("life events", catalogue.lifeEventsInUse.map(\.pictogram)),
                                           ("departments", catalogue.departmentsInUse.map(\.pictogram)),
                                           ("常用", catalogue.popular.map(\.pictogram))]
        menus += catalogue.lifeEvents.map { ($0.name, catalogue.entries(lifeEvent: $0.id).map(\.pictogram)) }
        menus += catalogue.departments.map { ($0.name, catalogue.entries(department: $0.id).map(\.pictogram)) }
        for (menu, pictures) in menus {
            #expect(Set(pictures).count == pictures.count, "\(menu) shows one picture twice: \(pictures)")
        }
    }

    /// The shipped file with one edit, and the line the edit is on.
    func edited(_ anchor: String, _ find: String, _ replacement: String) -> (bytes: [UInt8], line: Int) {
        let text = String(decoding: Shipped.bytes("data/catalogue.json"), as: UTF8.self)
        let start = text.range(of: anchor)!.upperBound
        let range = text.range(of: find, range: start..<text.endIndex)!
        let changed = text.replacingCharacters(in: range, with: replacement)
        let line = text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
        return (Array(changed.utf8), line)
    }

    @Test("Each kind of bad file is refused with the item, the field and the line", arguments: [
        // (anchor, find, replace, expected item, expected field, words in the message)
        ("最低生活保障申请", "\"copies\": 1", "\"copies\": 0", "0500007000 最低生活保障申请", "materials[0].copies", "from 1 to 20"),
        ("最低生活保障申请", "\"required\": true", "\"requried\": true", "0500007000 最低生活保障申请", "materials[0].requried", "did you mean \"required\""),
        ("临时救助申请", "\"working_days\": 10", "\"working_days\": 30", "0500008000 临时救助申请", "promised_limit.working_days", "承诺时限"),
        ("高龄津贴申领", "\"type\": \"05\"", "\"type\": \"5\"", "0500012000 高龄津贴申领", "type", "must be one of"),
        ("高龄津贴申领", "\"kind\": \"phone\"", "\"kind\": \"mobile\"", "0500012000 高龄津贴申领", "form[2].kind", "\"phone\""),
        ("社会保障卡补换", "\"pinyin_initials\": \"SHBZKBH\"", "\"pinyin_initials\": \"shbzkbh\"", "2000017000 社会保障卡补换", "pinyin_initials", "capitals"),
        ("生育登记", "\"kind\": \"choice\"", "\"kind\": \"text\"", "2000013000 生育登记", "form[5].options", "only a choice field"),
        ("居住证明开具", "\"department\": \"jd\"", "\"department\": \"street\"", "2000018000 居住证明开具", "department", "not in the catalogue's departments"),
        ("出生一件事", "\"0700015000\"", "\"0700099000\"", "YJS-BIRTH-01 出生一件事", "items[1]", "not an item"),
        ("\"departments\"", "\"credit_code\": \"", "\"credit_code\": \"X", nil, "departments[0].credit_code", "统一社会信用代码"),
        ("失业登记", "\"consultation_phone\": \"", "\"consultation_phone\": \"call ", "2000019000 失业登记", "consultation_phone", "telephone"),
        ("高龄津贴申领", "\"visits\": 1", "\"visits\": 2", "0500012000 高龄津贴申领", "visits", "from 0 to 1"),
        ("高龄津贴申领", "\"station_pickup\"\n", "\"electronic\"\n", "0500012000 高龄津贴申领", "delivery[1]", "\"station_pickup\", \"post\" or \"electronic\", each once"),
        ("高龄津贴申领", "\"applicants\": [\n        \"person\"", "\"applicants\": [\n        \"people\"", "0500012000 高龄津贴申领", "applicants[0]", "\"people\" is not"),
        ("最低生活保障申请", "\"pictogram\": \"rice_bowl\"", "\"pictogram\": \"rice-bowl\"", "0500007000 最低生活保障申请", "pictogram", "near it: rice_bowl"),
        ("\"life_events\"", "\"pictogram\": \"baby\"", "\"pictogram\": \"infant\"", nil, "life_events[0].pictogram", "not one of kioskd's pictograms"),
        ("\"departments\"", "\"pictogram\": \"briefcase\",\n", "", nil, "departments[0].pictogram", "missing"),
    ] as [(String, String, String, String?, String, String)])
    func badFile(_ anchor: String, _ find: String, _ replacement: String, _ item: String?, _ field: String, _ words: String) throws {
        let (bytes, line) = edited(anchor, find, replacement)
        let error = #expect(throws: DataFileError.self) { try Catalogue.load(json: bytes) }
        #expect(error?.item == item)
        #expect(error?.field == field)
        #expect(error?.description.contains(words) == true, "\(String(describing: error))")
        // The line points at the edit (or, for a missing or misplaced value, at its object).
        #expect(error.map { abs($0.line - line) <= 12 } == true, "line \(error?.line ?? 0), edit on \(line)")
    }

    @Test("Broken JSON, a duplicate code and a bundle whose shared material means two papers")
    func structuralErrors() throws {
        let truncated = Array(Shipped.bytes("data/catalogue.json").prefix(5000))
        let syntax = #expect(throws: DataFileError.self) { try Catalogue.load(json: truncated) }
        #expect(syntax?.description.contains("not valid JSON") == true)
        #expect((syntax?.line ?? 0) > 100)

        let duplicate = edited("最低生活保障申请", "\"code\": \"0500008000\"", "\"code\": \"0500007000\"").bytes
        let dup = #expect(throws: DataFileError.self) { try Catalogue.load(json: duplicate) }
        #expect(dup?.description.contains("used by an earlier item") == true)

        let clash = edited("出生登记（户口）", "\"name\": \"结婚证\"", "\"name\": \"离婚证\"").bytes
        let shared = #expect(throws: DataFileError.self) { try Catalogue.load(json: clash) }
        #expect(shared?.item == "YJS-BIRTH-01 出生一件事")
        #expect(shared?.description.contains("marriage_certificate") == true)
    }

    @Test("A bad catalogue offered later is refused and the last good one stays")
    func keepsLastGood() throws {
        var store = CatalogueStore(Shipped.catalogue)
        let bad = edited("最低生活保障申请", "\"copies\": 1", "\"copies\": 0").bytes
        guard case .refused(let error) = store.offer(json: bad, today: Self.today) else { Issue.record("a bad catalogue was taken"); return }
        #expect(error.field == "materials[0].copies")
        #expect(store.current == Shipped.catalogue)
        #expect(store.lastRefusal == error)

        #expect(store.offer(json: Shipped.bytes("data/catalogue.json"), today: Self.today) == .notNewer("2026.11.1"))
        let newer = edited("\"version\"", "\"2026.11.1\"", "\"2026.11.10\"").bytes
        #expect(store.offer(json: newer, today: Self.today) == .replaced(old: "2026.11.1", new: "2026.11.10"))
        #expect(store.current.version == "2026.11.10")
        #expect(store.lastRefusal == nil)
        #expect(CatalogueStore.isNewer("2026.11.10", than: "2026.11.9"))
    }

    static let today = CalendarDate(year: 2026, month: 12, day: 7)!

    @Test("A catalogue whose version claims too much pins nothing: the next day's publication replaces it; one dated in the future is refused")
    func versionThatClaimsTooMuch() throws {
        var store = CatalogueStore(Shipped.catalogue)
        let inflated = edited("\"version\"", "\"2026.11.1\"", "\"999999\"").bytes
        #expect(store.offer(json: inflated, today: Self.today) == .replaced(old: "2026.11.1", new: "999999"), "published the same day, a higher version")
        var honest = String(decoding: edited("\"version\"", "\"2026.11.1\"", "\"2026.12.1\"").bytes, as: UTF8.self)
        honest = honest.replacingOccurrences(of: "\"published\": \"2026-11-20\"", with: "\"published\": \"2026-12-01\"")
        #expect(store.offer(json: Array(honest.utf8), today: Self.today) == .replaced(old: "999999", new: "2026.12.1"), "a later publication wins whatever the version")
        let future = honest.replacingOccurrences(of: "\"published\": \"2026-12-01\"", with: "\"published\": \"2099-01-01\"")
            .replacingOccurrences(of: "\"2026.12.1\"", with: "\"2026.12.2\"")
        guard case .refused(let error) = store.offer(json: Array(future.utf8), today: Self.today) else { Issue.record("a catalogue from 2099 was taken"); return }
        #expect(error.field == "published" && error.description.contains("after today"), "\(error)")
        #expect(store.current.version == "2026.12.1")
    }

    @Test("Form fields validate what residents type")
    func formValidation() {
        let phone = FormField(id: "p", label: "电话", kind: .phone, required: true)
        #expect(phone.problem(with: "13800000000") == nil)
        #expect(phone.problem(with: "0551-65150125") == nil)
        #expect(phone.problem(with: "1380000") != nil)
        #expect(phone.problem(with: " ") == SessionText(.fieldRequired))
        let id = FormField(id: "i", label: "身份号码", kind: .idNumber, required: true)
        #expect(id.problem(with: idNumber(birth: "19850505", sequence: "123")) == nil)
        #expect(id.problem(with: "340104198505051230") == SessionText(.fieldIDCheck) || id.problem(with: "340104198505051231") == SessionText(.fieldIDCheck))
        let bank = FormField(id: "b", label: "账号", kind: .bankAccount, required: true)
        #expect(bank.problem(with: "6222020200112233446") == nil)
        #expect(bank.problem(with: "6222020200112233445") == SessionText(.fieldBankCheck))
        let count = FormField(id: "n", label: "人数", kind: .number, required: true, minimum: 1, maximum: 20)
        #expect(count.problem(with: "0") == SessionText(.fieldAtLeast, ["min": .number(1)]))
        #expect(FormField(id: "d", label: "日期", kind: .date, required: false).problem(with: "2026-02-30") != nil)
    }

    @Test("A field without max_length still takes at most 2,000 characters: what is typed goes sealed to a platform that takes a bounded envelope")
    func unboundedFieldsBounded() {
        let address = FormField(id: "a", label: "地址", kind: .address, required: true)
        #expect(address.problem(with: String(repeating: "合肥市蜀山区", count: 333)) == nil)
        #expect(address.problem(with: String(repeating: "合肥市蜀山区", count: 2_500)) == SessionText(.fieldTooLong, ["max": .number(FormField.longestValue)]))
    }
}

@Suite("JSON reader")
struct JSONReaderTests {
    @Test("Values, escapes and lines")
    func parses() throws {
        let text = "{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\": \"\\u4e2d\\ud83d\\ude00\\n\"\n}"
        let node = try JSONNode.parse(Array(text.utf8))
        #expect(node["a"]?.line == 2)
        #expect(node["b"]?.value == .string("中😀\n"))
        #expect(node["a"]?.value == .array([JSONNode(value: .number("1"), line: 2), JSONNode(value: .number("-2.5e3"), line: 2),
                                            JSONNode(value: .bool(true), line: 2), JSONNode(value: .null, line: 2)]))
    }

    @Test("Not JSON, with where", arguments: [
        ("{\"a\": 1,}", 1, "member name"), ("{\n\"a\": 'x'}", 2, "cannot start"), ("[1 2]", 1, "','"), ("{\"a\": \"x\n\"}", 1, "closing"),
        ("{\"a\": 1, \"a\": 2}", 1, "twice"), ("[01]", 1, "start with 0"), ("{\"a\": tru}", 1, "expected true"), ("[1] x", 1, "after the end"),
    ])
    func refuses(_ text: String, _ line: Int, _ words: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONNode.parse(Array(text.utf8)) }
        #expect(error?.line == line)
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
    }

    @Test("Deep nesting is refused, not a stack overflow")
    func deep() {
        let text = String(repeating: "[", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { try JSONNode.parse(Array(text.utf8)) }
    }
}
