/// 满意度 (GB/T 39046 code table: 1 非常满意 … 5 非常不满意).
public enum Satisfaction: Int, Sendable, CaseIterable, Hashable {
    case verySatisfied = 1, satisfied, basicallySatisfied, dissatisfied, veryDissatisfied
    public var chinese: String {
        switch self {
        case .verySatisfied: "非常满意"
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .dissatisfied: "不满意"
        case .veryDissatisfied: "非常不满意"
        }
    }
    /// 差评 need at least one reason.
    public var needsReason: Bool { rawValue >= 4 }
    /// The reasons offered at this level, in the order the screen lists them (provincial 好差评 practice):
    /// what went well for the top three (optional), what went wrong for a 差评 (at least one). Several may be chosen.
    public var reasons: [String] { needsReason ? Self.complaints : Self.praise }
    /// What went wrong.
    public static let complaints = ["材料要求不清楚", "等待时间长", "操作复杂", "设备故障", "工作人员态度", "需要多次跑动", "其他"]
    /// What went well.
    public static let praise = ["办事指南清楚", "操作简单", "等待时间短", "一次办成", "工作人员热情", "其他"]
}

/// A rating (好差评) for one case.
public struct Rating: Sendable, Equatable {
    public var trackingNumber: String
    public var level: Satisfaction
    public var reasons: [String]
    /// 文字评价, in the resident's words (sealed for the platform while it waits: it may name people).
    public var comment: String?
    public var at: Double

    /// The longest comment kept, in characters.
    public static let commentLimit = 200

    public init(trackingNumber: String, level: Satisfaction, reasons: [String], comment: String? = nil, at: Double) {
        self.trackingNumber = trackingNumber
        self.level = level
        self.reasons = reasons
        self.comment = comment
        self.at = at
    }
}

/// An audit note the session asks the runtime to append (masked identifiers only).
public struct AuditNote: Sendable, Equatable {
    /// `consent_recorded`, `scanned`, `receipted`, `rated`, `agent_login` …
    public var action: String
    public var trackingNumber: String?
    /// Who acted: `resident 张*三 3401**********123X` or `agent01 王*`.
    public var actor: String
    public var detail: String
    public init(action: String, trackingNumber: String? = nil, actor: String, detail: String = "") {
        self.action = action
        self.trackingNumber = trackingNumber
        self.actor = actor
        self.detail = detail
    }
}
