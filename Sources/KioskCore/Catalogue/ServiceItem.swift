/// A service item (事项) as its 办事指南 describes it.
public struct ServiceItem: Sendable, Equatable, Hashable {
    /// 基本编码 (2 事项类型 + 5 主项 + 3 子项).
    public var code: String
    /// 实施编码 at this station's level.
    public var implementationCode: String
    /// 事项名称.
    public var name: String
    public var type: ItemType
    /// 行使层级 (1 国家 … 6 村(社区)).
    public var level: Int
    /// The implementing department's id in ``Catalogue/departments``.
    public var department: String
    /// 服务对象.
    public var applicants: [ApplicantKind]
    /// 受理条件, each read out as one sentence; some the card answers.
    public var conditions: [Condition]
    public var materials: [Material]
    public var form: [FormField]
    /// 法定办结时限.
    public var statutoryLimit: TimeLimit
    /// 承诺办结时限 (never longer than the statutory one).
    public var promisedLimit: TimeLimit
    public var fee: Fee
    /// How the result can be delivered; the first is the default.
    public var delivery: [DeliveryMethod]
    /// Whether a station agent may handle it on a resident's behalf (代办).
    public var proxyAllowed: Bool
    /// 到现场次数: 0 (全程网办) or 1 (最多跑一次).
    public var visits: Int
    /// 设定依据.
    public var legalBasis: [String]
    /// 咨询电话.
    public var consultationPhone: String
    /// 监督投诉电话.
    public var complaintPhone: String
    /// Life-event ids it is listed under.
    public var lifeEvents: [String]
    /// Search words besides the name.
    public var keywords: [String]
    /// Pinyin initials of the name, upper case (养老保险 → YLBX), for the initials keyboard.
    public var pinyinInitials: String
    /// 常用: a rank among high-frequency items (1 first), nil when not one.
    public var popularity: Int?
    /// The result (结果名称), e.g. 低保证.
    public var result: String
    /// The picture its menu entry shows (a ``Pictogram`` name), e.g. `rice_bowl` for 低保.
    public var pictogram: String

    public init(code: String, implementationCode: String, name: String, type: ItemType, level: Int, department: String,
                applicants: [ApplicantKind], conditions: [Condition], materials: [Material], form: [FormField],
                statutoryLimit: TimeLimit, promisedLimit: TimeLimit, fee: Fee, delivery: [DeliveryMethod], proxyAllowed: Bool,
                visits: Int, legalBasis: [String], consultationPhone: String, complaintPhone: String, lifeEvents: [String],
                keywords: [String], pinyinInitials: String, popularity: Int?, result: String, pictogram: String) {
        self.code = code
        self.implementationCode = implementationCode
        self.name = name
        self.type = type
        self.level = level
        self.department = department
        self.applicants = applicants
        self.conditions = conditions
        self.materials = materials
        self.form = form
        self.statutoryLimit = statutoryLimit
        self.promisedLimit = promisedLimit
        self.fee = fee
        self.delivery = delivery
        self.proxyAllowed = proxyAllowed
        self.visits = visits
        self.legalBasis = legalBasis
        self.consultationPhone = consultationPhone
        self.complaintPhone = complaintPhone
        self.lifeEvents = lifeEvents
        self.keywords = keywords
        self.pinyinInitials = pinyinInitials
        self.popularity = popularity
        self.result = result
        self.pictogram = pictogram
    }

    /// 即办件 when handled on the spot, else 承诺件.
    public var isImmediate: Bool { promisedLimit.workingDays == 0 }
}

/// A topic bundle (一件事): several items in one application, each shared
/// material and form field asked once.
public struct ServiceBundle: Sendable, Equatable, Hashable {
    public var code: String
    /// "出生一件事".
    public var name: String
    /// What it covers, read out on the guide screen.
    public var summary: String
    /// The items' codes, in the order they are handled.
    public var items: [String]
    public var lifeEvents: [String]
    public var keywords: [String]
    public var pinyinInitials: String
    public var popularity: Int?
    /// The picture its menu entry shows (a ``Pictogram`` name).
    public var pictogram: String

    public init(code: String, name: String, summary: String, items: [String], lifeEvents: [String], keywords: [String], pinyinInitials: String, popularity: Int?,
                pictogram: String) {
        self.code = code
        self.name = name
        self.summary = summary
        self.items = items
        self.lifeEvents = lifeEvents
        self.keywords = keywords
        self.pinyinInitials = pinyinInitials
        self.popularity = popularity
        self.pictogram = pictogram
    }
}

/// What a resident applies for: one item, or a bundle of several.
public enum ServiceChoice: Sendable, Equatable, Hashable {
    case item(ServiceItem)
    case bundle(ServiceBundle, [ServiceItem])

    public var code: String {
        switch self {
        case .item(let item): item.code
        case .bundle(let bundle, _): bundle.code
        }
    }

    public var name: String {
        switch self {
        case .item(let item): item.name
        case .bundle(let bundle, _): bundle.name
        }
    }

    /// The picture its menu entry shows.
    public var pictogram: String {
        switch self {
        case .item(let item): item.pictogram
        case .bundle(let bundle, _): bundle.pictogram
        }
    }

    /// The items handled, in order.
    public var items: [ServiceItem] {
        switch self {
        case .item(let item): [item]
        case .bundle(_, let items): items
        }
    }

    /// Every material, each shared one once (first occurrence wins; it is
    /// required if any item requires it, and stands in by e-certificate or
    /// platform only if every item that asks for it allows that).
    public var materials: [Material] {
        var result: [Material] = []
        for material in items.flatMap(\.materials) {
            if let index = result.firstIndex(where: { $0.id == material.id }) {
                result[index].required = result[index].required || material.required
                result[index].copies = max(result[index].copies, material.copies)
                if result[index].eCertificate != material.eCertificate { result[index].eCertificate = nil }
                result[index].platformMayObtain = result[index].platformMayObtain && material.platformMayObtain
            } else {
                result.append(material)
            }
        }
        return result
    }

    /// Every condition, each shared one once.
    public var conditions: [Condition] {
        items.flatMap(\.conditions).reduce(into: []) { all, condition in
            if !all.contains(where: { $0.text == condition.text }) { all.append(condition) }
        }
    }

    /// Every form field, each shared one once.
    public var formFields: [FormField] {
        var result: [FormField] = []
        for field in items.flatMap(\.form) {
            if let index = result.firstIndex(where: { $0.id == field.id }) {
                result[index].required = result[index].required || field.required
            } else {
                result.append(field)
            }
        }
        return result
    }

    /// Proxy handling is allowed only if every item allows it.
    public var proxyAllowed: Bool { items.allSatisfy(\.proxyAllowed) }

    /// Who may apply: those every item accepts.
    public var applicants: Set<ApplicantKind> {
        items.dropFirst().reduce(into: Set(items.first?.applicants ?? [])) { $0.formIntersection($1.applicants) }
    }

    /// Delivery methods every item offers, in the first item's order.
    public var delivery: [DeliveryMethod] {
        (items.first?.delivery ?? []).filter { method in items.allSatisfy { $0.delivery.contains(method) } }
    }

    /// The longest promised time limit among the items: the bundle is done when its last item is.
    public var promisedWorkingDays: Int { items.map(\.promisedLimit.workingDays).max() ?? 0 }
}
