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
    /// Reasons offered for a 差评 (from provincial 好差评 practice).
    public static let reasons = ["材料要求不清楚", "等待时间长", "操作复杂", "设备故障", "工作人员态度", "其他"]
}

/// A rating (好差评) for one case.
public struct Rating: Sendable, Equatable {
    public var trackingNumber: String
    public var level: Satisfaction
    public var reasons: [String]
    public var at: Double

    public init(trackingNumber: String, level: Satisfaction, reasons: [String], at: Double) {
        self.trackingNumber = trackingNumber
        self.level = level
        self.reasons = reasons
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
