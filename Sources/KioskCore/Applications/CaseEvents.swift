/// The platform's word on one of the station's cases, from the station's event
/// stream (docs/platform-api.yaml, `CaseEvent`), checked field by field: the
/// forwarder applies it only as this value.
public struct CaseEvent: Sendable, Equatable {
    /// What happened to the case.
    public enum Kind: String, Sendable, CaseIterable {
        case accepted, inProgress = "in_progress", concluded, returned, notAccepted = "not_accepted"
        case readyForCollection = "ready_for_collection", posted, feeDue = "fee_due", feePaid = "fee_paid"

        /// The case's status after it, in the platform's words; nil for a fee, which leaves the status as it was.
        public var status: String? {
            switch self {
            case .accepted: "受理"
            case .inProgress: "办理中"
            case .concluded: "办结"
            case .returned: "退回"
            case .notAccepted: "不予受理"
            case .readyForCollection: "待领取"
            case .posted: "已寄出"
            case .feeDue, .feePaid: nil
            }
        }

        /// Whether the case is over for the platform after it (nothing more will move it but a 补正).
        public var closes: Bool { self == .concluded || self == .notAccepted }
    }

    /// The most of a detail kept (a 退回's reason, where to collect): longer ones are cut, with ….
    public static let detailLimit = 500
    /// The most materials a 退回 may ask for, and the longest name of one.
    public static let requestedLimit = 20
    public static let materialNameLimit = 60
    /// The largest fee the station shows, in fen (¥1,000,000): a larger one is a lie or a typo.
    public static let largestFee = 100_000_000

    /// The platform's number for the event: increasing in the station's stream, the cursor's unit.
    public var id: Int64
    public var trackingNumber: TrackingNumber
    /// 办件编号: must be the one the station holds for the tracking number.
    public var caseNumber: String
    public var kind: Kind
    /// When, YYYYMMDDThhmmss China time, as the platform says.
    public var at: String
    /// Why (退回, 不予受理), where and when to collect (待领取), what happens next.
    public var detail: String?
    /// The materials a 退回 asks for (补正).
    public var requested: [String]
    /// The EMS number of a result posted.
    public var emsNumber: String?
    /// A fee due or paid, in fen.
    public var feeFen: Int?

    /// The event from the platform's fields; throws what is wrong with it (the event is flagged and skipped).
    public init(id: Int64, trackingNumber: String, caseNumber: String, kind: String, at: String, detail: String? = nil, requested: [String] = [],
                emsNumber: String? = nil, feeFen: Int? = nil) throws(CaseEventFlaw) {
        guard id > 0 else { throw CaseEventFlaw("its id \(id) is not a positive number") }
        guard let number = try? TrackingNumber(trackingNumber) else { throw CaseEventFlaw("its tracking number is not one") }
        guard (1...50).contains(caseNumber.count), !caseNumber.unicodeScalars.contains(where: isControl) else {
            throw CaseEventFlaw("its case number is not 1 to 50 characters of text")
        }
        guard let known = Kind(rawValue: kind) else { throw CaseEventFlaw("its kind \"\(outsideText(kind, limit: 40))\" is not one the API defines") }
        guard at.utf8.count == 15, at.utf8.enumerated().allSatisfy({ $0.offset == 8 ? $0.element == UInt8(ascii: "T") : (48...57).contains($0.element) }) else {
            throw CaseEventFlaw("its time is not YYYYMMDDThhmmss")
        }
        guard requested.count <= Self.requestedLimit else { throw CaseEventFlaw("it asks for \(requested.count) materials, more than \(Self.requestedLimit)") }
        if known == .posted {
            guard let emsNumber, (9...20).contains(emsNumber.count), emsNumber.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                throw CaseEventFlaw("a result posted without an EMS number of 9 to 20 capital letters and digits")
            }
        }
        if known == .feeDue || known == .feePaid {
            guard let feeFen, (1...Self.largestFee).contains(feeFen) else { throw CaseEventFlaw("a fee without an amount from 1 fen to ¥1,000,000") }
        }
        self.id = id
        self.trackingNumber = number
        self.caseNumber = caseNumber
        self.kind = known
        self.at = at
        self.detail = detail.map { outsideText($0, limit: Self.detailLimit) }.flatMap { $0.isEmpty ? nil : $0 }
        self.requested = requested.map { outsideText($0, limit: Self.materialNameLimit) }.filter { !$0.isEmpty }
        self.emsNumber = known == .posted ? emsNumber : nil
        self.feeFen = known == .feeDue || known == .feePaid ? feeFen : nil
    }
}

/// Why an event from the platform was not applied.
public struct CaseEventFlaw: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One answer of the station's event stream: the events that read, the ones
/// that did not (flagged and skipped: one bad event never stalls the stream),
/// and the cursor after them.
public struct CaseEventPage: Sendable {
    public var events: [CaseEvent]
    /// The events that did not read: their id, when they had one, and why.
    public var flawed: [(id: Int64?, flaw: CaseEventFlaw)]
    /// The last event's id in the answer: the next request asks for what follows it.
    public var last: Int64
    /// Whether the platform holds more after `last`.
    public var more: Bool

    public init(events: [CaseEvent], flawed: [(id: Int64?, flaw: CaseEventFlaw)], last: Int64, more: Bool) {
        self.events = events
        self.flawed = flawed
        self.last = last
        self.more = more
    }
}

/// What applying a page did.
public struct AppliedCaseEvents: Sendable, Equatable {
    /// Events that changed a case.
    public var applied = 0
    /// Events seen before (an answer repeated after a lost cursor): nothing done.
    public var repeated = 0
    /// Events kept but flagged: unreadable, or about a case the station does not hold under that number.
    public var flagged = 0
    public init() {}
}

/// A fee the platform asks for a case (the kiosk touches no money: the resident pays on the platform).
public struct CaseFee: Sendable, Equatable {
    /// In fen.
    public var fen: Int
    /// The platform says it is paid.
    public var paid: Bool
    public init(fen: Int, paid: Bool) {
        self.fen = fen
        self.paid = paid
    }

    /// ¥12.50.
    public var yuan: String {
        let cents = fen % 100
        return "¥\(fen / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
