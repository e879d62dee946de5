/// The session state machine: `reduce(state, event) -> (state, [effect])`.
///
/// It knows the catalogue, the working-day calendar and the station's
/// settings, and nothing else: no device, screen, clock or network. The
/// runtime in kioskd performs the effects and feeds their results back as
/// events, so a whole visit is testable as a list of events.
///
///     let reducer = SessionReducer(catalogue: catalogue, calendar: calendar, settings: settings)
///     var state = SessionState()
///     let effects = reducer.reduce(&state, .cardPresented(resident, now: t))
///
/// Invariants the tests hold it to: the receipt screen is reached only from
/// an `enqueueCommitted` answering the session's own enqueue; ending a
/// session leaves no personal data in the state; an answer to a request the
/// session no longer waits for changes nothing.
public struct SessionReducer: Sendable {
    public var catalogue: Catalogue
    public var calendar: WorkingCalendar
    public var settings: SessionSettings

    public init(catalogue: Catalogue, calendar: WorkingCalendar, settings: SessionSettings) {
        self.catalogue = catalogue
        self.calendar = calendar
        self.settings = settings
    }

    /// The pure form: the next state and the effects.
    public func reduce(_ state: SessionState, _ event: SessionEvent) -> (SessionState, [SessionEffect]) {
        var next = state
        let effects = reduce(&next, event)
        return (next, effects)
    }

    /// Applies `event` to `state` and returns the effects to perform.
    public func reduce(_ state: inout SessionState, _ event: SessionEvent) -> [SessionEffect] {
        if let time = event.time { state.now = max(state.now, time) }
        switch event {
        case .tick:
            return tick(&state)
        case .cardPresented(let identity, _):
            return cardPresented(&state, identity)
        case .cardRefused(let message, _):
            guard state.visit == nil || state.agent != nil else { return [] }
            state.notice = message
            return [.speak(message)]
        case .cardRemoved:
            return cardRemoved(&state)
        case .touch(let touch, _):
            guard state.isActive || touch.allowedOnAttract else { return [] }
            state.lastTouch = state.now
            var effects: [SessionEffect] = []
            if state.idleWarningShown {
                state.idleWarningShown = false
                effects.append(.stopSpeaking)
            }
            return effects + self.touch(&state, touch)
        case .networkChanged(let online):
            state.online = online
            return []
        case .printFailed(let reason):
            if state.agent != nil, isStationCases(state.screen) {
                state.notice = SessionText(.reprintFailed, ["reason": .text(reason)])
                return [.speak(state.notice!)]
            }
            guard state.screen == .receipt, let number = state.visit?.lastTrackingNumber else { return [] }
            // The application is saved whatever the printer does; the number stays on screen.
            state.visit?.message = SessionText(.receiptNotPrinted, ["reason": .text(reason), "number": .verbatim(number)])
            return [.speak(state.visit!.message!)]
        default:
            return answer(&state, event)
        }
    }

    // MARK: Time

    private func tick(_ state: inout SessionState) -> [SessionEffect] {
        guard state.isActive else { return [] }
        // The kiosk is working (a scan, a commit): the resident is waiting, not gone.
        if case .scanning = state.screen { return [] }
        if state.screen == .submitting { return [] }
        let timeout = state.agent != nil ? settings.agentIdleTimeout : settings.idleTimeout
        let idle = state.now - state.lastTouch
        if idle >= timeout {
            if state.agent != nil {
                return end(&state, .idleTimeout, logOutAgent: true)
            }
            return end(&state, .idleTimeout)
        }
        if idle >= timeout - settings.idleWarning, !state.idleWarningShown {
            state.idleWarningShown = true
            let seconds = Int((timeout - idle).rounded(.up))
            return [say(.idleWarning, ["seconds": .number(seconds)])]
        }
        return []
    }

    // MARK: Cards

    private func cardPresented(_ state: inout SessionState, _ identity: ResidentIdentity) -> [SessionEffect] {
        state.lastTouch = state.now
        state.idleWarningShown = false
        // An agent card at the attract screen asks for the PIN.
        if state.visit == nil, state.agent == nil, let agent = settings.agents.first(where: { $0.cardNumber == identity.number }) {
            state.agentCandidate = agent
            state.notice = nil
            state.screen = .agentPIN
            return [say(.agentPINPrompt, ["agent": .verbatim(Masking.name(agent.name))])]
        }
        if state.agent != nil {
            // Agent mode: the card tapped is the resident being served; their consent comes next.
            guard state.screen == .agentConsole || state.screen == .proxyConsent || state.screen == .enterprise else {
                return [say(.agentBusy)]
            }
            var visit = Visit()
            visit.resident = identity
            state.visit = visit
            state.screen = .proxyConsent
            return [say(.proxyConsentPrompt, ["resident": .verbatim(identity.maskedName), "agent": .verbatim(Masking.name(state.agent!.name))])]
        }
        if case .paused = state.screen, let resident = state.visit?.resident {
            if resident.number == identity.number {
                if case .paused(let point) = state.screen { state.screen = point.screen }
                return [say(.welcomeBack)]
            }
            // Someone else: the paused visit is over, theirs begins.
            let ended = end(&state, .cardRemoved)
            return ended + cardPresented(&state, identity)
        }
        if let current = state.visit?.resident {
            if current.number == identity.number { return [] }
            return [say(.kioskInUse)]
        }
        var visit = Visit()
        visit.resident = identity
        state.visit = visit
        state.screen = .home
        return [say(.greeting, ["name": .verbatim(identity.maskedName)])]
    }

    private func cardRemoved(_ state: inout SessionState) -> [SessionEffect] {
        // Agents handle paper: the resident taps for consent and takes the card back.
        guard state.agent == nil, let visit = state.visit, visit.resident != nil else { return [] }
        let resume: ResumePoint
        switch state.screen {
        case .home, .browse, .myCases, .consultation: resume = .home
        case .guide: resume = .guide
        case .form: resume = .form
        case .materials, .incomplete: resume = .materials
        case .review: resume = .review
        // The receipt is being taken; the application is durable whatever happens now.
        case .submitting, .receipt, .rating, .done, .reserved, .consultationSent, .paused: return []
        case .scanning: resume = .materials
        case .attract, .agentPIN, .agentConsole, .stationCases, .proxyConsent, .enterprise: return []
        }
        switch settings.cardRemoval {
        case .end:
            return end(&state, .cardRemoved)
        case .pause:
            var effects: [SessionEffect] = []
            if case .scanning = state.screen {
                effects.append(.cancelScan)
                state.pending = nil
            }
            state.screen = .paused(resume: resume)
            return effects + [say(.cardTakenPaused)]
        }
    }

    // MARK: Ending

    /// Ends the resident's visit and wipes it; an agent stays logged in unless asked.
    private func end(_ state: inout SessionState, _ reason: SessionEndReason, logOutAgent: Bool = false) -> [SessionEffect] {
        var effects: [SessionEffect] = []
        if case .scanning = state.screen { effects.append(.cancelScan) }
        if logOutAgent, let agent = state.agent {
            effects.append(.audit(AuditNote(action: "agent_logout", actor: agent.masked, detail: reason.rawValue)))
            state.agent = nil
        }
        state.visit = nil
        state.agentCandidate = nil
        state.notice = nil
        state.pending = nil
        state.idleWarningShown = false
        if state.agent != nil {
            state.screen = .agentConsole
            return effects + [say(.proxyEnded)]
        }
        state.screen = .attract
        state.elderlyMode = false
        state.language = "zh"
        return effects + [.stopSpeaking, .sessionEnded(reason)]
    }

    // MARK: Touches

    private func touch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect] {
        switch touch {
        case .stillHere:
            return []
        case .elderlyMode(let on):
            state.elderlyMode = on
            return [say(on ? .elderlyOn : .elderlyOff)]
        case .language(let code):
            guard code == "zh" || code == "en" else { return [] }
            state.language = code
            return []
        case .endSession:
            if state.screen == .submitting { return [say(.saving)] }
            if state.agentCandidate != nil, state.agent == nil { return end(&state, .finished) }
            if state.agent != nil, state.visit == nil { return [] }
            return end(&state, .finished)
        case .agentPIN(let pin):
            guard state.screen == .agentPIN, let agent = state.agentCandidate, state.pending == nil else { return [] }
            let request = newRequest(&state, .agentPIN)
            return [.verifyAgentPIN(request: request, agentID: agent.id, pin: pin)]
        case .agentLogout:
            guard state.agent != nil else { return [] }
            return end(&state, .agentLogout, logOutAgent: true)
        case .agentServeResident:
            guard state.agent != nil, state.screen == .agentConsole else { return [] }
            return [say(.agentServePrompt)]
        case .agentEnterprise(let code, let name):
            guard let agent = state.agent, state.screen == .agentConsole || state.screen == .enterprise else { return [] }
            state.screen = .enterprise
            // Opening the screen: nothing typed yet, nothing to refuse.
            if code.trimmingSpaces.isEmpty, name.trimmingSpaces.isEmpty, state.visit == nil {
                state.notice = nil
                return [say(.enterprisePrompt)]
            }
            let trimmed = name.trimmingSpaces
            do {
                let credit = try UnifiedSocialCreditCode(code)
                guard !trimmed.isEmpty else {
                    state.notice = SessionText(.enterpriseNameMissing)
                    return [.speak(state.notice!)]
                }
                var visit = Visit()
                visit.enterprise = EnterpriseIdentity(creditCode: credit, name: trimmed)
                visit.consent = ProxyConsent(agentID: agent.id, residentMasked: "enterprise \(credit.masked)", at: state.now)
                state.visit = visit
                state.notice = nil
                state.screen = .home
                return [.audit(AuditNote(action: "enterprise_identified", actor: agent.masked, detail: credit.masked))]
            } catch {
                let reason: Phrase = switch error.code {
                case .wrongLength: .creditCodeLength
                case .badCheckCharacter: .creditCodeCheck
                default: .creditCodeCharacter
                }
                state.notice = SessionText(.creditCodeWrong, ["reason": .text(SessionText(reason))])
                return [.speak(state.notice!)]
            }
        case .confirmProxyConsent:
            guard let agent = state.agent, state.screen == .proxyConsent, let resident = state.visit?.resident else { return [] }
            let consent = ProxyConsent(agentID: agent.id, residentMasked: "\(resident.maskedName) \(resident.maskedNumber)", at: state.now)
            state.visit?.consent = consent
            state.screen = .home
            return [.audit(AuditNote(action: "consent_recorded", actor: agent.masked, detail: "resident \(consent.residentMasked) consented to 代办")),
                    say(.consentRecorded)]
        case .agentStationCases:
            guard state.agent != nil, state.screen == .agentConsole || isStationCases(state.screen) else { return [] }
            let request = newRequest(&state, .stationCases)
            return [.listStationCases(request: request)]
        case .back where state.agent != nil && isStationCases(state.screen):
            state.screen = .agentConsole
            return []
        case .agentReprint(let number):
            guard let agent = state.agent, isStationCases(state.screen) else { return [] }
            return [.reprintReceipt(trackingNumber: number), .audit(AuditNote(action: "reprint", trackingNumber: number, actor: agent.masked, detail: "receipt reprinted (重印)"))]
        default:
            guard state.visit != nil else { return [] }
            return visitTouch(&state, touch)
        }
    }

    private func isStationCases(_ screen: Screen) -> Bool {
        if case .stationCases = screen { return true }
        return false
    }

    private func newRequest(_ state: inout SessionState, _ kind: PendingRequest.Kind) -> Int {
        let id = state.nextRequestID
        state.nextRequestID += 1
        state.pending = PendingRequest(id: id, kind: kind)
        return id
    }

    /// Touches that need a resident (or enterprise) in front of the kiosk.
    private func visitTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect] {
        guard state.pending == nil || touch == .back else { return [] }
        state.visit?.message = nil
        switch (touch, state.screen) {
        case (.menu(let menu), _) where isMenuScreen(state.screen):
            let entries: [MenuEntry]
            switch menu {
            case .popular: entries = catalogue.popular
            case .lifeEvents, .departments: entries = []  // the screen lists the catalogue's categories
            case .lifeEvent(let id): entries = catalogue.entries(lifeEvent: id)
            case .department(let id): entries = catalogue.entries(department: id)
            case .search(let query): entries = catalogue.search(query)
            }
            state.screen = .browse(menu, entries)
            if menu == .lifeEvents { return [say(.chooseLifeEvent)] }
            if menu == .departments { return [say(.chooseDepartment)] }
            // An empty search is the keypad opening, not a search that found nothing.
            if case .search(let query) = menu, entries.isEmpty, !query.trimmingSpaces.isEmpty {
                return [say(.searchNothing, ["query": .verbatim(query)])]
            }
            return []
        case (.choose(let code), _) where isMenuScreen(state.screen):
            guard let choice = catalogue.choice(code) else { return [] }
            if let refusal = refusal(for: choice, state) {
                state.visit?.message = refusal
                return [.speak(refusal)]
            }
            state.visit?.choice = choice
            state.visit?.materials = [:]
            state.visit?.delivery = choice.delivery.first
            state.visit?.fieldProblems = [:]
            state.screen = .guide
            return [.speak(guideSpeech(choice))]
        case (.next, .guide):
            state.screen = .form
            return [say(.formPrompt)]
        case (.setField(let id, let value), .form):
            guard let field = state.visit?.choice?.formFields.first(where: { $0.id == id }), field.isTypeable else { return [] }
            state.visit?.typed[id] = value.trimmingSpaces
            state.visit?.fieldProblems[id] = field.problem(with: value)
            return state.visit?.fieldProblems[id].map { [say(.fieldProblem, ["label": .verbatim(field.label), "problem": .text($0)])] } ?? []
        case (.next, .form):
            let problems = formProblems(state)
            state.visit?.fieldProblems = Dictionary(problems.map { ($0.id, $0.problem) }, uniquingKeysWith: { a, _ in a })
            if let first = problems.first { return [say(.fieldProblem, ["label": .verbatim(first.label), "problem": .text(first.problem)])] }
            state.screen = .materials
            return [.speak(materialsSpeech(state))]
        case (.consentToECertificateLookup, .materials):
            guard let visit = state.visit, let resident = visit.resident, let choice = visit.choice else { return [] }
            guard state.online else {
                state.visit?.message = SessionText(.eCertificatesOffline)
                return [.speak(state.visit!.message!)]
            }
            let types = choice.materials.compactMap(\.eCertificate)
            guard !types.isEmpty else { return [] }
            state.visit?.eCertificateConsent = true
            let request = newRequest(&state, .eCertificates)
            return [.lookupECertificates(request: request, idNumber: resident.number, types: Array(Set(types)).sorted()),
                    .audit(AuditNote(action: "ecertificate_lookup", actor: actor(state), detail: "resident consented; \(types.count) type(s)"))]
        case (.scan(let id), .materials):
            guard let material = state.visit?.choice?.materials.first(where: { $0.id == id }) else { return [] }
            let request = newRequest(&state, .scan(materialID: id))
            state.screen = .scanning(materialID: id)
            let prompt = material.expectedPages > 1
                ? SessionText(.scanPromptPages, ["material": .verbatim(material.name), "pages": .number(material.expectedPages)])
                : SessionText(.scanPrompt, ["material": .verbatim(material.name)])
            return [.startScan(request: request, materialID: id, materialName: material.name), .speak(prompt)]
        case (.discardScan(let id), .materials):
            state.visit?.materials[id] = nil
            return []
        case (.leaveToPlatform(let id), .materials):
            guard let material = state.visit?.choice?.materials.first(where: { $0.id == id }), material.platformMayObtain else { return [] }
            state.visit?.materials[id] = .platform
            return [say(.leftToPlatform, ["material": .verbatim(material.name)])]
        case (.next, .materials):
            let missing = completenessProblems(state)
            if missing.isEmpty {
                state.screen = .review
                return [.speak(reviewSpeech(state))]
            }
            let dates = reservationDates(from: CalendarDate(unixSeconds: state.now))
            state.screen = .incomplete(missing, reservationDates: dates)
            return [say(.incomplete, ["missing": .texts(missing.map(\.text))])]
        case (.reserve(let date), .incomplete(let missing, let dates)):
            guard dates.contains(date), let choice = state.visit?.choice else { return [] }
            let request = newRequest(&state, .reservation)
            let reservation = Reservation(serviceCode: choice.code, serviceName: choice.name, missing: missing.map(\.text), date: date,
                                          applicantMasked: state.visit?.resident?.maskedName ?? state.visit?.enterprise?.name ?? "")
            state.visit?.reservation = reservation
            return [.makeReservation(request: request, reservation)]
        case (.delivery(let method), .review):
            guard state.visit?.choice?.delivery.contains(method) == true else { return [] }
            state.visit?.delivery = method
            let cardAddress = state.visit?.resident?.address
            if method == .post, state.visit?.postalAddress == nil { state.visit?.postalAddress = cardAddress }
            return []
        case (.postalAddress(let address), .review):
            guard state.agent != nil else { return [] }
            state.visit?.postalAddress = address.trimmingSpaces.isEmpty ? nil : address.trimmingSpaces
            return []
        case (.submit, .review):
            let missing = completenessProblems(state)
            guard missing.isEmpty, let submission = submission(state) else {
                state.screen = .incomplete(missing, reservationDates: reservationDates(from: CalendarDate(unixSeconds: state.now)))
                return [say(.missingSummary, ["missing": .texts(missing.map(\.text))])]
            }
            let request = newRequest(&state, .enqueue)
            state.screen = .submitting
            return [.enqueue(request: request, submission), say(.saving)]
        case (.printAgain, .receipt):
            guard let receipt = state.visit?.receipt else { return [] }
            return [.printReceipt(receipt)]
        case (.next, .receipt):
            guard let number = state.visit?.lastTrackingNumber, state.visit?.rated.contains(number) == false else {
                state.screen = .done
                return []
            }
            state.screen = .rating
            return [say(.ratingPrompt)]
        case (.rate(let level, let reasons), .rating):
            guard let number = state.visit?.lastTrackingNumber, state.visit?.rated.contains(number) == false else { return [] }
            let chosen = reasons.filter { Satisfaction.reasons.contains($0) }
            if level.needsReason, chosen.isEmpty {
                state.visit?.message = SessionText(.ratingReasonNeeded)
                return [.speak(state.visit!.message!)]
            }
            state.visit?.rated.insert(number)
            state.screen = .done
            return [.submitRating(Rating(trackingNumber: number, level: level, reasons: level.needsReason ? chosen : [], channel: "5", at: state.now)),
                    .audit(AuditNote(action: "rated", trackingNumber: number, actor: actor(state), detail: "\(level.rawValue) \(level.chinese)")),
                    say(.ratingThanks)]
        case (.skipRating, .rating):
            state.screen = .done
            return []
        case (.next, .done):
            // Another matter in the same visit: what was typed is offered again (一表申请).
            state.visit?.choice = nil
            state.visit?.materials = [:]
            state.visit?.receipt = nil
            state.screen = .home
            return []
        case (.myCases, _) where isMenuScreen(state.screen) || state.screen == .done:
            guard let resident = state.visit?.resident else { return [] }
            let request = newRequest(&state, .myCases)
            return [.lookupCases(request: request, idNumber: resident.number)]
        case (.startConsultation(let kind), _) where isMenuScreen(state.screen) || state.screen == .done:
            state.screen = .consultation(kind)
            return [say(.consultationPrompt, ["kind": .text(SessionText(kind.phrase))])]
        case (.sendConsultation(let text, let phone), .consultation(let kind)):
            let body = text.trimmingSpaces
            guard !body.isEmpty, body.count <= 500 else {
                state.visit?.message = SessionText(body.isEmpty ? .consultationEmpty : .consultationTooLong)
                return [.speak(state.visit!.message!)]
            }
            if let phone, let problem = FormField(id: "phone", label: "联系电话", kind: .phone, required: false).problem(with: phone) {
                state.visit?.message = SessionText(.fieldProblem, ["label": .text(SessionText(.phoneLabel)), "problem": .text(problem)])
                return [.speak(state.visit!.message!)]
            }
            let request = newRequest(&state, .interaction)
            let interaction = Interaction(kind: kind, text: body, serviceCode: state.visit?.choice?.code, personName: state.visit?.resident?.name,
                                          personIDNumber: state.visit?.resident?.number, phone: phone, at: state.now)
            return [.submitInteraction(request: request, interaction)]
        case (.back, _):
            return back(&state)
        default:
            return []
        }
    }

    private func isMenuScreen(_ screen: Screen) -> Bool {
        switch screen {
        case .home, .browse, .myCases, .consultationSent: true
        default: false
        }
    }

    private func back(_ state: inout SessionState) -> [SessionEffect] {
        switch state.screen {
        // From a life event's or a department's services, back to the list it was picked from.
        case .browse(.lifeEvent, _): state.screen = .browse(.lifeEvents, [])
        case .browse(.department, _): state.screen = .browse(.departments, [])
        case .browse, .guide, .myCases, .consultation, .consultationSent, .reserved: state.screen = .home
        case .form: state.screen = .guide
        case .materials: state.screen = .form
        case .incomplete, .review: state.screen = .materials
        case .scanning:
            state.pending = nil
            state.screen = .materials
            return [.cancelScan]
        case .stationCases: state.screen = .agentConsole
        default: break
        }
        return []
    }

    // MARK: Answers

    private func answer(_ state: inout SessionState, _ event: SessionEvent) -> [SessionEffect] {
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
            guard let agent = state.agentCandidate else { return [] }
            switch result {
            case .accepted:
                state.agent = agent
                state.agentCandidate = nil
                state.notice = nil
                state.lastTouch = state.now
                state.screen = .agentConsole
                return [.audit(AuditNote(action: "agent_login", actor: agent.masked)), say(.agentLoggedIn)]
            case .wrong(let left):
                state.notice = SessionText(.pinWrong, ["tries": .number(left)])
                return [.audit(AuditNote(action: "agent_login_failed", actor: agent.masked, detail: "\(left) tries left")), .speak(state.notice!)]
            case .locked(let until):
                state.notice = SessionText(.pinLocked, ["minutes": .number(max(1, Int(((until - state.now) / 60).rounded(.up))))])
                return [.audit(AuditNote(action: "agent_locked", actor: agent.masked)), .speak(state.notice!)]
            }
        case .scanFinished(_, let pages):
            guard case .scan(let id) = pending.kind, let material = state.visit?.choice?.materials.first(where: { $0.id == id }) else { return [] }
            state.screen = .materials
            let kept = pages.filter { !$0.looksBlank }
            if kept.isEmpty {
                state.visit?.message = SessionText(.scanBlank, ["material": .verbatim(material.name)])
                return [.speak(state.visit!.message!)]
            }
            var all: [ScannedPage] = []
            if case .scanned(let earlier) = state.visit?.materials[id] { all = earlier }
            all += kept
            state.visit?.materials[id] = .scanned(all)
            let blank = pages.count - kept.count
            let values: [String: SessionText.Value] = ["material": .verbatim(material.name), "pages": .number(all.count), "blank": .number(blank)]
            return [say(blank > 0 ? .scannedSkippingBlank : .scanned, values)]
        case .scanFailed(_, let reason):
            state.screen = .materials
            state.visit?.message = reason
            return [.speak(reason)]
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
            guard pending.kind == .enqueue, state.screen == .submitting, let receipt = receipt(state, number) else { return [] }
            state.visit?.receipt = receipt
            state.visit?.lastTrackingNumber = number.value
            state.screen = .receipt
            var effects: [SessionEffect] = [.printReceipt(receipt)]
            for material in state.visit?.choice?.materials ?? [] {
                if case .scanned(let pages) = state.visit?.materials[material.id] {
                    effects.append(.audit(AuditNote(action: "scanned", trackingNumber: number.value, actor: actor(state), detail: "\(material.id): \(pages.count) page(s)")))
                }
            }
            effects.append(.audit(AuditNote(action: "receipted", trackingNumber: number.value, actor: actor(state), detail: receipt.serviceName)))
            effects.append(.speak(receiptSpeech(receipt, state)))
            return effects
        case .enqueueFailed(_, let reason):
            state.screen = .review
            state.visit?.message = SessionText(.notSaved, ["reason": .text(reason)])
            return [.speak(state.visit!.message!)]
        case .casesFound(_, let cases):
            if pending.kind == .stationCases {
                guard state.agent != nil else { return [] }
                state.screen = .stationCases(cases)
            } else {
                state.screen = .myCases(cases)
            }
            return [cases.isEmpty ? say(.casesNone) : say(.casesFound, ["count": .number(cases.count)])]
        case .reservationMade(_, let reference):
            guard case .incomplete = state.screen, let reservation = state.visit?.reservation else { return [] }
            state.screen = .reserved(reservation)
            return [.audit(AuditNote(action: "reserved", actor: actor(state), detail: "\(reservation.serviceCode) on \(reservation.date) ref \(reference)")),
                    say(.reserved, ["date": .date(reservation.date), "missing": .texts(reservation.missing)])]
        case .interactionSent(_, let reference):
            state.screen = .consultationSent(reference: reference)
            return [say(.consultationSent, ["reference": .verbatim(reference)])]
        default:
            return []
        }
    }

    // MARK: The journey's rules

    private func refusal(for choice: ServiceChoice, _ state: SessionState) -> SessionText? {
        let applicants = choice.applicants
        let service: [String: SessionText.Value] = ["service": .verbatim(choice.name)]
        if state.visit?.enterprise != nil, !applicants.contains(.legalEntity) { return SessionText(.onlyPerson, service) }
        if state.visit?.enterprise == nil, !applicants.contains(.person) { return SessionText(.onlyOrganisation, service) }
        if state.agent != nil, !choice.proxyAllowed { return SessionText(.noProxy, service) }
        return nil
    }

    /// The form's values: typed ones, else the card's.
    public func formValues(_ state: SessionState) -> [String: String] {
        guard let visit = state.visit, let choice = visit.choice else { return [:] }
        var values: [String: String] = [:]
        for field in choice.formFields {
            if let typed = visit.typed[field.id], field.isTypeable {
                values[field.id] = typed
            } else if let source = field.fromIdentity, let resident = visit.resident {
                values[field.id] = resident.value(for: source)
            }
        }
        return values
    }

    private func formProblems(_ state: SessionState) -> [(id: String, label: String, problem: SessionText)] {
        guard let choice = state.visit?.choice else { return [] }
        let values = formValues(state)
        return choice.formFields.compactMap { field in field.problem(with: values[field.id] ?? "").map { (field.id, field.label, $0) } }
    }

    /// Everything that would bounce the case if it were submitted now.
    public func completenessProblems(_ state: SessionState) -> [MissingRequirement] {
        guard let visit = state.visit, let choice = visit.choice else { return [] }
        var missing: [MissingRequirement] = []
        if let refusal = refusal(for: choice, state) { missing.append(.applicant(refusal)) }
        for problem in formProblems(state) { missing.append(.field(id: problem.id, label: problem.label, problem: problem.problem)) }
        for material in choice.materials where material.required && visit.materials[material.id] == nil {
            missing.append(.material(id: material.id, name: material.name))
        }
        if visit.delivery == .post, (visit.postalAddress ?? "").count < 5 { missing.append(.postalAddress) }
        return missing
    }

    /// The next five working days after today, for a reservation; fewer when the calendar runs out.
    private func reservationDates(from today: CalendarDate) -> [CalendarDate] {
        var dates: [CalendarDate] = []
        var day = today
        while dates.count < 5 {
            day = day.next
            guard let working = calendar.isWorkingDay(day) else { break }
            if working { dates.append(day) }
        }
        return dates
    }

    private func actor(_ state: SessionState) -> String {
        if let agent = state.agent { return "\(agent.masked) for \(state.visit?.maskedApplicant ?? "")" }
        return state.visit?.maskedApplicant ?? "kiosk"
    }

    private func submission(_ state: SessionState) -> ApplicationSubmission? {
        guard let visit = state.visit, let choice = visit.choice else { return nil }
        let applicantName: String, certificateType: String, certificateNumber: String
        if let enterprise = visit.enterprise {
            applicantName = enterprise.name
            certificateType = "001"  // 统一社会信用代码
            certificateNumber = enterprise.creditCode.value
        } else if let resident = visit.resident {
            applicantName = resident.name
            certificateType = resident.cardType.certificateTypeCode
            certificateNumber = resident.number
        } else {
            return nil
        }
        var form = formValues(state)
        form["delivery"] = visit.delivery?.rawValue ?? DeliveryMethod.stationPickup.rawValue
        if visit.delivery == .post { form["postal_address"] = visit.postalAddress }
        if let consent = visit.consent {
            form["proxy_consent"] = "agent \(consent.agentID) consent by \(consent.residentMasked) at \(Int(consent.at))"
        }
        form["items"] = choice.items.map(\.code).joined(separator: ",")
        var byOther: [String: String] = [:]
        var attachments: [ApplicationSubmission.Attachment] = []
        for material in choice.materials {
            switch visit.materials[material.id] {
            case .scanned(let pages)?:
                attachments += pages.map { ApplicationSubmission.Attachment(material: material.id, mediaType: $0.mediaType, data: $0.data) }
            case .eCertificate(let type)?: byOther[material.id] = "e_certificate:\(type)"
            case .platform?: byOther[material.id] = "platform"
            case nil: break
            }
        }
        return ApplicationSubmission(
            serviceCode: choice.items.count == 1 ? choice.items[0].implementationCode : choice.code, serviceName: choice.name,
            applicantName: applicantName, applicantCertificateType: certificateType, applicantCertificateNumber: certificateNumber,
            phone: form["phone"], agent: state.agent?.masked, form: form, materialsByOther: byOther, channel: "5",
            regionCode: settings.regionCode, attachments: attachments)
    }

    private func receipt(_ state: SessionState, _ number: TrackingNumber) -> Receipt? {
        guard let visit = state.visit, let choice = visit.choice else { return nil }
        let today = CalendarDate(unixSeconds: state.now)
        let materials: [Receipt.Material] = choice.materials.compactMap { material in
            switch visit.materials[material.id] {
            case .scanned(let pages)?: Receipt.Material(name: material.name, how: "扫描 \(pages.count) 页")
            case .eCertificate?: Receipt.Material(name: material.name, how: "电子证照")
            case .platform?: Receipt.Material(name: material.name, how: "平台调取")
            case nil: nil
            }
        }
        let seconds = Int(state.now) + 8 * 3600
        let time = "\(seconds % 86_400 / 3600):\(seconds % 3600 / 60 < 10 ? "0" : "")\(seconds % 3600 / 60)"
        let applicant = visit.resident?.maskedName ?? visit.enterprise?.name ?? ""
        return Receipt(
            id: number.value, trackingNumber: number.value, stationName: settings.stationName, serviceName: choice.name, applicant: applicant,
            agent: state.agent?.masked, submittedAt: "\(today.chinese) \(time)", materials: materials,
            promise: calendar.promise(workingDays: choice.promisedWorkingDays, from: today), delivery: (visit.delivery ?? .stationPickup).chinese,
            trackingURL: settings.trackingURLBase + number.value, enquiries: choice.items.first?.consultationPhone ?? "12345")
    }

    // MARK: Speech

    private func say(_ phrase: Phrase, _ values: [String: SessionText.Value] = [:]) -> SessionEffect {
        .speak(SessionText(phrase, values))
    }

    private func guideSpeech(_ choice: ServiceChoice) -> SessionText {
        let materials = choice.materials.filter(\.required).map(\.name)
        let days = choice.promisedWorkingDays
        return SessionText(.guide, [
            "service": .verbatim(choice.name), "conditions": .clauses(choice.items.flatMap(\.conditions)),
            "materials": materials.isEmpty ? .text(SessionText(.nothing)) : .list(materials),
            "promise": .text(days == 0 ? SessionText(.promiseSameDay) : SessionText(.promiseWithin, ["days": .number(days)])),
        ])
    }

    private func materialsSpeech(_ state: SessionState) -> SessionText {
        let needed: SessionText.Value = .list(state.visit?.choice?.materials.filter(\.required).map(\.name) ?? [])
        let phrase: Phrase = !state.online ? .materialsPromptOffline : state.visit?.resident != nil ? .materialsPromptECertificates : .materialsPrompt
        return SessionText(phrase, ["materials": needed])
    }

    private func reviewSpeech(_ state: SessionState) -> SessionText {
        let days = state.visit?.choice?.promisedWorkingDays ?? 0
        return SessionText(.reviewPrompt, ["promise": .text(promise(workingDays: days, from: CalendarDate(unixSeconds: state.now)))])
    }

    private func receiptSpeech(_ receipt: Receipt, _ state: SessionState) -> SessionText {
        let days = state.visit?.choice?.promisedWorkingDays ?? 0
        // Numbers digit by digit, so they are read out as they are written down (12345, not 一万两千…).
        let spelled = { (text: String) in SessionText.Value.verbatim(text.map { String($0) }.joined(separator: " ")) }
        return SessionText(.receiptSpoken, [
            "service": .verbatim(receipt.serviceName), "number": spelled(receipt.trackingNumber),
            "materials": receipt.materials.isEmpty ? .text(SessionText(.nothing)) : .list(receipt.materials.map(\.name)),
            "promise": .text(promise(workingDays: days, from: CalendarDate(unixSeconds: state.now))),
            "delivery": .text(SessionText((state.visit?.delivery ?? .stationPickup).phrase)), "phone": spelled(receipt.enquiries),
        ])
    }

    /// When the case will be done, as the receipt promises it.
    private func promise(workingDays: Int, from today: CalendarDate) -> SessionText {
        switch calendar.promise(workingDays: workingDays, from: today) {
        case .immediately: SessionText(.promiseSameDay)
        case .by(let date): SessionText(.promiseBy, ["date": .date(date)])
        case .unknown: SessionText(.promiseUnpublished, ["days": .number(workingDays), "year": .number(calendar.firstUnpublishedYear(from: today))])
        }
    }
}

extension DeliveryMethod {
    public var phrase: Phrase {
        switch self {
        case .stationPickup: .deliveryStationPickup
        case .post: .deliveryPost
        case .electronic: .deliveryElectronic
        }
    }
}

extension Interaction.Kind {
    public var phrase: Phrase {
        switch self {
        case .consultation: .kindConsultation
        case .complaint: .kindComplaint
        case .suggestion: .kindSuggestion
        case .help: .kindHelp
        }
    }
}

extension ResumePoint {
    var screen: Screen {
        switch self {
        case .home: .home
        case .guide: .guide
        case .form: .form
        case .materials: .materials
        case .review: .review
        }
    }
}

extension Touch {
    /// Touches that mean something with nobody identified yet.
    var allowedOnAttract: Bool {
        switch self {
        case .elderlyMode, .language, .stillHere: true
        default: false
        }
    }
}

extension FormField {
    /// Fields the resident types (an address from the card may be corrected; the rest of the card may not).
    var isTypeable: Bool { fromIdentity == nil || fromIdentity == .address }
}

extension ResidentIdentity {
    func value(for source: FormField.IdentitySource) -> String? {
        switch source {
        case .name: name
        case .idNumber: number
        case .gender: gender == .male ? "男" : gender == .female ? "女" : nil
        case .birthDate: birthDate.description
        case .address: address
        case .nation: nation.map { "\($0)" }
        }
    }
}

extension SessionEvent {
    var request: Int? {
        switch self {
        case .scanFinished(let r, _), .scanFailed(let r, _), .eCertificatesFound(let r, _), .eCertificateLookupFailed(let r, _),
             .enqueueCommitted(let r, _), .enqueueFailed(let r, _), .casesFound(let r, _), .caseLookupFailed(let r, _),
             .agentPINChecked(let r, _), .reservationMade(let r, _), .interactionSent(let r, _), .requestFailed(let r, _): r
        default: nil
        }
    }
}
