extension Catalogue {
    /// Reads a catalogue file, refusing it with the line, item and field at
    /// fault. Nothing half-read is returned: a caller keeps its last good
    /// catalogue when this throws (see ``CatalogueStore``).
    ///
    ///     let catalogue = try Catalogue.load(json: bytes)
    public static func load(json bytes: [UInt8]) throws(DataFileError) -> Catalogue {
        let root: JSONNode
        do { root = try JSONNode.parse(bytes) } catch {
            throw DataFileError(file: "catalogue", line: error.line, item: nil, field: "", message: "not valid JSON at column \(error.column): \(error.message)")
        }
        let top = try FieldReader(file: "catalogue", node: root)
        try top.onlyKeys(["$schema", "version", "published", "sample_data", "life_events", "departments", "items", "bundles"])
        let version = try top.string("version")
        guard version.count <= 32, version.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter || $0 == "." || $0 == "-") }) else {
            throw top.fail("must be up to 32 letters, digits, dots and hyphens, like 2026.11.3", key: "version", at: top.node["version"])
        }
        let lifeEvents = try top.objects("life_events", allowEmpty: false).map { (reader) throws(DataFileError) -> Category in
            try reader.onlyKeys(["id", "name", "pictogram"])
            return Category(id: try reader.identifier("id"), name: try reader.string("name"), pictogram: try reader.pictogram("pictogram"))
        }
        let departments = try top.objects("departments", allowEmpty: false).map { (reader) throws(DataFileError) -> Department in
            try reader.onlyKeys(["id", "name", "credit_code", "pictogram"])
            let code = try reader.string("credit_code")
            guard (try? UnifiedSocialCreditCode(code)) != nil else {
                throw reader.fail("must be a valid 18-character 统一社会信用代码 (its check character included), not \"\(code)\"", key: "credit_code", at: reader.node["credit_code"])
            }
            return Department(id: try reader.identifier("id"), name: try reader.string("name"), creditCode: code, pictogram: try reader.pictogram("pictogram"))
        }
        try unique(lifeEvents.map(\.id), in: top, list: "life_events")
        try unique(departments.map(\.id), in: top, list: "departments")

        var items: [ServiceItem] = []
        for reader in try top.objects("items", allowEmpty: false) {
            let item = try readItem(reader, lifeEvents: Set(lifeEvents.map(\.id)), departments: Set(departments.map(\.id)))
            if items.contains(where: { $0.code == item.code }) {
                throw reader.fail("the code \(item.code) is used by an earlier item", key: "code", at: reader.node["code"])
            }
            items.append(item)
        }
        // An item offered instead of another must be one a resident can choose here.
        for (reader, item) in zip(try top.objects("items", allowEmpty: false), items) {
            for (index, condition) in item.conditions.enumerated() {
                if let instead = condition.instead, !items.contains(where: { $0.code == instead && $0.code != item.code }) {
                    throw reader.fail("\"\(instead)\" is not another item of this catalogue", key: "conditions[\(index)].instead", at: reader.node["conditions"])
                }
            }
        }
        var bundles: [ServiceBundle] = []
        for reader in try top.objects("bundles") {
            let bundle = try readBundle(reader, items: items, lifeEvents: Set(lifeEvents.map(\.id)))
            if bundles.contains(where: { $0.code == bundle.code }) || items.contains(where: { $0.code == bundle.code }) {
                throw reader.fail("the code \(bundle.code) is already used by an item or an earlier bundle", key: "code", at: reader.node["code"])
            }
            bundles.append(bundle)
        }
        return Catalogue(version: version, published: try top.date("published"), isSampleData: try top.bool("sample_data", default: false),
                         lifeEvents: lifeEvents, departments: departments, items: items, bundles: bundles)
    }

    private static func unique(_ ids: [String], in reader: FieldReader, list: String) throws(DataFileError) {
        var seen: Set<String> = []
        for (index, id) in ids.enumerated() where !seen.insert(id).inserted {
            throw DataFileError(file: reader.file, line: reader.node[list].map { node in
                if case .array(let elements) = node.value { elements[index].line } else { node.line }
            } ?? reader.node.line, item: reader.item, field: "\(reader.fieldPath(list))[\(index)].id", message: "\"\(id)\" is used twice")
        }
    }

    private static func readItem(_ base: FieldReader, lifeEvents: Set<String>, departments: Set<String>) throws(DataFileError) -> ServiceItem {
        var reader = base
        let code = try reader.string("code")
        // From here on errors name the entry, and paths start inside it.
        reader.item = code + ((try? reader.string("name")).map { " \($0)" } ?? "")
        reader.path = ""
        try reader.onlyKeys([
            "code", "implementation_code", "name", "type", "level", "department", "applicants", "conditions", "materials", "form",
            "statutory_limit", "promised_limit", "fee", "delivery", "proxy_allowed", "visits", "legal_basis", "consultation_phone",
            "complaint_phone", "life_events", "keywords", "pinyin_initials", "popularity", "result", "pictogram",
        ])
        let type: ItemType = try reader.choice("type")
        guard code.count == 10, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }) else {
            throw reader.fail("must be a 10-character 基本编码 (2 type digits, 5 main, 3 sub), not \"\(code)\"", key: "code", at: reader.node["code"])
        }
        guard code.hasPrefix(type.rawValue) else {
            throw reader.fail("starts with \(code.prefix(2)) but the item's type is \(type.rawValue) (\(type.chinese)): the first two characters are the type", key: "code", at: reader.node["code"])
        }
        let implementationCode = try reader.string("implementation_code")
        // GB/T 39046 says an..24, exchange tables allow 36, and real codes with
        // their 业务办理项 suffix run to 55 (see docs/catalogue.md): allow 64.
        guard implementationCode.count <= 64, implementationCode.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase || $0 == "-") }) else {
            throw reader.fail("must be up to 64 upper-case letters, digits and hyphens (实施编码)", key: "implementation_code", at: reader.node["implementation_code"])
        }
        let department = try reader.string("department")
        guard departments.contains(department) else {
            throw reader.fail("\"\(department)\" is not in the catalogue's departments", key: "department", at: reader.node["department"])
        }
        let kinds: [ApplicantKind] = try reader.choices("applicants", unique: true)

        var materials: [Material] = []
        for material in try reader.objects("materials") {
            try material.onlyKeys(["id", "name", "forms", "copies", "required", "notes", "e_certificate", "platform_may_obtain", "expected_pages", "obtain_from"])
            let id = try material.identifier("id")
            guard !materials.contains(where: { $0.id == id }) else { throw material.fail("\"\(id)\" is used by an earlier material of this item", key: "id", at: material.node["id"]) }
            let forms: [MaterialForm] = try material.choices("forms", unique: false)
            materials.append(Material(
                id: id, name: try material.string("name"), forms: forms, copies: try material.int("copies", in: 1...20),
                required: try material.bool("required"), notes: try material.optionalString("notes"),
                eCertificate: try material.optionalString("e_certificate"), platformMayObtain: try material.bool("platform_may_obtain", default: false),
                expectedPages: try material.optionalInt("expected_pages", in: 1...50) ?? 1, obtainFrom: try material.optionalString("obtain_from")))
        }

        var form: [FormField] = []
        for field in try reader.objects("form") {
            try field.onlyKeys(["id", "label", "kind", "required", "options", "max_length", "minimum", "maximum", "from_identity", "hint"])
            let id = try field.identifier("id")
            guard !form.contains(where: { $0.id == id }) else { throw field.fail("\"\(id)\" is used by an earlier field of this form", key: "id", at: field.node["id"]) }
            let kind: FormField.Kind = try field.choice("kind")
            let options = try field.strings("options")
            if kind == .choice, options.count < 2 { throw field.fail("a choice field needs at least two options", key: "options", at: field.node["options"]) }
            if kind != .choice, !options.isEmpty { throw field.fail("only a choice field has options", key: "options", at: field.node["options"]) }
            let source: FormField.IdentitySource? = field.node["from_identity"] == nil ? nil : try field.choice("from_identity")
            if source != nil, !kinds.contains(.person) {
                throw field.fail("an item only legal entities apply for has no resident card to fill from", key: "from_identity", at: field.node["from_identity"])
            }
            let minimum = try field.optionalInt("minimum", in: -1_000_000_000...1_000_000_000)
            let maximum = try field.optionalInt("maximum", in: -1_000_000_000...1_000_000_000)
            if let minimum, let maximum, minimum > maximum { throw field.fail("is below minimum (\(minimum))", key: "maximum", at: field.node["maximum"]) }
            form.append(FormField(
                id: id, label: try field.string("label"), kind: kind, required: try field.bool("required"), options: options,
                maxLength: try field.optionalInt("max_length", in: 1...2000), minimum: minimum, maximum: maximum, fromIdentity: source,
                hint: try field.optionalString("hint")))
        }

        let statutory = try reader.timeLimit("statutory_limit")
        let promised = try reader.timeLimit("promised_limit")
        guard promised.workingDays <= statutory.workingDays else {
            throw reader.fail("promises \(promised.workingDays) working days, longer than the statutory \(statutory.workingDays): 承诺时限 may not exceed 法定时限",
                              key: "promised_limit.working_days", at: reader.node["promised_limit"])
        }
        let fee = try reader.object("fee")
        try fee.onlyKeys(["amount_fen", "note"])

        let delivery: [DeliveryMethod] = try reader.choices("delivery", unique: true)
        let itemLifeEvents = try reader.strings("life_events")
        for (index, event) in itemLifeEvents.enumerated() where !lifeEvents.contains(event) {
            throw reader.fail("\"\(event)\" is not in the catalogue's life_events", key: "life_events[\(index)]", at: reader.node["life_events"])
        }
        return ServiceItem(
            code: code, implementationCode: implementationCode, name: try reader.string("name"), type: type,
            level: try reader.int("level", in: 1...7), department: department, applicants: kinds, conditions: try reader.conditions("conditions"),
            materials: materials, form: form, statutoryLimit: statutory, promisedLimit: promised,
            fee: Fee(amountFen: try fee.int("amount_fen", in: 0...10_000_000), note: try fee.optionalString("note")),
            delivery: delivery, proxyAllowed: try reader.bool("proxy_allowed"), visits: try reader.int("visits", in: 0...1),
            legalBasis: try reader.strings("legal_basis", allowEmpty: false), consultationPhone: try reader.phone("consultation_phone"),
            complaintPhone: try reader.phone("complaint_phone"), lifeEvents: itemLifeEvents, keywords: try reader.strings("keywords"),
            pinyinInitials: try reader.initials("pinyin_initials"), popularity: try reader.optionalInt("popularity", in: 1...999),
            result: try reader.string("result"), pictogram: try reader.pictogram("pictogram"))
    }

    private static func readBundle(_ base: FieldReader, items: [ServiceItem], lifeEvents: Set<String>) throws(DataFileError) -> ServiceBundle {
        var reader = base
        let code = try reader.string("code")
        // From here on errors name the entry, and paths start inside it.
        reader.item = code + ((try? reader.string("name")).map { " \($0)" } ?? "")
        reader.path = ""
        try reader.onlyKeys(["code", "name", "summary", "items", "life_events", "keywords", "pinyin_initials", "popularity", "pictogram"])
        guard code.count <= 24, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase || $0 == "-") }) else {
            throw reader.fail("must be up to 24 upper-case letters, digits and hyphens", key: "code", at: reader.node["code"])
        }
        let codes = try reader.strings("items", allowEmpty: false)
        guard codes.count >= 2 else { throw reader.fail("a bundle handles at least two items", key: "items", at: reader.node["items"]) }
        var members: [ServiceItem] = []
        for (index, itemCode) in codes.enumerated() {
            guard let item = items.first(where: { $0.code == itemCode }), !members.contains(item) else {
                throw reader.fail("\"\(itemCode)\" is not an item of this catalogue, or is listed twice", key: "items[\(index)]", at: reader.node["items"])
            }
            // A shared material is one paper: the same id must name the same thing in every item.
            for material in item.materials {
                if let earlier = members.lazy.flatMap(\.materials).first(where: { $0.id == material.id }), earlier.name != material.name {
                    throw reader.fail("items share the material id \"\(material.id)\" but call it \"\(earlier.name)\" and \"\(material.name)\": give different papers different ids",
                                      key: "items[\(index)]", at: reader.node["items"])
                }
            }
            members.append(item)
        }
        let bundleLifeEvents = try reader.strings("life_events")
        for (index, event) in bundleLifeEvents.enumerated() where !lifeEvents.contains(event) {
            throw reader.fail("\"\(event)\" is not in the catalogue's life_events", key: "life_events[\(index)]", at: reader.node["life_events"])
        }
        return ServiceBundle(
            code: code, name: try reader.string("name"), summary: try reader.string("summary"), items: codes, lifeEvents: bundleLifeEvents,
            keywords: try reader.strings("keywords"), pinyinInitials: try reader.initials("pinyin_initials"),
            popularity: try reader.optionalInt("popularity", in: 1...999), pictogram: try reader.pictogram("pictogram"))
    }
}

extension FieldReader {
    /// Lower-case letters, digits and underscores: ids that appear in URLs and other files.
    func identifier(_ key: String) throws(DataFileError) -> String {
        let text = try string(key)
        guard text.count <= 40, text.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw fail("must be up to 40 lower-case letters, digits and underscores, not \"\(text)\"", key: key, at: node[key])
        }
        return text
    }

    /// A name from the pictogram set (``Pictogram/names``), so every menu entry has a picture to show.
    func pictogram(_ key: String) throws(DataFileError) -> String {
        let name = try string(key)
        guard Pictogram.names.contains(name) else {
            let near = Pictogram.names.filter { $0.hasPrefix(String(name.prefix(3))) }.sorted().prefix(5)
            throw fail("\"\(name)\" is not one of kioskd's pictograms (docs/catalogue.md, \"Pictograms\")" + (near.isEmpty ? "" : "; near it: " + near.joined(separator: ", ")),
                       key: key, at: node[key])
        }
        return name
    }

    func phone(_ key: String) throws(DataFileError) -> String {
        let text = try string(key)
        guard (5...20).contains(text.count), text.allSatisfy({ $0.isASCIIDigit || $0 == "-" }) else {
            throw fail("must be a telephone number of digits and hyphens (0551-12345678, 12345), not \"\(text)\"", key: key, at: node[key])
        }
        return text
    }

    func initials(_ key: String) throws(DataFileError) -> String {
        let text = try string(key)
        guard text.count <= 30, text.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw fail("must be the name's pinyin initials in capitals (养老保险 → YLBX), not \"\(text)\"", key: key, at: node[key])
        }
        return text
    }

    /// 受理条件: each a sentence, or `{"text", "rule", "instead"}` when the card can answer it
    /// (docs/catalogue.md, "Conditions the card answers").
    func conditions(_ key: String) throws(DataFileError) -> [Condition] {
        var result: [Condition] = []
        for (element, elementPath) in try list(key) {
            if case .string(let text) = element.value, !text.allSatisfy(\.isWhitespace) {
                result.append(Condition(text))
                continue
            }
            guard case .object = element.value else {
                throw DataFileError(file: file, line: element.line, item: item, field: elementPath, message: "must be a sentence or an object with text and rule, not \(element.kind)")
            }
            let condition = try FieldReader(file: file, node: element, path: elementPath, item: item)
            try condition.onlyKeys(["text", "rule", "instead"])
            result.append(Condition(try condition.string("text"), rule: try condition.optionalObject("rule").map { (rule) throws(DataFileError) in try rule.eligibilityRule() },
                                    instead: try condition.optionalString("instead")))
        }
        return result
    }

    /// `{"field": "age", "at_least": 80}`, `{"field": "age", "below": 60}`, `{"field": "sex", "is": "female"}`,
    /// `{"field": "household_region", "places": ["安徽省合肥市蜀山区"]}`, `{"field": "certificate", "one_of": ["resident_id"]}`.
    func eligibilityRule() throws(DataFileError) -> EligibilityRule {
        let field: EligibilityRule.Field = try choice("field")
        switch field {
        case .age:
            try onlyKeys(["field", "at_least", "below"])
            let atLeast = try optionalInt("at_least", in: 0...150), below = try optionalInt("below", in: 1...150)
            switch (atLeast, below) {
            case (let years?, nil): return .ageAtLeast(years)
            case (nil, let years?): return .ageBelow(years)
            default: throw fail("an age rule has either at_least or below (two rules for a range)", key: "field", at: node["field"])
            }
        case .sex:
            try onlyKeys(["field", "is"])
            switch try string("is") {
            case "female": return .sex(.female)
            case "male": return .sex(.male)
            case let other: throw fail("must be \"female\" or \"male\", not \"\(other)\"", key: "is", at: node["is"])
            }
        case .householdRegion:
            try onlyKeys(["field", "places"])
            return .householdIn(try strings("places", allowEmpty: false))
        case .certificate:
            try onlyKeys(["field", "one_of"])
            return .certificate(try choices("one_of", unique: true))
        }
    }

    func timeLimit(_ key: String) throws(DataFileError) -> TimeLimit {
        let limit = try object(key)
        try limit.onlyKeys(["working_days", "note"])
        return TimeLimit(workingDays: try limit.int("working_days", in: 0...365), note: try limit.optionalString("note"))
    }
}
