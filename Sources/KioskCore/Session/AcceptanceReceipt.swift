extension Receipt {
    /// The receipt of a visit's matter, once the outbox gave it `number`: 受理回执
    /// with the platform's `caseNumber` when it has the case, 申请回执 (saved, to be sent) otherwise: masked applicant, what was received and how, the
    /// promise by the working-day calendar, how the result comes. Nil when the
    /// visit has no matter chosen.
    static func acceptance(of visit: Visit, number: TrackingNumber, caseNumber: String?, at now: Double, agent: RegisteredAgent?,
                           settings: SessionSettings, calendar: WorkingCalendar) -> Receipt? {
        guard let choice = visit.choice else { return nil }
        let today = ChinaTime.date(now)
        let materials: [Receipt.Material] = choice.materials.compactMap { material in
            switch visit.materials[material.id] {
            case .scanned(let pages)?: Receipt.Material(name: material.name, how: "扫描 \(pages.count) 页")
            case .eCertificate?: Receipt.Material(name: material.name, how: "电子证照")
            case .platform?: Receipt.Material(name: material.name, how: "平台调取")
            case nil: nil
            }
        }
        let applicant = visit.resident?.maskedName ?? visit.enterprise?.name ?? ""
        return Receipt(
            id: number.value, trackingNumber: number.value, stationName: settings.stationName, serviceName: choice.name, applicant: applicant,
            agent: agent?.masked, submittedAt: "\(today.chinese) \(ChinaTime.clock(now))", materials: materials,
            promise: calendar.promise(workingDays: choice.promisedWorkingDays, from: today), delivery: (visit.delivery ?? .stationPickup).chinese,
            postalAddress: visit.delivery == .post ? visit.postalAddress : nil,
            trackingURL: settings.trackingURLBase + number.value, enquiries: choice.items.first?.consultationPhone ?? "12345", caseNumber: caseNumber)
    }
}
