/// The station's store of applications, as the session's runtime uses it
/// (the Outbox target implements it on SQLite).
///
///     let number = try await store.enqueue(submission)   // durable now: print the receipt
///     try store.keepReceipt(receipt)
public protocol ApplicationStore: Sendable {
    /// Seals, stores and queues an application; returns its tracking number
    /// only once it is durable (its row committed with `synchronous=FULL`, its
    /// sealed attachment files and their directory fsynced). A receipt may be
    /// printed then, and not before. Throws what the resident should be told
    /// about (see the implementation's error codes, e.g. a full disk).
    func enqueue(_ submission: ApplicationSubmission) async throws -> TrackingNumber
    /// Seals a small record (a consent, a complainant's contact) so only the
    /// platform can open it, bound to `binding`, which the platform is told.
    func seal(record: [UInt8], binding: String) throws -> [UInt8]
    /// The platform's case number for an application, once it has acknowledged it.
    func platformCaseNumber(_ trackingNumber: TrackingNumber) throws -> String?
    /// Keeps the receipt as printed (masked: nothing personal), for a reprint.
    func keepReceipt(_ receipt: Receipt) throws
    /// The receipt kept for a case, if one was printed.
    func keptReceipt(_ trackingNumber: String) throws -> Receipt?
    /// Keeps a rating (好差评) until the platform has it; one per case.
    func recordRating(_ rating: Rating) throws
    /// Appends to the audit trail.
    func audit(_ note: AuditNote) throws
    /// A resident's applications at this station, newest first, found by their lookup key (我的办件).
    func cases(applicantKey: String, limit: Int) throws -> [QueuedApplication]
    /// The station's applications, newest first, for an agent.
    func stationCases(limit: Int) throws -> [QueuedApplication]
}

/// The queue as the forwarder drains it (the Outbox target implements it).
/// Every call is a short transaction; none holds personal data in the clear.
public protocol ForwardingQueue: Sendable {
    /// Signalled whenever something is queued or made due, so the forwarder starts at once.
    var changes: Wakeup { get }
    /// The station's code (行政区划 and station number), whose case events the forwarder reads.
    var stationCode: String { get }
    /// Queued applications whose next attempt is due, oldest first.
    func due(limit: Int) throws -> [TrackingNumber]
    /// When the next queued application falls due (nil when none waits).
    func nextDueAt() throws -> Double?
    /// One application as the station may see it.
    func application(_ trackingNumber: TrackingNumber) throws -> QueuedApplication?
    /// The sealed parts of a queued application, or nil when it is gone or purged.
    func upload(_ trackingNumber: TrackingNumber) throws -> SealedUpload?
    /// Records how many bytes of an attachment the platform acknowledged.
    func recordUploaded(_ trackingNumber: TrackingNumber, position: Int, bytes: Int) throws
    /// A failed attempt: when to try again, and why it failed.
    func scheduleRetry(_ trackingNumber: TrackingNumber, at time: Double, error: String) throws
    /// The platform accepted the application and gave its case number.
    func acknowledge(_ trackingNumber: TrackingNumber, caseNumber: String) throws
    /// The platform refused the application for good: it waits for a maintainer.
    func deadLetter(_ trackingNumber: TrackingNumber, reason: String) throws
    /// Ratings whose case has the platform's number and that are not sent yet.
    func ratingsToSend(limit: Int) throws -> [PendingRating]
    /// The platform has the rating, or refused it for good (`error`).
    func ratingSent(_ trackingNumber: String, error: String?) throws
    /// The id of the last case event applied (0 before the first): the stream resumes after it.
    func caseEventCursor() throws -> Int64
    /// Applies a page of the station's case events and moves the cursor to its end, in one
    /// transaction: an event's effect and the cursor past it are durable together or not at all.
    /// An event seen before changes nothing; one about a case the station does not hold is kept flagged.
    @discardableResult
    func applyCaseEvents(_ page: CaseEventPage) throws -> AppliedCaseEvents
    /// Drops what the platform has had long enough; returns how many payloads and rows went.
    @discardableResult
    func purge() throws -> (payloads: Int, rows: Int)
}

/// An application's sealed parts, ready to upload (docs/platform-api.yaml).
public struct SealedUpload: Sendable {
    public var trackingNumber: TrackingNumber
    /// Minted in the enqueue's transaction; the platform answers a repeat with its first answer.
    public var idempotencyKey: String
    public var serviceCode: String
    /// The sealed envelope (JSON), as stored.
    public var envelope: [UInt8]
    public var envelopeSHA256: String
    public var attachments: [SealedAttachment]

    /// Creates an upload.
    public init(trackingNumber: TrackingNumber, idempotencyKey: String, serviceCode: String, envelope: [UInt8], envelopeSHA256: String,
                attachments: [SealedAttachment]) {
        self.trackingNumber = trackingNumber
        self.idempotencyKey = idempotencyKey
        self.serviceCode = serviceCode
        self.envelope = envelope
        self.envelopeSHA256 = envelopeSHA256
        self.attachments = attachments
    }
}

/// One sealed attachment file and how much of it the platform has acknowledged.
public struct SealedAttachment: Sendable {
    /// Its index in the application (what the upload URL names).
    public var position: Int
    /// The sealed file on the kiosk's disk.
    public var path: String
    public var bytes: Int
    public var sha256: String
    /// Bytes the platform acknowledged so far: the upload resumes there.
    public var uploadedBytes: Int

    /// Creates an attachment.
    public init(position: Int, path: String, bytes: Int, sha256: String, uploadedBytes: Int) {
        self.position = position
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
        self.uploadedBytes = uploadedBytes
    }
}

/// A rating ready to send: its case has the platform's number.
public struct PendingRating: Sendable, Equatable {
    public var trackingNumber: String
    /// 办件编号, the platform's.
    public var caseNumber: String
    /// 满意度 1–5.
    public var satisfaction: Int
    public var reasons: [String]
    /// The 文字评价, sealed to the platform's key and bound to `commentID`, if the resident wrote one.
    public var sealedComment: [UInt8]?
    public var commentID: String?
    /// Unix seconds.
    public var ratedAt: Double

    /// Creates a rating to send.
    public init(trackingNumber: String, caseNumber: String, satisfaction: Int, reasons: [String], sealedComment: [UInt8]? = nil, commentID: String? = nil,
                ratedAt: Double) {
        self.sealedComment = sealedComment
        self.commentID = commentID
        self.trackingNumber = trackingNumber
        self.caseNumber = caseNumber
        self.satisfaction = satisfaction
        self.reasons = reasons
        self.ratedAt = ratedAt
    }
}

/// What the session asks of the platform while the resident waits: the
/// e-certificate lookup, a reservation, a 12345 message. Each record that
/// names a person arrives sealed (``ApplicationStore/seal(record:binding:)``).
public protocol PlatformServices: Sendable {
    /// Which of `types` the platform holds as e-certificates (电子证照) for the
    /// resident whose consent is sealed in `consent` (bound to `consentID`).
    func lookupECertificates(consent: [UInt8], consentID: String, types: [String]) async throws -> Set<String>
    /// Books a reservation to come back once with what was missing; returns its reference.
    func reserve(serviceCode: String, date: String, missing: [String], sealedContact: [UInt8], contactID: String) async throws -> String
    /// Forwards a consultation or complaint to the 12345 channel; returns its reference.
    func submitConsultation(kind: String, title: String, content: String, sealedContact: [UInt8]?, contactID: String) async throws -> String
}
