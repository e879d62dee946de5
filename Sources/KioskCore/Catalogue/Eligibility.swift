/// A 受理条件 as the guide says it and, where the card can answer it, the
/// rule the kiosk checks before anything is typed or scanned. A condition
/// no card can answer (收入低于低保标准) is asked as a yes/no confirmation,
/// and the answer goes with the application.
public struct Condition: Sendable, Hashable {
    /// The sentence, as the 办事指南 says it.
    public var text: String
    /// What the card answers, if it can.
    public var rule: EligibilityRule?
    /// An item to offer a resident who does not meet it (its 基本编码), e.g.
    /// 城乡居民养老保险待遇领取 for one too young for 高龄津贴.
    public var instead: String?

    public init(_ text: String, rule: EligibilityRule? = nil, instead: String? = nil) {
        self.text = text
        self.rule = rule
        self.instead = instead
    }
}

/// A condition the card answers: age from the birth date, sex, 户籍 by the
/// card's registered address, the certificate held. docs/catalogue.md
/// documents how the catalogue writes each.
public enum EligibilityRule: Sendable, Hashable {
    /// At least this many full years (周岁) today.
    case ageAtLeast(Int)
    /// Under this many full years today.
    case ageBelow(Int)
    /// Only this sex.
    case sex(Gender)
    /// 户籍 in one of these places: the card's registered address (住址, which a
    /// move of 户籍 changes on a new card) begins with one of them. The number's
    /// region code is where the person was first registered, so it is not used.
    case householdIn([String])
    /// Only holders of these certificates.
    case certificate([CertificateKind])

    /// The fields a catalogue's rule may name (`rule.field`).
    public enum Field: String, Sendable, CaseIterable {
        case age, sex
        case householdRegion = "household_region"
        case certificate
    }

    /// Why `resident` does not meet it on `today`, in their words; nil when they do.
    public func unmet(by resident: ResidentIdentity, on today: CalendarDate) -> SessionText? {
        switch self {
        case .ageAtLeast(let years):
            let age = resident.age(on: today)
            return age >= years ? nil : SessionText(.ruleAgeAtLeast, ["age": .number(age), "years": .number(years)])
        case .ageBelow(let years):
            let age = resident.age(on: today)
            return age < years ? nil : SessionText(.ruleAgeBelow, ["age": .number(age), "years": .number(years)])
        case .sex(let sex):
            return resident.gender == sex ? nil : SessionText(sex == .female ? .ruleOnlyWomen : .ruleOnlyMen)
        case .householdIn(let places):
            guard resident.certificate.hasHouseholdRegistration else {
                return SessionText(.ruleNoHousehold, ["certificate": .verbatim(resident.certificate.chinese)])
            }
            let address = resident.address ?? ""
            return places.contains(where: { address.hasPrefix($0) }) ? nil : SessionText(.ruleHouseholdElsewhere, ["places": .list(places)])
        case .certificate(let kinds):
            return kinds.contains(resident.certificate) ? nil
                : SessionText(.ruleCertificate, ["certificate": .verbatim(resident.certificate.chinese), "allowed": .list(kinds.map(\.chinese))])
        }
    }
}

/// Where one of a choice's conditions stands for the applicant in front of the kiosk.
public enum ConditionStanding: Sendable, Equatable {
    /// The card says it is met.
    case checked
    /// The card says it is not met: why.
    case unmet(SessionText)
    /// No card can tell: the resident confirms it (nil: not answered yet).
    case confirmed(Bool?)
}
