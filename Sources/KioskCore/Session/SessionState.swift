/// The screen the session is on.
public enum Screen: Sendable, Equatable {
    /// 请刷身份证 (and the elderly-mode and language entries).
    case attract
    /// An agent card was presented: its PIN is asked.
    case agentPIN
    /// The agent's console: serve a resident, station cases, log out.
    case agentConsole
    /// The station's cases (agent).
    case stationCases([CaseSummary])
    /// Agent mode: the resident's card has been read; the resident confirms consent.
    case proxyConsent
    /// Agent mode: typing an enterprise's credit code.
    case enterprise
    /// The service menu's start: 常用, life events, departments, search, my cases, consult.
    case home
    case browse(Menu, [MenuEntry])
    /// 一次性告知: every condition and material at once.
    case guide
    /// The conditions no card can answer, each confirmed yes or no; those the card answered are shown checked.
    case conditions
    /// The applicant does not meet a condition: why, and what to do instead (another item, if the catalogue names one).
    case ineligible(SessionText, instead: MenuEntry?)
    case form
    case materials
    /// Scanning one material; the next event is its result.
    case scanning(materialID: String)
    /// One scanned page, large: keep it, discard it, or scan the material again.
    case page(materialID: String, index: Int)
    /// The completeness check failed: what is missing, and dates to come back once.
    case incomplete([MissingRequirement], reservationDates: [CalendarDate])
    case reserved(Reservation)
    case review
    /// Waiting for the outbox's commit: no receipt before it.
    case submitting
    case receipt
    case rating
    /// After rating: another matter, or leave.
    case done
    /// The resident's cases.
    case myCases([CaseSummary])
    case consultation(Interaction.Kind)
    case consultationSent(reference: String)
    /// The card left the reader (pause policy): put it back to continue.
    case paused(resume: ResumePoint)
}

/// Where a paused session resumes.
public enum ResumePoint: Sendable, Equatable {
    case home, guide, form, materials, review
}

extension ResidentIdentity {
    /// What the session remembers of a card on the reader: its number's hash under this process's random seed.
    var cardFingerprint: Int { number.hashValue }
}

/// A card left on the reader after its visit, and when the resident was last reminded.
public struct LeftCard: Sendable, Equatable {
    /// The card's fingerprint (``SessionState/cardOnReader``).
    public var card: Int
    public var remindedAt: Double
}

/// A rating being given: the level chosen and, for the two lowest, the reasons ticked so far.
public struct RatingDraft: Sendable, Equatable {
    public var level: Satisfaction
    public var reasons: [String]
}

/// Everything the kiosk knows about the person in front of it. It lives only
/// here, and ending the session drops it (``SessionState/visit`` becomes nil).
public struct Visit: Sendable, Equatable {
    public var resident: ResidentIdentity?
    public var enterprise: EnterpriseIdentity?
    public var consent: ProxyConsent?
    public var choice: ServiceChoice?
    /// What the resident typed, by field id: reused across items of a bundle and later choices in the session (一表申请).
    public var typed: [String: String] = [:]
    public var fieldProblems: [String: SessionText] = [:]
    /// The resident's yes or no to each condition no card can answer, by its sentence.
    public var conditionAnswers: [String: Bool] = [:]
    public var materials: [String: MaterialProvision] = [:]
    /// How far the scan in progress is, once the scanner says.
    public var scanProgress: PageProgress?
    /// The resident agreed to an e-certificate lookup for this session.
    public var eCertificateConsent = false
    public var eCertificatesFound: Set<String>?
    public var delivery: DeliveryMethod?
    public var postalAddress: String?
    public var receipt: Receipt?
    public var lastTrackingNumber: String?
    public var rated: Set<String> = []
    /// A 不满意 or 非常不满意 rating whose reasons are being chosen.
    public var ratingDraft: RatingDraft?
    /// A reservation being made (the completeness check failed).
    public var reservation: Reservation?
    /// The sentence shown (and spoken) on the current screen: a refusal, a device problem.
    public var message: SessionText?

    public init() {}

    /// The name and number the audit log may show.
    public var maskedApplicant: String {
        if let resident { return "resident \(resident.maskedName) \(resident.maskedNumber)" }
        if let enterprise { return "enterprise \(enterprise.creditCode.masked)" }
        return "anonymous"
    }
}

/// The session: one at a time. Everything personal is inside ``visit``.
public struct SessionState: Sendable, Equatable {
    public var screen: Screen = .attract
    public var elderlyMode = false
    /// Elderly mode was switched on by itself because the card says the resident is 60 or older; the screen offers to decline it.
    public var elderlyOffered = false
    /// `zh` or `en`.
    public var language = "zh"
    /// Whether the platform is reachable (network up/down events); survives sessions.
    public var online = false
    /// Why the kiosk takes no new visit (暂停服务), or nil; survives sessions.
    public var outOfService: SessionText?
    /// Time of the last event (Unix seconds).
    public var now: Double = 0
    public var lastTouch: Double = 0
    public var idleWarningShown = false
    public var visit: Visit?
    /// The agent logged in, if any.
    public var agent: RegisteredAgent?
    /// An agent card presented whose PIN is being asked.
    public var agentCandidate: RegisteredAgent?
    /// A sentence for the attract or agent screens (a refused card, a wrong PIN).
    public var notice: SessionText?
    /// The card on the reader, from its placement to its removal, as a fingerprint: the number's
    /// hash under this process's random seed (never the number, which leaves with the visit).
    public var cardOnReader: Int?
    /// A resident's card still on the reader after their visit ended: 请取走您的身份证 until it is
    /// removed, said again every ``SessionReducer/cardReminderInterval`` seconds; it starts no visit.
    public var cardLeft: LeftCard?
    /// When someone at the kiosk pressed 呼叫工作人员; nil once an agent answers (logs in
    /// or taps 已应答) or the visit ends. kioskctl status, the heartbeat and a metric show it.
    public var staffCalledAt: Double?
    /// The request the session waits on (scan, lookup, enqueue …); results for others are stale and ignored.
    public var pending: PendingRequest?
    /// Request ids are never reused, so a late answer cannot be mistaken for a current one.
    public var nextRequestID = 1

    public init() {}

    /// Whether a resident or an agent is using the kiosk.
    public var isActive: Bool { visit != nil || agent != nil || agentCandidate != nil }
}

/// A request in flight and what it is for.
public struct PendingRequest: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case scan(materialID: String), eCertificates, enqueue, platformCase(TrackingNumber), myCases, stationCases, agentPIN, reservation, interaction
    }
    public var id: Int
    public var kind: Kind
}

/// What happens to a session: a card, a touch, a device's or the network's answer, time passing.
public enum SessionEvent: Sendable, Equatable {
    case tick(now: Double)
    case cardPresented(ResidentIdentity, now: Double)
    /// The reader refused the card (expired, unreadable), with what to tell the resident.
    case cardRefused(SessionText, now: Double)
    case cardRemoved(now: Double)
    case touch(Touch, now: Double)
    case networkChanged(online: Bool)
    /// The kiosk cannot take applications now (why, in the resident's words), or can again (nil).
    case serviceChanged(outOfService: SessionText?)
    /// The scanner's word on the scan in progress: the page it reads and how much of it (-1: unknown).
    case scanProgressed(request: Int, page: Int, percent: Int)
    case scanFinished(request: Int, pages: [ScannedPage])
    case scanFailed(request: Int, reason: SessionText)
    case eCertificatesFound(request: Int, types: Set<String>)
    case eCertificateLookupFailed(request: Int, reason: SessionText)
    case enqueueCommitted(request: Int, trackingNumber: TrackingNumber)
    case enqueueFailed(request: Int, reason: SessionText)
    /// The platform's case number for the application just saved, once the forwarder has it; nil when it did not come in time.
    case platformCase(request: Int, caseNumber: String?)
    case printFailed(reason: SessionText)
    /// A notice or a form did not print (the receipt's own failure is `printFailed`).
    case documentNotPrinted(reason: SessionText)
    case casesFound(request: Int, cases: [CaseSummary])
    case caseLookupFailed(request: Int, reason: SessionText)
    case agentPINChecked(request: Int, result: AgentPINResult)
    case reservationMade(request: Int, reference: String)
    case interactionSent(request: Int, reference: String)
    case requestFailed(request: Int, reason: SessionText)

    var time: Double? {
        switch self {
        case .tick(let now), .cardPresented(_, let now), .cardRefused(_, let now), .cardRemoved(let now), .touch(_, let now): now
        default: nil
        }
    }
}

/// A resident's or an agent's touch, as the screen reports it.
public enum Touch: Sendable, Equatable {
    /// Any touch that only keeps the session alive (the idle warning's "继续").
    case stillHere
    /// 呼叫工作人员: on every screen.
    case callStaff
    /// An agent at the kiosk answers the call.
    case staffAnswered
    case elderlyMode(Bool)
    case language(String)
    case menu(Menu)
    case choose(code: String)
    case next
    case back
    case endSession
    case setField(id: String, value: String)
    case consentToECertificateLookup
    case scan(materialID: String)
    /// Shows one scanned page large.
    case viewPage(materialID: String, index: Int)
    /// Drops one scanned page (a bad one); the material's other pages stay.
    case discardPage(materialID: String, index: Int)
    /// Drops every page of the material and scans it again.
    case rescan(materialID: String)
    /// Yes or no to the condition at this position on the conditions screen.
    case confirmCondition(index: Int, met: Bool)
    /// Prints the guide (办事指南): on the A4 printer where there is one, else on the receipt printer.
    case printGuide
    /// Prints the 一次性告知单 of an incomplete case on the receipt printer.
    case printNotice
    /// An agent prints the application form on A4 for the resident's signature.
    case printApplicationForm
    case leaveToPlatform(materialID: String)
    case reserve(CalendarDate)
    case delivery(DeliveryMethod)
    /// Where the result is posted (prefilled from the card's address).
    case postalAddress(String)
    case submit
    case printAgain
    /// A rating; for the two lowest levels without reasons, the reasons are asked first.
    case rate(Satisfaction, reasons: [String], comment: String? = nil)
    /// Ticks or unticks a reason of the rating being given.
    case toggleRatingReason(String)
    case skipRating
    case myCases
    case startConsultation(Interaction.Kind)
    case sendConsultation(text: String, phone: String?)
    case agentPIN(String)
    case agentEnterprise(creditCode: String, name: String)
    case confirmProxyConsent
    case agentStationCases
    case agentReprint(trackingNumber: String)
    case agentLogout
}

/// What the session asks the runtime to do; results come back as events.
public enum SessionEffect: Sendable, Equatable {
    /// Speak this (in the session's language) and show it as the screen's prompt.
    case speak(SessionText)
    case stopSpeaking
    case startScan(request: Int, materialID: String, materialName: String)
    case cancelScan
    case lookupECertificates(request: Int, idNumber: String, types: [String])
    /// Seal and queue; answer `enqueueCommitted` only once durable.
    case enqueue(request: Int, ApplicationSubmission)
    /// Online, the application just saved is on its way: answer `platformCase` with its case number once the
    /// platform has acknowledged it, or with nil after `seconds` (the receipt then says it is saved and will be sent).
    case awaitPlatformCase(request: Int, trackingNumber: TrackingNumber, seconds: Double)
    case printReceipt(Receipt)
    /// A notice (一次性告知单, 办事指南) on the receipt printer, or on A4 when `preferA4` and there is an A4 printer.
    case printNotice(Notice, preferA4: Bool)
    /// The application form on the A4 printer, for signature.
    case printForm(ApplicationForm)
    case lookupCases(request: Int, idNumber: String)
    case listStationCases(request: Int)
    case reprintReceipt(trackingNumber: String)
    case submitRating(Rating)
    case submitInteraction(request: Int, Interaction)
    case makeReservation(request: Int, Reservation)
    case verifyAgentPIN(request: Int, agentID: String, pin: String)
    case audit(AuditNote)
    /// The session ended: the screen clears, the volume resets.
    case sessionEnded(SessionEndReason)
}
