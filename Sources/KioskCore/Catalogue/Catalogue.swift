/// The station's service catalogue (事项目录): the service items (事项) a
/// resident can handle here and the topic bundles (一件事) that handle several
/// in one application. Fields mirror the 办事指南 elements and GB/T 39046's
/// 事项 dataset; `docs/catalogue.md` documents the file and
/// `docs/catalogue.schema.json` is its JSON Schema.
public struct Catalogue: Sendable, Equatable {
    /// The catalogue's version, e.g. `2026.11.3`; the platform serves newer ones.
    public var version: String
    /// When the platform published it.
    public var published: CalendarDate
    /// True for the sample shipped with kioskd: every detail is plausible, none is official.
    public var isSampleData: Bool
    /// Life events (出生, 养老, 就业 …) to browse by, in display order.
    public var lifeEvents: [Category]
    /// Departments (实施主体) to browse by, in display order.
    public var departments: [Department]
    /// Every item, in display order.
    public var items: [ServiceItem]
    /// Topic bundles (一件事).
    public var bundles: [ServiceBundle]

    public init(version: String, published: CalendarDate, isSampleData: Bool, lifeEvents: [Category], departments: [Department], items: [ServiceItem], bundles: [ServiceBundle]) {
        self.version = version
        self.published = published
        self.isSampleData = isSampleData
        self.lifeEvents = lifeEvents
        self.departments = departments
        self.items = items
        self.bundles = bundles
    }

    /// The item with this 基本编码.
    public func item(_ code: String) -> ServiceItem? { items.first { $0.code == code } }

    /// The bundle with this code.
    public func bundle(_ code: String) -> ServiceBundle? { bundles.first { $0.code == code } }

    /// The department with this id.
    public func department(_ id: String) -> Department? { departments.first { $0.id == id } }
}

/// A life event or topic to browse by.
public struct Category: Sendable, Equatable, Hashable {
    public var id: String
    public var name: String
    /// The picture its menu entry shows (a ``Pictogram`` name).
    public var pictogram: String
    public init(id: String, name: String, pictogram: String) {
        self.id = id
        self.name = name
        self.pictogram = pictogram
    }
}

/// A department that implements items (实施主体).
public struct Department: Sendable, Equatable, Hashable {
    public var id: String
    /// 实施主体名称.
    public var name: String
    /// 实施主体编码 (统一社会信用代码).
    public var creditCode: String
    /// The picture its menu entry shows (a ``Pictogram`` name).
    public var pictogram: String
    public init(id: String, name: String, creditCode: String, pictogram: String) {
        self.id = id
        self.name = name
        self.creditCode = creditCode
        self.pictogram = pictogram
    }
}

/// Who may apply (服务对象).
public enum ApplicantKind: String, Sendable, CaseIterable, Hashable {
    /// 个人 (自然人).
    case person
    /// 法人 (企业、事业单位、社会组织).
    case legalEntity = "legal_entity"
}

/// How the result reaches the applicant.
public enum DeliveryMethod: String, Sendable, CaseIterable, Hashable {
    /// 到本站领取.
    case stationPickup = "station_pickup"
    /// 邮寄 (EMS; free of charge for government results in most provinces).
    case post
    /// 电子证照 / 电子结果 (sent to the resident's account).
    case electronic

    /// As printed on the receipt.
    public var chinese: String {
        switch self {
        case .stationPickup: "到本站领取"
        case .post: "邮寄送达"
        case .electronic: "电子送达"
        }
    }
}

/// 事项类型 (GB/T 39046 Annex A).
public enum ItemType: String, Sendable, CaseIterable, Hashable {
    case administrativePower = "00", licence = "01", penalty = "02", enforcement = "03", levy = "04", benefit = "05"
    case inspection = "06", confirmation = "07", reward = "08", ruling = "09", other = "10", publicService = "20"

    /// 行政给付, 公共服务 …
    public var chinese: String {
        switch self {
        case .administrativePower: "行政权力"
        case .licence: "行政许可"
        case .penalty: "行政处罚"
        case .enforcement: "行政强制"
        case .levy: "行政征收"
        case .benefit: "行政给付"
        case .inspection: "行政检查"
        case .confirmation: "行政确认"
        case .reward: "行政奖励"
        case .ruling: "行政裁决"
        case .other: "其他行政权力"
        case .publicService: "公共服务"
        }
    }
}

/// A time limit in working days, with its note (说明).
public struct TimeLimit: Sendable, Equatable, Hashable {
    /// Working days (工作日); 0 for 即办 (handled on the spot).
    public var workingDays: Int
    /// 说明, e.g. "不含公示时间".
    public var note: String?
    public init(workingDays: Int, note: String? = nil) {
        self.workingDays = workingDays
        self.note = note
    }
}

/// A fee (收费). Most village items are free.
public struct Fee: Sendable, Equatable, Hashable {
    /// In 分 (1/100 yuan); 0 when free.
    public var amountFen: Int
    /// 收费依据 or a note.
    public var note: String?
    public init(amountFen: Int, note: String? = nil) {
        self.amountFen = amountFen
        self.note = note
    }
    /// "不收费" or "¥25.00".
    public var text: String {
        amountFen == 0 ? "不收费" : "¥\(amountFen / 100).\(amountFen % 100 < 10 ? "0" : "")\(amountFen % 100)"
    }
}

/// The form a material is handed in as.
public enum MaterialForm: String, Sendable, CaseIterable, Hashable {
    /// 原件 (shown and scanned, returned to the resident).
    case original
    /// 复印件.
    case copy
    /// 电子件.
    case electronic

    public var chinese: String {
        switch self {
        case .original: "原件"
        case .copy: "复印件"
        case .electronic: "电子件"
        }
    }
}

/// A required or optional material (申请材料).
public struct Material: Sendable, Equatable, Hashable {
    /// Stable id; the same id in two items of a bundle is the same paper, asked once.
    public var id: String
    /// 材料名称.
    public var name: String
    /// Original, copy, electronic.
    public var forms: [MaterialForm]
    /// 份数.
    public var copies: Int
    /// 是否必备. An optional material never blocks submission.
    public var required: Bool
    /// 填报须知 / notes read out to the resident.
    public var notes: String?
    /// The 电子证照 type that can stand in for it (e.g. 居民户口簿), if any.
    public var eCertificate: String?
    /// Whether the platform obtains it itself by data sharing (免提交), if the resident has none.
    public var platformMayObtain: Bool
    /// Pages a scan of it usually has (guides the resident; not enforced beyond 1).
    public var expectedPages: Int
    /// Where a resident who lacks it gets it (出具单位: 户籍所在地派出所 …), for the 一次性告知单.
    public var obtainFrom: String?

    public init(id: String, name: String, forms: [MaterialForm], copies: Int, required: Bool, notes: String? = nil,
                eCertificate: String? = nil, platformMayObtain: Bool = false, expectedPages: Int = 1, obtainFrom: String? = nil) {
        self.id = id
        self.name = name
        self.forms = forms
        self.copies = copies
        self.required = required
        self.notes = notes
        self.eCertificate = eCertificate
        self.platformMayObtain = platformMayObtain
        self.expectedPages = expectedPages
        self.obtainFrom = obtainFrom
    }

    /// How it is handed in, as the guide says it: 原件1份 · 户主页和本人页 · 可由平台调取.
    public var particulars: String {
        var parts = [forms.map(\.chinese).joined(separator: "或") + "\(copies)份"]
        if let notes { parts.append(notes) }
        if platformMayObtain { parts.append("可由平台调取") } else if eCertificate != nil { parts.append("可用电子证照") }
        return parts.joined(separator: " · ")
    }
}

/// A field of the application form.
public struct FormField: Sendable, Equatable, Hashable {
    /// The value's type, which decides the keyboard and the validation.
    public enum Kind: String, Sendable, CaseIterable, Hashable {
        case text, number, phone, date, choice
        /// An 18-character resident ID number (check character verified).
        case idNumber = "id_number"
        /// A bank card number (13–19 digits, Luhn checked).
        case bankAccount = "bank_account"
        case address
        /// A person's name: typed like text, and the keyboard offers the commonest surnames first.
        case personName = "name"
    }

    /// Where a prefilled value comes from: a field of the card.
    public typealias IdentitySource = IdentityField

    /// Stable id; the same id across items of a bundle is typed once (一表申请).
    public var id: String
    /// The label shown and spoken.
    public var label: String
    public var kind: Kind
    public var required: Bool
    /// For `choice`: the options.
    public var options: [String]
    /// Maximum length in characters (text, address).
    public var maxLength: Int?
    /// For `number`: the allowed range.
    public var minimum: Int?
    public var maximum: Int?
    /// Filled from the resident's card, not typed.
    public var fromIdentity: IdentitySource?
    /// A hint shown under the field.
    public var hint: String?

    public init(id: String, label: String, kind: Kind, required: Bool, options: [String] = [], maxLength: Int? = nil,
                minimum: Int? = nil, maximum: Int? = nil, fromIdentity: IdentitySource? = nil, hint: String? = nil) {
        self.id = id
        self.label = label
        self.kind = kind
        self.required = required
        self.options = options
        self.maxLength = maxLength
        self.minimum = minimum
        self.maximum = maximum
        self.fromIdentity = fromIdentity
        self.hint = hint
    }
}
