/// The screens after the application is durable (AfterReceipt.swift): the
/// receipt, the rating, and another matter or the end. The page draws them in
/// ui/screens/after-receipt.js.

/// The receipt as printed, on screen (its QR code at `GET /api/receipt-qr.png`).
public struct ReceiptScreen: ScreenPayload {
    public var name: ScreenView.Name { .receipt }
    public var receipt: ReceiptShown
}

/// The receipt's lines. Its own words are Chinese (it is the printed record); its date and promise follow the screen.
public struct ReceiptShown: Sendable, Equatable, Encodable {
    /// 平台已受理, or saved here and to be sent: what the receipt says of where the application is.
    public var status: String
    /// The platform's case number, once it has the case.
    public var caseNumber: String?
    public var trackingNumber: String
    public var serviceName: String
    public var applicant: String
    public var submittedAt: String
    public var promise: String
    public var delivery: String
    public var postalAddress: String?
    public var trackingURL: String
    public var materials: [String]
    /// An agent may print the application form on A4 for the resident's signature.
    public var formForSignature: Bool
}

/// 好差评: the levels, and once one is chosen its reasons and a comment.
public struct RatingScreen: ScreenPayload {
    public var name: ScreenView.Name { .rating }
    public var rating: RatingChoice
}

/// The rating being given: once a level is chosen, its reasons (required for the two lowest) and those ticked.
public struct RatingChoice: Sendable, Equatable, Encodable {
    /// 1 非常满意 … 5 非常不满意, once one was chosen.
    public var level: Int?
    public var reasons: [String]
    public var chosen: [String]
    public var commentLimit: Int
}

/// After rating: another matter, or leave.
public struct DoneScreen: ScreenPayload {
    public var name: ScreenView.Name { .done }
}

extension SessionReducer {
    func receiptScreen(_ state: SessionState, words: Phrasebook) -> ReceiptScreen? {
        guard let printed = state.visit?.receipt else { return nil }
        let promise: String = switch printed.promise {
        case .by(let date): words.render(date)
        case .immediately: words.render(SessionText(.promiseSameDay))
        case .unknown(let text): text
        }
        return ReceiptScreen(receipt: ReceiptShown(
            status: words.render(SessionText(printed.caseNumber == nil ? .receiptSaved : .receiptAccepted)), caseNumber: printed.caseNumber,
            trackingNumber: printed.trackingNumber, serviceName: printed.serviceName, applicant: printed.applicant, submittedAt: printed.submittedAt,
            promise: promise, delivery: printed.delivery, postalAddress: printed.postalAddress, trackingURL: printed.trackingURL,
            materials: printed.materials.map { "\($0.name)（\($0.how)）" }, formForSignature: state.agent != nil))
    }

    func ratingScreen(_ state: SessionState) -> RatingScreen {
        let draft = state.visit?.ratingDraft
        return RatingScreen(rating: RatingChoice(level: draft?.level.rawValue, reasons: draft?.level.reasons ?? [], chosen: draft?.reasons ?? [],
                                                 commentLimit: Rating.commentLimit))
    }
}
