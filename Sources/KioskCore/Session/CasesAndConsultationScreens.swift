/// The screens of 我的办件 and the 12345 channel (CasesAndConsultation.swift).
/// The page draws them in ui/screens/cases-and-consultation.js.

/// The resident's cases, found by their card.
public struct MyCasesScreen: ScreenPayload {
    public var name: ScreenView.Name { .myCases }
    public var cases: [CaseLine]
}

/// A consultation, complaint, suggestion or request for help being written.
public struct ConsultationScreen: ScreenPayload {
    public var name: ScreenView.Name { .consultation }
    /// `consultation`, `complaint`, `suggestion` or `help`.
    public var consultationKind: String
}

/// The platform took it: its reference.
public struct ConsultationSentScreen: ScreenPayload {
    public var name: ScreenView.Name { .consultationSent }
    public var reference: String
}

/// A case as a list shows it (masked; nothing personal).
public struct CaseLine: Sendable, Equatable, Encodable {
    public var trackingNumber: String
    public var serviceName: String
    public var applicant: String
    public var status: String
    public var detail: String?

    init(_ summary: CaseSummary, _ words: Phrasebook) {
        (trackingNumber, serviceName, applicant) = (summary.trackingNumber, summary.serviceName, summary.applicantMasked)
        status = words.render(summary.status)
        detail = summary.detail.map(words.render)
    }
}
