/// A resident's visit: the card starts it, then the menu, the guide
/// (一次性告知), the form, the materials, the completeness check, review,
/// submit and the receipt, rating, and another matter or the end.
extension SessionReducer {
    // MARK: Cards

    func cardPresented(_ state: inout SessionState, _ identity: ResidentIdentity) -> [SessionEffect] {
        state.cardOnReader = identity.cardFingerprint
        // The last resident's card, never taken away, read again (a reader that reconnected): it starts nothing.
        if let left = state.cardLeft, !state.isActive {
            if left.card == identity.cardFingerprint { return notify(&state, SessionText(.takeYourCard)) }
            state.cardLeft = nil
            state.notice = nil
        }
        state.lastTouch = state.now
        state.idleWarningShown = false
        // Out of service, nobody starts anything a receipt could not follow; a visit under way goes on.
        if let reason = state.outOfService, state.visit == nil, state.agent == nil {
            return notify(&state, SessionText(.outOfService, ["reason": .text(reason), "phone": .verbatim(settings.stationPhone)]))
        }
        if let effects = agentCardPresented(&state, identity) { return effects }
        if let agent = state.agent { return residentCardForAgent(&state, identity, agent: agent) }
        if case .paused(let point) = state.screen, let resident = state.visit?.resident {
            if resident.number == identity.number {
                state.screen = point.screen
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
        if !state.elderlyMode, identity.age(on: ChinaTime.date(state.now)) >= SessionSettings.elderlyAge {
            state.elderlyMode = true
            state.elderlyOffered = true
            return [say(.greetingElderly, ["name": .verbatim(identity.maskedName)])]
        }
        return [say(.greeting, ["name": .verbatim(identity.maskedName)])]
    }

    func cardRemoved(_ state: inout SessionState) -> [SessionEffect] {
        state.cardOnReader = nil
        if state.cardLeft != nil {
            state.cardLeft = nil
            state.notice = nil
            return state.isActive ? [] : [say(.cardTakenThanks)]
        }
        // Agents handle paper: the resident taps for consent and takes the card back.
        guard state.agent == nil, let visit = state.visit, visit.resident != nil else { return [] }
        let resume: ResumePoint
        switch state.screen {
        case .home, .browse, .myCases, .consultation: resume = .home
        case .guide, .conditions, .ineligible: resume = .guide
        case .form: resume = .form
        case .materials, .incomplete: resume = .materials
        case .review: resume = .review
        // The receipt is being taken; the application is durable whatever happens now.
        case .submitting, .receipt, .rating, .done, .reserved, .consultationSent, .paused: return []
        case .scanning, .page: resume = .materials
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

    // MARK: Touches

    /// Touches that need a resident (or enterprise) in front of the kiosk.
    func visitTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect] {
        guard state.pending == nil || touch == .back else { return [] }
        state.visit?.message = nil
        if let effects = casesAndConsultationTouch(&state, touch) { return effects }
        if let effects = conditionsTouch(&state, touch) { return effects }
        if let effects = materialsTouch(&state, touch) { return effects }
        if let effects = afterReceiptTouch(&state, touch) { return effects }
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
            if let refusal = refusal(for: choice, state) { return tell(&state, refusal) }
            state.visit?.choice = choice
            state.visit?.materials = [:]
            state.visit?.delivery = choice.delivery.first
            state.visit?.fieldProblems = [:]
            state.visit?.conditionAnswers = [:]
            // What the card answers is checked now, before anything is typed or scanned.
            if let refused = cardRefusal(state) { return refuse(&state, refused.condition, reason: refused.reason) }
            state.screen = .guide
            return [.speak(.guide(for: choice))]
        case (.printGuide, .guide), (.printGuide, .ineligible):
            guard let choice = state.visit?.choice else { return [] }
            return [.printNotice(.guide(for: choice, settings: settings), preferA4: true), say(.printingGuide)]
        case (.next, .guide):
            if hasConditionsToConfirm(state) {
                state.screen = .conditions
                return [say(.conditionsPrompt)]
            }
            state.screen = .form
            return [say(.formPrompt)]
        case (.setField(let id, let value), .form):
            guard let field = state.visit?.choice?.formFields.first(where: { $0.id == id }), field.isTypeable else { return [] }
            state.visit?.typed[id] = value.trimmingSpaces
            state.visit?.fieldProblems[id] = field.problem(with: value)
            if let problem = state.visit?.fieldProblems[id] { return [say(.fieldProblem, ["label": .verbatim(field.label), "problem": .text(problem)])] }
            return state.elderlyMode && !value.trimmingSpaces.isEmpty ? [say(.fieldConfirmed, ["label": .verbatim(field.label)])] : []
        case (.next, .form):
            let problems = formProblems(state)
            state.visit?.fieldProblems = Dictionary(problems.map { ($0.id, $0.problem) }, uniquingKeysWith: { a, _ in a })
            if let first = problems.first { return [say(.fieldProblem, ["label": .verbatim(first.label), "problem": .text(first.problem)])] }
            state.screen = .materials
            return [.speak(.materialsNeeded(for: state.visit?.choice, online: state.online, resident: state.visit?.resident != nil))]
        case (.next, .materials):
            let missing = completenessProblems(state)
            if missing.isEmpty {
                state.screen = .review
                return [.speak(.review(workingDays: state.visit?.choice?.promisedWorkingDays ?? 0, from: ChinaTime.date(state.now), calendar: calendar))]
            }
            let dates = reservationDates(from: ChinaTime.date(state.now))
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
            return state.elderlyMode ? [say(.chosenConfirmed, ["choice": .text(SessionText(method.phrase))])] : []
        case (.postalAddress(let address), .review):
            state.visit?.postalAddress = address.trimmingSpaces.isEmpty ? nil : address.trimmingSpaces
            return []
        case (.submit, .review):
            let missing = completenessProblems(state)
            var values = formValues(state)
            if !(state.visit?.choice?.conditions.isEmpty ?? true) { values["conditions"] = conditionsRecord(state) }
            guard missing.isEmpty, let visit = state.visit,
                  let record = ApplicationSubmission.record(of: visit, form: values, agent: state.agent, regionCode: settings.regionCode) else {
                state.screen = .incomplete(missing, reservationDates: reservationDates(from: ChinaTime.date(state.now)))
                return [say(.missingSummary, ["missing": .texts(missing.map(\.text))])]
            }
            let request = newRequest(&state, .enqueue)
            state.screen = .submitting
            return [.enqueue(request: request, record), say(.saving)]
        case (.back, _):
            return back(&state)
        default:
            return []
        }
    }

    func isMenuScreen(_ screen: Screen) -> Bool {
        switch screen {
        case .home, .browse, .myCases, .consultationSent, .ineligible: true
        default: false
        }
    }

    private func back(_ state: inout SessionState) -> [SessionEffect] {
        switch state.screen {
        // From a life event's or a department's services, back to the list it was picked from.
        case .browse(.lifeEvent, _): state.screen = .browse(.lifeEvents, [])
        case .browse(.department, _): state.screen = .browse(.departments, [])
        case .browse, .guide, .myCases, .consultation, .consultationSent, .reserved, .ineligible: state.screen = .home
        case .conditions: state.screen = .guide
        case .form: state.screen = hasConditionsToConfirm(state) ? .conditions : .guide
        case .page: state.screen = .materials
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
        let certificate = state.visit?.resident?.certificate
        return choice.formFields.compactMap { field in
            // The card's own number was checked by its own card's rules when it was read (a permanent
            // residence card's 15 characters are not a 公民身份号码, and need not be).
            if field.fromIdentity == .idNumber, let certificate, certificate != .residentID { return nil }
            return field.problem(with: values[field.id] ?? "").map { (field.id, field.label(holding: certificate), $0) }
        }
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

extension FormField {
    /// Fields the resident types (an address from the card may be corrected; the rest of the card may not).
    var isTypeable: Bool { fromIdentity == nil || fromIdentity == .address }

    /// The label as the applicant's card has it: the card's number is a 公民身份号码 only on a resident ID card.
    public func label(holding certificate: CertificateKind?) -> String {
        guard fromIdentity == .idNumber, let certificate, certificate != .residentID else { return label }
        return certificate.numberLabel
    }
}
