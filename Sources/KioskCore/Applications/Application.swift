/// An application as the session hands it to the outbox: everything the
/// platform needs (GB/T 39046 办事申请 fields), including personal data and
/// scans, which the outbox seals before anything reaches the disk.
public struct ApplicationSubmission: Sendable, Equatable {
    /// The most attachments (scanned pages) one application may carry: the platform takes no more
    /// (docs/platform-api.yaml, `Submission.attachments`), so the kiosk stops there, before any receipt.
    public static let maximumAttachments = 100
    /// The most bytes of the sealed envelope (its `payload` is at most 1,000,000 characters,
    /// `SealedEnvelope`): form fields are bounded far below (``FormField/longestValue``).
    public static let maximumEnvelopeBytes = 1_000_000

    /// An attached material.
    public struct Attachment: Sendable, Equatable {
        /// The material it is (户口簿首页…).
        public var material: String
        /// `image/jpeg`, `image/png`, `application/pdf`.
        public var mediaType: String
        /// The bytes (a scanned page).
        public var data: [UInt8]

        /// Creates an attachment.
        public init(material: String, mediaType: String, data: [UInt8]) {
            self.material = material
            self.mediaType = mediaType
            self.data = data
        }
    }

    /// 实施编码 of the service item (or the bundle's code).
    public var serviceCode: String
    /// The item's name, shown in the station's case list.
    public var serviceName: String
    /// 申请者名称.
    public var applicantName: String
    /// 申请者证件类型代码 (111 居民身份证, 553 外国人永久居留身份证, 990 其他, …).
    public var applicantCertificateType: String
    /// The certificate's name (港澳居民居住证 …): what 990 其他 stands for.
    public var applicantCertificateName: String?
    /// 申请者证件号码.
    public var applicantCertificateNumber: String
    /// 手机.
    public var phone: String?
    /// 代理人 (the agent handling it on the resident's behalf), masked as the station knows them.
    public var agent: String?
    /// The form's fields, by name.
    public var form: [String: String]
    /// Materials obtained by data sharing or left to the platform, by name and how.
    public var materialsByOther: [String: String]
    /// 申报来源: the kiosk.
    public var channel: String
    /// 行政区划代码 of the station.
    public var regionCode: String
    /// Scanned materials.
    public var attachments: [Attachment]
    /// A slow, salted hash of the applicant's certificate number, kept in the
    /// clear so 我的办件 can find the resident's cases without keeping their
    /// number (see ``ApplicantLookup`` in AgentAuth); nil: not findable by card.
    public var applicantLookupKey: String?

    /// Whether the applicant is a person who can find the case later by their card
    /// (我的办件), not an enterprise served by an agent.
    public var isFindableByCard: Bool { applicantCertificateType != CertificateType.unifiedSocialCreditCode }

    /// Creates a submission.
    public init(serviceCode: String, serviceName: String, applicantName: String, applicantCertificateType: String, applicantCertificateName: String? = nil,
                applicantCertificateNumber: String,
                phone: String? = nil, agent: String? = nil, form: [String: String] = [:], materialsByOther: [String: String] = [:],
                channel: String = ApplicationChannel.selfServiceTerminal, regionCode: String, attachments: [Attachment], applicantLookupKey: String? = nil) {
        self.serviceCode = serviceCode
        self.serviceName = serviceName
        self.applicantName = applicantName
        self.applicantCertificateType = applicantCertificateType
        self.applicantCertificateName = applicantCertificateName
        self.applicantCertificateNumber = applicantCertificateNumber
        self.phone = phone
        self.agent = agent
        self.form = form
        self.materialsByOther = materialsByOther
        self.channel = channel
        self.regionCode = regionCode
        self.attachments = attachments
        self.applicantLookupKey = applicantLookupKey
    }
}

/// Where an application stands at the station.
public enum ApplicationState: String, Sendable, CaseIterable {
    /// Sealed and queued; not yet accepted by the platform.
    case queued
    /// The platform acknowledged it and gave its case number.
    case acknowledged
    /// The platform refused it for good (a 4xx other than 408/429): a maintainer looks at the reason.
    case deadLetter = "dead_letter"
}

/// What the station may keep in the clear about an application.
public struct QueuedApplication: Sendable, Equatable {
    public var trackingNumber: TrackingNumber
    public var idempotencyKey: String
    public var serviceCode: String
    public var serviceName: String
    public var applicantMasked: String
    public var state: ApplicationState
    /// Unix seconds.
    public var createdAt: Double
    public var attempts: Int
    public var nextAttemptAt: Double?
    public var lastError: String?
    /// 办件编号 assigned by the platform.
    public var caseNumber: String?
    /// The platform's latest status (受理, 办结, 退回 …) and its detail.
    public var platformStatus: String?
    public var platformStatusDetail: String?
    /// What the platform's latest 退回 asks for (补正).
    public var requested: [String] = []
    /// The EMS number of a result posted.
    public var emsNumber: String?
    /// A fee the platform asks, in fen, and whether it says it is paid.
    public var fee: CaseFee?
    /// Bytes of sealed payload and attachments.
    public var bytes: Int
    /// Whether the sealed payload is still on the kiosk (purged after acknowledgement).
    public var sealedPayloadPresent: Bool
    /// Set when reconciliation found attachment files missing.
    public var problem: String?

    public init(trackingNumber: TrackingNumber, idempotencyKey: String, serviceCode: String, serviceName: String, applicantMasked: String, state: ApplicationState,
                createdAt: Double, attempts: Int, nextAttemptAt: Double?, lastError: String?, caseNumber: String?, platformStatus: String?,
                platformStatusDetail: String?, bytes: Int, sealedPayloadPresent: Bool, problem: String?) {
        self.trackingNumber = trackingNumber
        self.idempotencyKey = idempotencyKey
        self.serviceCode = serviceCode
        self.serviceName = serviceName
        self.applicantMasked = applicantMasked
        self.state = state
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.caseNumber = caseNumber
        self.platformStatus = platformStatus
        self.platformStatusDetail = platformStatusDetail
        self.bytes = bytes
        self.sealedPayloadPresent = sealedPayloadPresent
        self.problem = problem
    }
}

/// `0 bytes`, `812 bytes`, `4.2 kB`, `51.9 GB` (decimal units, as `df -H`): a size for a
/// maintainer's screen. Not Foundation's formatter: it loads ICU's data, a few
/// megabytes of resident memory for kioskd, to print a number.
public func byteText(_ bytes: Int) -> String {
    guard bytes >= 1000 else { return bytes == 1 ? "1 byte" : "\(max(0, bytes)) bytes" }
    var value = Double(bytes)
    var unit = 0
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"]
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    // One decimal below 100 (4.2 MB), none above (512 MB).
    let tenths = Int((value * 10).rounded())
    return value >= 100 || tenths % 10 == 0 && value >= 10 ? "\(Int(value.rounded())) \(units[unit])" : "\(tenths / 10).\(tenths % 10) \(units[unit])"
}

/// `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: an age for a maintainer's screen.
public func ageText(seconds: Double) -> String {
    let s = max(0, Int(seconds))
    switch s {
    case ..<60: return "\(s) s"
    case ..<3600: return "\(s / 60) min"
    case ..<86_400: return s % 3600 / 60 == 0 ? "\(s / 3600) h" : "\(s / 3600) h \(s % 3600 / 60) min"
    default: return s % 86_400 / 3600 == 0 ? "\(s / 86_400) d" : "\(s / 86_400) d \(s % 86_400 / 3600) h"
    }
}
