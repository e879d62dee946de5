/// The longer sentences the session says, built from the catalogue and the
/// calendar: pure functions, so what a resident hears is testable alone.
extension SessionText {
    /// The guide (一次性告知): the service, its conditions, each material with its particulars,
    /// the optional ones, when it is done (promised and statutory), the fee, how the result comes, where to ask.
    static func guide(for choice: ServiceChoice) -> SessionText {
        let required = choice.materials.filter(\.required).map(material)
        let optional = choice.materials.filter { !$0.required }.map(\.name)
        let days = choice.promisedWorkingDays
        let fee = choice.items.map(\.fee.amountFen).max() ?? 0
        return SessionText(.guide, [
            "service": .verbatim(choice.name), "conditions": .clauses(choice.conditions.map(\.text)),
            "materials": required.isEmpty ? .text(SessionText(.nothing)) : .texts(required),
            "optional": optional.isEmpty ? .verbatim("") : .text(SessionText(.guideOptional, ["materials": .list(optional)])),
            "promise": .text(days == 0 ? SessionText(.promiseSameDay) : SessionText(.promiseWithin, ["days": .number(days)])),
            "statutory": .number(choice.items.map(\.statutoryLimit.workingDays).max() ?? 0),
            "fee": .text(fee == 0 ? SessionText(.feeNone) : SessionText(.feeAmount, ["yuan": .verbatim("\(fee / 100).\(fee % 100 < 10 ? "0" : "")\(fee % 100)")])),
            "delivery": .texts(choice.delivery.map { SessionText($0.phrase) }),
            "phone": .verbatim(choice.items.first?.consultationPhone ?? "12345"),
        ])
    }

    /// A material as the guide says it: 居民户口簿，原件1份，户主页和本人页，可由平台调取.
    static func material(_ material: Material) -> SessionText {
        let forms = material.forms.map { form -> SessionText in
            switch form {
            case .original: SessionText(.formOriginal)
            case .copy: SessionText(.formCopy)
            case .electronic: SessionText(.formElectronic)
            }
        }
        // 原件或复印件: either will do.
        let form = forms.dropFirst().reduce(forms.first ?? SessionText(.nothing)) { SessionText(.formEither, ["first": .text($0), "second": .text($1)]) }
        return SessionText(.guideMaterial, [
            "name": .verbatim(material.name), "form": .text(form), "copies": .number(material.copies),
            "notes": material.notes.map { .text(SessionText(.guideNote, ["note": .verbatim($0)])) } ?? .verbatim(""),
            "platform": material.platformMayObtain ? .text(SessionText(.guidePlatform)) : .verbatim(""),
        ])
    }

    /// The materials screen's prompt: what to provide, and whether e-certificates can stand in (online, a resident's card).
    static func materialsNeeded(for choice: ServiceChoice?, online: Bool, resident: Bool) -> SessionText {
        let needed: SessionText.Value = .list(choice?.materials.filter(\.required).map(\.name) ?? [])
        let phrase: Phrase = !online ? .materialsPromptOffline : resident ? .materialsPromptECertificates : .materialsPrompt
        return SessionText(phrase, ["materials": needed])
    }

    /// The review screen's prompt: complete, and when it will be done.
    static func review(workingDays: Int, from today: CalendarDate, calendar: WorkingCalendar) -> SessionText {
        SessionText(.reviewPrompt, ["promise": .text(promise(workingDays: workingDays, from: today, calendar: calendar))])
    }

    /// The receipt read out.
    static func receipt(_ receipt: Receipt, delivery: DeliveryMethod, workingDays: Int, from today: CalendarDate, calendar: WorkingCalendar) -> SessionText {
        // Numbers digit by digit, so they are read out as they are written down (12345, not 一万两千…).
        let spelled = { (text: String) in SessionText.Value.verbatim(text.map { String($0) }.joined(separator: " ")) }
        return SessionText(.receiptSpoken, [
            "status": .text(SessionText(receipt.caseNumber == nil ? .receiptSaved : .receiptAccepted)), "service": .verbatim(receipt.serviceName), "number": spelled(receipt.trackingNumber),
            "materials": receipt.materials.isEmpty ? .text(SessionText(.nothing)) : .list(receipt.materials.map(\.name)),
            "promise": .text(promise(workingDays: workingDays, from: today, calendar: calendar)),
            "delivery": .text(SessionText(delivery.phrase)), "phone": spelled(receipt.enquiries),
        ])
    }

    /// When the case will be done, as the receipt promises it.
    static func promise(workingDays: Int, from today: CalendarDate, calendar: WorkingCalendar) -> SessionText {
        switch calendar.promise(workingDays: workingDays, from: today) {
        case .immediately: SessionText(.promiseSameDay)
        case .by(let date): SessionText(.promiseBy, ["date": .date(date)])
        case .unknown: SessionText(.promiseUnpublished, ["days": .number(workingDays), "year": .number(calendar.firstUnpublishedYear(from: today))])
        }
    }
}

extension DeliveryMethod {
    /// How the delivery is said: 到本站领取, 邮寄, 电子送达.
    public var phrase: Phrase {
        switch self {
        case .stationPickup: .deliveryStationPickup
        case .post: .deliveryPost
        case .electronic: .deliveryElectronic
        }
    }
}
