/// The acceptance receipt (受理回执) a resident takes home: what was
/// applied for, what was handed in, when the result is promised, how it
/// comes, and a QR code to follow the case. The same value prints on a
/// thermal receipt printer and on A4 (see ``ReceiptLayout``).
public struct Receipt: Sendable, Hashable, Codable {
    /// One material received, and how.
    public struct Material: Sendable, Hashable, Codable {
        /// Its name, e.g. 户口簿.
        public var name: String
        /// How it was received: 扫描 3 页, 电子证照, 平台调取.
        public var how: String

        /// Creates a material line.
        public init(name: String, how: String) {
            self.name = name
            self.how = how
        }
    }

    /// Unique per receipt; printing the same id again is a reprint.
    public var id: String
    /// The station's tracking number (办件编号 on the receipt and in the QR code).
    public var trackingNumber: String
    /// The station that accepted the application.
    public var stationName: String
    /// The service item (事项) or bundle applied for.
    public var serviceName: String
    /// The applicant's name as it is to be printed (the session decides whether to mask it).
    public var applicant: String
    /// The agent who handled it on the resident's behalf (代办员), masked.
    public var agent: String?
    /// When it was submitted, as printed: 2026年11月26日 10:32.
    public var submittedAt: String
    /// Materials received.
    public var materials: [Material]
    /// The promised completion.
    public var promise: CompletionPromise
    /// How the result comes: 到本站领取, 邮寄, 电子证照.
    public var delivery: String
    /// Where a posted result goes (the copy kept for reprinting holds it masked: ``masked``).
    public var postalAddress: String?
    /// Where the case can be followed; also the QR code's content.
    public var trackingURL: String
    /// Who to ask: 咨询电话.
    public var enquiries: String
    /// Whether this is a reprint (重印), marked on the receipt.
    public var isReprint: Bool
    /// The platform's case number when it had acknowledged the application before the receipt printed
    /// (受理回执); nil: saved at the station, to be sent (申请回执) — never 受理 before the platform has it.
    public var caseNumber: String?

    /// Creates a receipt.
    public init(
        id: String, trackingNumber: String, stationName: String, serviceName: String, applicant: String,
        agent: String? = nil, submittedAt: String, materials: [Material], promise: CompletionPromise, delivery: String, postalAddress: String? = nil,
        trackingURL: String, enquiries: String, isReprint: Bool = false, caseNumber: String? = nil
    ) {
        self.caseNumber = caseNumber
        self.id = id
        self.trackingNumber = trackingNumber
        self.stationName = stationName
        self.serviceName = serviceName
        self.applicant = applicant
        self.agent = agent
        self.submittedAt = submittedAt
        self.materials = materials
        self.promise = promise
        self.delivery = delivery
        self.postalAddress = postalAddress
        self.trackingURL = trackingURL
        self.enquiries = enquiries
        self.isReprint = isReprint
    }

    /// The receipt as the station keeps it for a reprint: nothing personal in the clear (the address
    /// keeps its first 9 characters, enough to see which district it was posted to).
    public var masked: Receipt {
        var copy = self
        copy.postalAddress = postalAddress.map { Masking.address($0) }
        return copy
    }

    /// The same receipt marked as a reprint.
    public var reprinted: Receipt {
        var copy = self
        copy.isReprint = true
        return copy
    }
}
