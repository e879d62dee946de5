/// The runtime's answers to the session's effects: a scan, a lookup, the
/// outbox's commit, a reservation. Only the answer the session waits for
/// counts; a late one changes nothing.
extension SessionReducer {
    func answer(_ state: inout SessionState, _ event: SessionEvent) -> [SessionEffect] {
        guard let request = event.request, state.pending?.id == request, let pending = state.pending else {
            // A late answer (the session moved on or ended) changes nothing.
            return []
        }
        state.pending = nil
        // Waiting on the kiosk is not being idle: the idle clock starts again from the answer.
        state.lastTouch = state.now
        state.idleWarningShown = false
        switch event {
        case .agentPINChecked(_, let result):
            return agentPINChecked(&state, result)
        case .scanFinished(_, let pages):
            guard case .scan(let id) = pending.kind, let material = state.visit?.choice?.materials.first(where: { $0.id == id }) else { return [] }
            state.screen = .materials
            let kept = pages.filter { !$0.looksBlank }
            if kept.isEmpty { return tell(&state, SessionText(.scanBlank, ["material": .verbatim(material.name)])) }
            var all: [ScannedPage] = []
            if case .scanned(let earlier) = state.visit?.materials[id] { all = earlier }
            // The platform takes at most so many pages an application: the rest are not kept, and the resident is told.
            let elsewhere = scannedPages(state) - all.count
            let room = max(0, ApplicationSubmission.maximumAttachments - elsewhere - all.count)
            all += kept.prefix(room)
            state.visit?.materials[id] = all.isEmpty ? nil : .scanned(all)
            let blank = pages.count - kept.count
            var values: [String: SessionText.Value] = ["material": .verbatim(material.name), "pages": .number(all.count), "blank": .number(blank)]
            if kept.count > room {
                values["limit"] = .number(ApplicationSubmission.maximumAttachments)
                values["dropped"] = .number(kept.count - room)
                return tell(&state, SessionText(.scannedPastLimit, values))
            }
            return [say(blank > 0 ? .scannedSkippingBlank : .scanned, values)]
        case .scanFailed(_, let reason):
            state.screen = .materials
            return tell(&state, reason)
        case .eCertificatesFound(_, let types):
            guard let choice = state.visit?.choice else { return [] }
            state.visit?.eCertificatesFound = types
            var found: [String] = []
            for material in choice.materials {
                if let type = material.eCertificate, types.contains(type), state.visit?.materials[material.id] == nil {
                    state.visit?.materials[material.id] = .eCertificate(type)
                    found.append(material.name)
                }
            }
            return [found.isEmpty ? say(.eCertificatesNone) : say(.eCertificatesFound, ["materials": .list(found)])]
        case .eCertificateLookupFailed(_, let reason), .caseLookupFailed(_, let reason), .requestFailed(_, let reason):
            state.visit?.message = reason
            state.notice = state.agent != nil ? reason : state.notice
            if case .submitting = state.screen { state.screen = .review }
            return [.speak(reason)]
        case .enqueueCommitted(_, let number):
            guard pending.kind == .enqueue, state.screen == .submitting else { return [] }
            state.visit?.lastTrackingNumber = number.value
            // Online, the forwarder sends it at once: the receipt waits a moment for the platform's 受理, so it can say so.
            guard state.online else { return receipt(&state, number, caseNumber: nil) }
            let request = newRequest(&state, .platformCase(number))
            return [.awaitPlatformCase(request: request, trackingNumber: number, seconds: Self.acceptanceWait), say(.sending)]
        case .platformCase(_, let caseNumber):
            guard case .platformCase(let number) = pending.kind, state.screen == .submitting else { return [] }
            return receipt(&state, number, caseNumber: caseNumber)
        case .enqueueFailed(_, let reason):
            state.screen = .review
            return tell(&state, SessionText(.notSaved, ["reason": .text(reason)]))
        case .casesFound(_, let cases):
            return casesFound(&state, cases, for: pending.kind)
        case .reservationMade(_, let reference):
            guard case .incomplete = state.screen, var reservation = state.visit?.reservation else { return [] }
            reservation.reference = reference
            state.visit?.reservation = reservation
            state.screen = .reserved(reservation)
            return [.audit(AuditNote(action: "reserved", actor: actor(state), detail: "\(reservation.serviceCode) on \(reservation.date) ref \(reference)")),
                    say(.reserved, ["date": .date(reservation.date), "reference": .verbatim(reference), "missing": .texts(reservation.missing)])]
        case .interactionSent(_, let reference):
            state.screen = .consultationSent(reference: reference)
            return [say(.consultationSent, ["reference": .verbatim(reference)])]
        default:
            return []
        }
    }

    /// The longest the receipt waits for the platform's 受理 while online, in seconds.
    static let acceptanceWait = 5.0

    /// The outbox has the application durably: now, and only now, the receipt; with the platform's case
    /// number when it has acknowledged it already (受理回执), otherwise saying it is saved and will be sent.
    private func receipt(_ state: inout SessionState, _ number: TrackingNumber, caseNumber: String?) -> [SessionEffect] {
        guard let visit = state.visit,
              let receipt = Receipt.acceptance(of: visit, number: number, caseNumber: caseNumber, at: state.now, agent: state.agent, settings: settings,
                                               calendar: calendar) else { return [] }
        state.visit?.receipt = receipt
        state.screen = .receipt
        var effects: [SessionEffect] = [.printReceipt(receipt)]
        for material in visit.choice?.materials ?? [] {
            if case .scanned(let pages) = visit.materials[material.id] {
                effects.append(.audit(AuditNote(action: "scanned", trackingNumber: number.value, actor: actor(state), detail: "\(material.id): \(pages.count) page(s)")))
            }
        }
        effects.append(.audit(AuditNote(action: "receipted", trackingNumber: number.value, actor: actor(state), detail: receipt.serviceName)))
        effects.append(.speak(.receipt(receipt, delivery: visit.delivery ?? .stationPickup, workingDays: visit.choice?.promisedWorkingDays ?? 0,
                                       from: ChinaTime.date(state.now), calendar: calendar)))
        return effects
    }
}

extension SessionReducer {
    /// The pages scanned in this visit for the item chosen, every material's.
    func scannedPages(_ state: SessionState) -> Int {
        state.visit?.materials.values.reduce(0) { count, provision in
            if case .scanned(let pages) = provision { count + pages.count } else { count }
        } ?? 0
    }
}
