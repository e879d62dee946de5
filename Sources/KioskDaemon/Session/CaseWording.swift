import KioskCore

extension CaseSummary {
    /// A case as the resident (我的办件) or the agent sees it: the station's own
    /// status while the platform does not have it (待上报, 待工作人员处理, and
    /// what happens next), the platform's once it does.
    init(_ application: QueuedApplication) {
        let status: SessionText
        var detail = application.platformStatusDetail.map(SessionText.asGiven)
        switch application.state {
        case .queued:
            status = SessionText(.caseQueued)
            detail = SessionText(.caseQueuedDetail)
        case .deadLetter:
            status = SessionText(.caseDeadLetter)
            detail = SessionText(.caseDeadLetterDetail)
        case .acknowledged:
            status = application.platformStatus.map(SessionText.platformStatus) ?? SessionText(.caseAccepted)
        }
        self.init(trackingNumber: application.trackingNumber.value, serviceName: application.serviceName,
                  applicantMasked: application.applicantMasked, status: status, detail: detail, caseNumber: application.caseNumber)
    }
}
