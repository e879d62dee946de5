/// The materials screen: e-certificates, scanning, leaving a paper to the
/// platform, and each scanned page looked at large, discarded or scanned again.
extension SessionReducer {
    /// These touches; nil for a touch that is not one of them.
    func materialsTouch(_ state: inout SessionState, _ touch: Touch) -> [SessionEffect]? {
        switch (touch, state.screen) {
        case (.consentToECertificateLookup, .materials):
            guard let visit = state.visit, let resident = visit.resident, let choice = visit.choice else { return [] }
            guard state.online else { return tell(&state, SessionText(.eCertificatesOffline)) }
            let types = choice.materials.compactMap(\.eCertificate)
            guard !types.isEmpty else { return [] }
            state.visit?.eCertificateConsent = true
            let request = newRequest(&state, .eCertificates)
            return [.lookupECertificates(request: request, idNumber: resident.number, types: Array(Set(types)).sorted()),
                    .audit(AuditNote(action: "ecertificate_lookup", actor: actor(state), detail: "resident consented; \(types.count) type(s)"))]
        case (.scan(let id), .materials):
            return startScan(&state, id)
        case (.rescan(let id), .materials), (.rescan(let id), .page):
            // The pages there were are not what the resident wants sent: they go before the new scan.
            state.visit?.materials[id] = nil
            state.screen = .materials
            return startScan(&state, id)
        case (.viewPage(let id, let index), .materials):
            guard case .scanned(let pages)? = state.visit?.materials[id], pages.indices.contains(index), let material = material(id, state) else { return [] }
            state.screen = .page(materialID: id, index: index)
            return [say(.pageShown, ["material": .verbatim(material.name), "page": .number(index + 1), "pages": .number(pages.count)])]
        case (.discardPage(let id, let index), .page(let shown, let shownIndex)) where shown == id && shownIndex == index:
            guard case .scanned(var pages)? = state.visit?.materials[id], pages.indices.contains(index), let material = material(id, state) else { return [] }
            pages.remove(at: index)
            state.visit?.materials[id] = pages.isEmpty ? nil : .scanned(pages)
            state.screen = .materials
            return [say(.pageDiscarded, ["material": .verbatim(material.name), "page": .number(index + 1), "pages": .number(pages.count)])]
        case (.leaveToPlatform(let id), .materials):
            guard let material = material(id, state), material.platformMayObtain else { return [] }
            state.visit?.materials[id] = .platform
            return [say(.leftToPlatform, ["material": .verbatim(material.name)])]
        case (.printNotice, .incomplete(let missing, _)):
            guard let visit = state.visit else { return [] }
            return [.printNotice(.incomplete(visit, missing: missing, reservation: nil, on: ChinaTime.date(state.now), settings: settings), preferA4: false),
                    say(.printingNotice)]
        case (.printNotice, .reserved(let reservation)):
            guard let visit = state.visit else { return [] }
            return [.printNotice(.incomplete(visit, missing: completenessProblems(state), reservation: reservation, on: ChinaTime.date(state.now), settings: settings),
                                 preferA4: false), say(.printingNotice)]
        default:
            return nil
        }
    }

    private func material(_ id: String, _ state: SessionState) -> Material? {
        state.visit?.choice?.materials.first { $0.id == id }
    }

    private func startScan(_ state: inout SessionState, _ id: String) -> [SessionEffect] {
        guard let material = material(id, state) else { return [] }
        let request = newRequest(&state, .scan(materialID: id))
        state.screen = .scanning(materialID: id)
        state.visit?.scanProgress = nil
        let prompt = material.expectedPages > 1
            ? SessionText(.scanPromptPages, ["material": .verbatim(material.name), "pages": .number(material.expectedPages)])
            : SessionText(.scanPrompt, ["material": .verbatim(material.name)])
        return [.startScan(request: request, materialID: id, materialName: material.name), .speak(prompt)]
    }
}
