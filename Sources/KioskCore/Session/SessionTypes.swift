/// What the station is and how its sessions behave (from kioskd's configuration).
public struct SessionSettings: Sendable, Equatable {
    /// What happens when the resident's card leaves the reader mid-journey.
    public enum CardRemoval: String, Sendable, CaseIterable {
        /// The session ends and everything is wiped.
        case end
        /// The session waits for the same card (idle timeout still applies); another card ends it.
        case pause
    }

    public var stationCode: String
    public var stationName: String
    /// The number residents call about this station.
    public var stationPhone: String
    /// 行政区划代码 of the station.
    public var regionCode: String
    /// Where a case is followed; the tracking number is appended (also the receipt's QR code).
    public var trackingURLBase: String
    /// Where an item's guide is on the platform; the item's code is appended (the QR code of a printed guide
    /// or 一次性告知单). Empty: printed without one.
    public var guideURLBase: String
    /// Seconds without a touch before a resident session ends.
    public var idleTimeout: Double
    /// Seconds before the end at which the warning shows and is spoken (at least 20).
    public var idleWarning: Double
    /// Seconds without a touch before an agent is logged out.
    public var agentIdleTimeout: Double
    /// Seconds without a touch before a resident session in elderly mode ends: an older resident reads and decides more slowly.
    public var elderlyIdleTimeout: Double
    public var cardRemoval: CardRemoval
    /// Agents registered at this station, by card number.
    public var agents: [RegisteredAgent]

    public init(stationCode: String, stationName: String, stationPhone: String = "12345", regionCode: String, trackingURLBase: String, guideURLBase: String = "",
                idleTimeout: Double = 120,
                idleWarning: Double = 30, agentIdleTimeout: Double = 600, elderlyIdleTimeout: Double = 300, cardRemoval: CardRemoval = .end,
                agents: [RegisteredAgent] = []) {
        self.stationCode = stationCode
        self.stationName = stationName
        self.stationPhone = stationPhone
        self.regionCode = regionCode
        self.trackingURLBase = trackingURLBase
        self.guideURLBase = guideURLBase
        self.idleTimeout = idleTimeout
        self.idleWarning = max(20, min(idleWarning, idleTimeout))
        self.agentIdleTimeout = agentIdleTimeout
        self.elderlyIdleTimeout = max(elderlyIdleTimeout, idleTimeout)
        self.cardRemoval = cardRemoval
        self.agents = agents
    }
}

/// A station agent (代办员) as the configuration registers them: their ID
/// card is their agent card. The PIN's hash is checked outside the reducer.
extension SessionSettings {
    /// From this age (周岁, by the card) elderly mode is switched on by itself, with one tap to decline: 60, as China's
    /// 老年人权益保障法 and the MIIT 2021 适老化 rules count older people.
    public static let elderlyAge = 60
}

public struct RegisteredAgent: Sendable, Equatable, Hashable {
    /// A short id for the audit log (e.g. `agent01`).
    public var id: String
    /// The agent's ID card number.
    public var cardNumber: String
    /// The agent's name, shown masked.
    public var name: String
    public init(id: String, cardNumber: String, name: String) {
        self.id = id
        self.cardNumber = cardNumber
        self.name = name
    }
    /// `agent01 王*`.
    public var masked: String { "\(id) \(Masking.name(name))" }
}

/// A menu of services.
public enum Menu: Sendable, Equatable, Hashable {
    case popular
    /// The life events that have services: pick one.
    case lifeEvents
    case lifeEvent(String)
    /// The departments that have services: pick one.
    case departments
    case department(String)
    case search(String)
}

/// What stands between a resident and a case that will not bounce.
public enum MissingRequirement: Sendable, Equatable, Hashable {
    /// A required material is neither scanned, nor an e-certificate, nor left to the platform.
    case material(id: String, name: String)
    /// A required field is empty or invalid.
    case field(id: String, label: String, problem: SessionText)
    /// The result is to be posted but there is no address.
    case postalAddress
    /// This applicant may not apply for it (a person for a legal-entity item …).
    case applicant(SessionText)

    /// The sentence shown and spoken.
    public var text: SessionText {
        switch self {
        case .material(_, let name): SessionText(.missingMaterial, ["material": .verbatim(name)])
        case .field(_, let label, let problem): SessionText(.fieldProblem, ["label": .verbatim(label), "problem": .text(problem)])
        case .postalAddress: SessionText(.missingPostalAddress)
        case .applicant(let reason): reason
        }
    }
}

/// How a material was provided.
public enum MaterialProvision: Sendable, Equatable {
    /// Scanned pages (non-blank).
    case scanned([ScannedPage])
    /// An e-certificate of this type was found by the platform lookup.
    case eCertificate(String)
    /// The platform obtains it by data sharing.
    case platform
}

extension ScannedPage: Equatable {
    public static func == (lhs: ScannedPage, rhs: ScannedPage) -> Bool {
        lhs.number == rhs.number && lhs.width == rhs.width && lhs.height == rhs.height && lhs.mediaType == rhs.mediaType && lhs.data == rhs.data
    }
}

/// A resident's consent to an agent handling their matter (代办授权),
/// stored with the application.
public struct ProxyConsent: Sendable, Equatable {
    public var agentID: String
    /// The resident who consented, masked.
    public var residentMasked: String
    /// Unix seconds.
    public var at: Double
}

/// A case as the station's list shows it (masked; no personal data).
public struct CaseSummary: Sendable, Equatable, Hashable {
    public var trackingNumber: String
    public var serviceName: String
    public var applicantMasked: String
    /// 待上报, 已受理, 已办结, 已退回 …
    public var status: SessionText
    /// Why (a 退回's reason from the platform, what happens next).
    public var detail: SessionText?
    public var caseNumber: String?
    public init(trackingNumber: String, serviceName: String, applicantMasked: String, status: SessionText, detail: SessionText? = nil, caseNumber: String? = nil) {
        self.trackingNumber = trackingNumber
        self.serviceName = serviceName
        self.applicantMasked = applicantMasked
        self.status = status
        self.detail = detail
        self.caseNumber = caseNumber
    }
}

/// A consultation, complaint … for the 12345 channel.
public struct Interaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case consultation, complaint, suggestion, help
        public var chinese: String {
            switch self {
            case .consultation: "咨询"
            case .complaint: "投诉"
            case .suggestion: "建议"
            case .help: "求助"
            }
        }
    }
    public var kind: Kind
    public var text: String
    /// The item it is about, if any.
    public var serviceCode: String?
    /// Who asked (personal data: sent sealed to the platform, never logged).
    public var personName: String?
    public var personIDNumber: String?
    public var phone: String?
    public var at: Double
}

/// A booking to come back once with the missing materials.
public struct Reservation: Sendable, Equatable {
    public var serviceCode: String
    public var serviceName: String
    /// What to bring, as the screen said it (the platform is told in Chinese).
    public var missing: [SessionText]
    public var date: CalendarDate
    public var applicantMasked: String
    /// The platform's reference for the booking, once it has answered: shown, spoken and printed.
    public var reference: String?
}

/// The answer to an agent's PIN, from the runtime's checker (which owns the lock-out).
public enum AgentPINResult: Sendable, Equatable {
    case accepted
    case wrong(triesLeft: Int)
    /// Locked until this time (Unix seconds).
    case locked(until: Double)
}

/// Why a session ended.
public enum SessionEndReason: String, Sendable, Equatable {
    case finished, idleTimeout = "idle_timeout", cardRemoved = "card_removed", agentLogout = "agent_logout"
}
