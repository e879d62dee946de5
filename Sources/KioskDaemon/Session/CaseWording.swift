import KioskCore

extension CaseSummary {
    /// A case as the resident (我的办件) or the agent sees it: the station's own
    /// status while the platform does not have it (待上报, 待工作人员处理, and
    /// what happens next), the platform's once it does.
    init(_ application: QueuedApplication) {
        let status: SessionText
        var details = application.platformStatusDetail.map { [SessionText.asGiven($0)] } ?? []
        switch application.state {
        case .queued:
            status = SessionText(.caseQueued)
            details = [SessionText(.caseQueuedDetail)]
        case .deadLetter:
            status = SessionText(.caseDeadLetter)
            details = [SessionText(.caseDeadLetterDetail)]
        case .acknowledged:
            status = application.platformStatus.map(SessionText.platformStatus) ?? SessionText(.caseAccepted)
            if !application.requested.isEmpty { details.append(SessionText(.caseRequested, ["materials": .list(application.requested)])) }
            if let ems = application.emsNumber, application.platformStatus == CaseEvent.Kind.posted.status {
                details.append(SessionText(.casePostedNumber, ["number": .verbatim(ems)]))
            }
            if let fee = application.fee {
                details.append(SessionText(fee.paid ? .caseFeePaid : .caseFeeDue, ["amount": .verbatim(fee.yuan)]))
            }
        }
        let detail: SessionText? = details.count > 1 ? SessionText(.asGiven, ["text": .texts(details)]) : details.first
        self.init(trackingNumber: application.trackingNumber.value, serviceName: application.serviceName,
                  applicantMasked: application.applicantMasked, status: status, detail: detail, caseNumber: application.caseNumber)
    }
}
