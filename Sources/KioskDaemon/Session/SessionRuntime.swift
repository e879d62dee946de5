import AgentAuth
import Drivers
import Foundation
import KioskCore
import Logging
import Outbox
import ServiceLifecycle
import SystemIO

/// Runs the session state machine against the station's real parts: it
/// feeds card events and the clock to the reducer and performs its effects —
/// enqueue into the outbox (only its answer can lead to a receipt), print on
/// the receipt printer, scan, look up cases, check agents' PINs, append to the
/// audit trail — feeding each result back as an event.
///
/// The e-certificate lookup, reservations and 12345 go to the platform with
/// the resident's consent or contact sealed to the platform's key; ratings
/// wait in the outbox for the forwarder.
public actor SessionRuntime {
    /// The session now.
    public private(set) var state = SessionState()
    /// What was last said: the screen's prompt.
    public private(set) var prompt: SessionText?
    /// How many sentences have been said: the page plays each new one, a repeated reminder too.
    private var spoken = 0
    /// The words of each language the screen can be in.
    let phrasebooks: Phrasebooks
    private var subscribers: [UUID: AsyncStream<ScreenModel>.Continuation] = [:]
    private var lastPublished: ScreenModel?
    private let reducer: SessionReducer
    private let store: any ApplicationStore
    private let printer: (any ReceiptPrinter)?
    private let documentPrinter: (any DocumentPrinter)?
    private let scanner: (any PageScanner)?
    private let pins: AgentPINChecker
    private let platform: (any PlatformServices)?
    private let lookup: ApplicantLookup
    private let now: @Sendable () -> Double
    private let logger: Logger
    private let metrics: KioskMetrics?
    /// When the last touch came, until the screen it leads to is pushed (the screen-to-screen latency).
    private var touchedAt: ContinuousClock.Instant?
    /// Whether this session has saved an application (completed rather than abandoned).
    private var savedThisSession = false
    private var scanTask: Task<Void, Never>?
    /// How far the scan in progress is: page and percent (shown on the scanning screen).
    private var scanProgress: (page: Int, percent: Int)?

    public init(reducer: SessionReducer, phrasebooks: Phrasebooks, store: any ApplicationStore, printer: (any ReceiptPrinter)?,
                documentPrinter: (any DocumentPrinter)? = nil, scanner: (any PageScanner)?,
                pins: AgentPINChecker, lookup: ApplicantLookup, platform: (any PlatformServices)? = nil, metrics: KioskMetrics? = nil,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }, logger: Logger) {
        self.phrasebooks = phrasebooks
        self.metrics = metrics
        self.reducer = reducer
        self.store = store
        self.printer = printer
        self.documentPrinter = documentPrinter
        self.scanner = scanner
        self.pins = pins
        self.platform = platform
        self.lookup = lookup
        self.now = now
        self.logger = logger
    }

    /// Applies an event, starts its effects, and shows the result.
    public func send(_ event: SessionEvent) {
        let before = state
        let effects = reducer.reduce(&state, event)
        let (from, to) = (ScreenModel.name(of: before.screen), ScreenModel.name(of: state.screen))
        // A new screen that says nothing in particular gets its own prompt, not the last one's.
        if from != to { prompt = nil }
        if from == "attract", to != "attract" { metrics?.sessionStarted(byAgent: to == "agent_pin" || state.agent != nil) }
        if case .enqueueCommitted = event { savedThisSession = true }
        if (before.staffCalledAt == nil) != (state.staffCalledAt == nil) { metrics?.staffCall(state.staffCalledAt != nil) }
        for effect in effects { perform(effect) }
        publish()
        if let touchedAt, from != to {
            metrics?.screenChanged(after: ContinuousClock.now - touchedAt)
            self.touchedAt = nil
        }
    }

    /// Whether someone is using the kiosk (anything but the attract screen).
    var inUse: Bool { ScreenModel.name(of: state.screen) != "attract" }

    /// The screen's name (`attract`, `home`, …; nothing personal).
    var screenName: String { ScreenModel.name(of: state.screen) }

    /// How long someone at the kiosk has waited for staff (呼叫工作人员), or nil.
    var staffCalledSeconds: Int? { state.staffCalledAt.map { Int(max(0, now() - $0)) } }

    /// The screen now.
    var model: ScreenModel {
        var model = ScreenModel(state, prompt: prompt, reducer: reducer, words: phrasebooks[state.language])
        model.speech = spoken
        if model.screen == "scanning", let scanProgress { model.scanProgress = .init(page: scanProgress.page, percent: scanProgress.percent) }
        return model
    }

    private func progressed(page: Int, percent: Int) {
        guard case .scanning = state.screen else { return }
        scanProgress = (page, percent)
        publish()
    }

    /// A scanned page of this session, for its thumbnail on screen.
    func scannedPage(material: String, index: Int) -> ScannedPage? {
        guard case .scanned(let pages)? = state.visit?.materials[material], pages.indices.contains(index) else { return nil }
        return pages[index]
    }

    /// Screens from now on (the current one first), one stream per page.
    func subscribe() -> AsyncStream<ScreenModel> {
        let (stream, continuation) = AsyncStream.makeStream(of: ScreenModel.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        subscribers[id] = continuation
        continuation.yield(model)
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    /// Pushes the screen if it changed: the clock ticks every second, and a
    /// redraw for nothing would take the focus from what is being typed.
    private func publish() {
        let current = model
        guard current != lastPublished else { return }
        lastPublished = current
        for continuation in subscribers.values { continuation.yield(current) }
    }

    /// A touch on the screen, now.
    public func touch(_ touch: Touch) {
        touchedAt = .now
        send(.touch(touch, now: now()))
    }

    /// Feeds a card reader's events until the task is canceled.
    public func follow(_ reader: any CardReader) async {
        for await event in reader.cardEvents() {
            switch event {
            case .presented(let identity):
                metrics?.cardRead("read")
                send(.cardPresented(identity, now: now()))
            case .refused(_, let error):
                metrics?.cardRead("refused")
                send(.cardRefused(SessionText(error.code == .expired ? .cardRefusedExpired : .cardRefusedDamaged), now: now()))
            case .unreadable:
                metrics?.cardRead("unreadable")
                send(.cardRefused(SessionText(.cardUnreadable), now: now()))
            case .removed: send(.cardRemoved(now: now()))
            }
        }
    }

    /// Ticks the session's clock every second until the task is canceled, and
    /// tells the session when the platform link (`linkUp`) comes or goes and
    /// when the kiosk can take no visit (`outOfService`, why) or can again.
    public func runClock(linkUp: @escaping @Sendable () -> Bool = { false }, outOfService: @escaping @Sendable () -> SessionText? = { nil }) async {
        while !Task.isCancelled {
            let up = linkUp()
            if up != state.online { send(.networkChanged(online: up)) }
            let reason = outOfService()
            if reason != state.outOfService { send(.serviceChanged(outOfService: reason)) }
            send(.tick(now: now()))
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Prints a receipt; a failure comes back to the session as `printFailed`.
    private func print(_ receipt: Receipt, on printer: any ReceiptPrinter) {
        Task {
            do throws(DeviceError) {
                _ = try await printer.printReceipt(receipt)
            } catch {
                self.send(.printFailed(reason: SessionText(error.resident ?? .receiptPrinterFault)))
            }
        }
    }

    /// Prints on the A4 printer; a failure comes back to the session as `documentNotPrinted`.
    private func printDocument(_ document: PrintDocument, title: String, on printer: any DocumentPrinter) {
        Task {
            do throws(DeviceError) { try await printer.printDocument(document, title: title) } catch {
                self.logger.warning("the A4 printer did not print the \(title): \(error.message)")
                self.send(.documentNotPrinted(reason: SessionText(.a4PrinterFault)))
            }
        }
    }

    /// A record (JSON) sealed to the platform's key, bound to a fresh id the platform is told.
    private static func seal(_ record: [String: Any], with store: any ApplicationStore) throws -> (envelope: [UInt8], binding: String) {
        let binding = UUID().uuidString.lowercased()
        return (try store.seal(record: Array(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])), binding: binding), binding)
    }

    private func perform(_ effect: SessionEffect) {
        switch effect {
        case .enqueue(let request, var submission):
            let lookup = self.lookup, store = self.store
            Task {
                // Residents find their cases by card later: the key is a slow hash, never the number.
                if submission.isFindableByCard {
                    submission.applicantLookupKey = try? lookup.key(for: submission.applicantCertificateNumber)
                }
                do {
                    let number = try await store.enqueue(submission)
                    self.metrics?.applicationEnqueued(true)
                    self.send(.enqueueCommitted(request: request, trackingNumber: number))
                } catch {
                    self.metrics?.applicationEnqueued(false)
                    self.logger.error("an application could not be saved: \(error)")
                    let diskFull = (error as? OutboxError)?.code == .diskFull
                    self.send(.enqueueFailed(request: request, reason: SessionText(diskFull ? .diskFull : .kioskFault)))
                }
            }
        case .printReceipt(let receipt):
            // Kept (masked) with its row first, so it can be printed again whatever the printer does.
            do { try store.keepReceipt(receipt.masked) } catch { logger.error("the receipt of \(receipt.trackingNumber) could not be kept for reprinting: \(error)") }
            guard let printer else {
                send(.printFailed(reason: SessionText(.noReceiptPrinter)))
                return
            }
            print(receipt, on: printer)
        case .startScan(let request, _, _):
            guard let scanner else {
                send(.scanFailed(request: request, reason: SessionText(.noScanner)))
                return
            }
            scanProgress = nil
            scanTask = Task {
                do throws(DeviceError) {
                    let pages = try await scanner.scanPages { page, percent in Task { await self.progressed(page: page, percent: percent) } }
                    self.send(.scanFinished(request: request, pages: pages))
                } catch {
                    self.logger.warning("a scan failed: \(error.message)")
                    self.send(.scanFailed(request: request, reason: SessionText(error.resident ?? .scannerFault)))
                }
            }
        case .cancelScan:
            scanTask?.cancel()
            scanTask = nil
        case .audit(let note):
            do { try store.audit(note) } catch { logger.error("the audit trail could not be written: \(error)") }
        case .lookupCases(let request, let number):
            let lookup = self.lookup, store = self.store
            Task {
                do {
                    let cases = try store.cases(applicantKey: try lookup.key(for: number), limit: 50).map(CaseSummary.init)
                    self.send(.casesFound(request: request, cases: cases))
                } catch {
                    self.logger.warning("a resident's case lookup failed: \(error)")
                    self.send(.caseLookupFailed(request: request, reason: SessionText(.lookupFailed)))
                }
            }
        case .listStationCases(let request):
            do {
                send(.casesFound(request: request, cases: try store.stationCases(limit: 200).map(CaseSummary.init)))
            } catch {
                logger.warning("the station's cases could not be listed: \(error)")
                send(.requestFailed(request: request, reason: SessionText(.lookupFailed)))
            }
        case .verifyAgentPIN(let request, let agentID, let pin):
            let pins = self.pins, time = now(), logger = self.logger
            // The check is slow on purpose (scrypt): off the actor.
            Task.detached {
                do {
                    await self.send(.agentPINChecked(request: request, result: try pins.check(agentID: agentID, pin: pin, now: time)))
                } catch {
                    // A try that cannot be kept does not log anyone in.
                    logger.error("an agent's PIN try could not be kept in the state database, so it is refused: \(error)")
                    await self.send(.requestFailed(request: request, reason: SessionText(.lookupFailed)))
                }
            }
        case .lookupECertificates(let request, let number, let types):
            guard let platform else {
                send(.eCertificateLookupFailed(request: request, reason: SessionText(.eCertificatesUnavailable)))
                return
            }
            let store = self.store, station = reducer.settings.stationCode, time = now()
            Task {
                do {
                    // The consent goes sealed: only the platform learns whose certificates are asked for.
                    let consent = try Self.seal([
                        "id_number": number, "purpose": "电子证照查询", "certificate_types": types, "station_code": station, "consented_at": Int(time),
                    ], with: store)
                    let found = try await platform.lookupECertificates(consent: consent.envelope, consentID: consent.binding, types: types)
                    self.send(.eCertificatesFound(request: request, types: found))
                } catch {
                    self.logger.warning("e-certificate lookup failed: \(error)")
                    self.send(.eCertificateLookupFailed(request: request, reason: SessionText(.eCertificatesFailed)))
                }
            }
        case .submitInteraction(let request, let interaction):
            guard let platform else {
                send(.requestFailed(request: request, reason: SessionText(.consultationUnavailable)))
                return
            }
            let store = self.store
            Task {
                do {
                    var contact: [String: String] = [:]
                    contact["name"] = interaction.personName
                    contact["id_number"] = interaction.personIDNumber
                    contact["phone"] = interaction.phone
                    let sealed = contact.isEmpty ? nil : try Self.seal(contact, with: store)
                    let reference = try await platform.submitConsultation(
                        kind: interaction.kind.chinese, title: "\(interaction.kind.chinese)：\(interaction.text.prefix(20))", content: interaction.text,
                        sealedContact: sealed?.envelope, contactID: sealed?.binding ?? UUID().uuidString.lowercased())
                    self.send(.interactionSent(request: request, reference: reference))
                } catch {
                    self.logger.warning("a consultation could not be forwarded: \(error)")
                    self.send(.requestFailed(request: request, reason: SessionText(.consultationFailed)))
                }
            }
        case .makeReservation(let request, let reservation):
            guard let platform, let visit = state.visit else {
                send(.requestFailed(request: request, reason: SessionText(.reservationUnavailable)))
                return
            }
            let store = self.store
            // The platform reads Chinese whatever the screen's language.
            let missing = reservation.missing.map(phrasebooks.zh.render)
            var contact: [String: String] = [:]
            contact["name"] = visit.resident?.name ?? visit.enterprise?.name
            contact["id_number"] = visit.resident?.number ?? visit.enterprise?.creditCode.value
            Task {
                do {
                    let sealed = try Self.seal(contact, with: store)
                    let reference = try await platform.reserve(serviceCode: reservation.serviceCode, date: reservation.date.description,
                                                               missing: missing, sealedContact: sealed.envelope, contactID: sealed.binding)
                    self.send(.reservationMade(request: request, reference: reference))
                } catch {
                    self.logger.warning("a reservation could not be booked: \(error)")
                    self.send(.requestFailed(request: request, reason: SessionText(.reservationFailed)))
                }
            }
        case .submitRating(let rating):
            // Kept until the platform has given the case its number; the forwarder sends it.
            do { try store.recordRating(rating) } catch { logger.error("a rating could not be kept: \(error)") }
        case .reprintReceipt(let number):
            guard let printer, let kept = try? store.keptReceipt(number) else {
                send(.printFailed(reason: printer == nil ? SessionText(.noReceiptPrinter) : SessionText(.receiptNotFound, ["number": .verbatim(number)])))
                return
            }
            print(kept.reprinted, on: printer)
        case .printNotice(let notice, let preferA4):
            if preferA4, let documentPrinter {
                printDocument(notice.document(columns: 80), title: notice.title, on: documentPrinter)
            } else if let printer {
                Task {
                    do throws(DeviceError) { try await printer.printNotice(notice) } catch {
                        self.send(.documentNotPrinted(reason: SessionText(error.resident ?? .receiptPrinterFault)))
                    }
                }
            } else {
                send(.documentNotPrinted(reason: SessionText(.noReceiptPrinter)))
            }
        case .printForm(let form):
            guard let documentPrinter else {
                send(.documentNotPrinted(reason: SessionText(.noA4Printer)))
                return
            }
            printDocument(form.document(), title: "application form", on: documentPrinter)
        case .speak(let text):
            prompt = text
            spoken += 1
        case .sessionEnded(let reason):
            // What was said to the last resident goes with them.
            prompt = nil
            metrics?.sessionEnded(reason, saved: savedThisSession)
            savedThisSession = false
            // A visit's scans (up to ~9 MB a raw A4 page, compressed on several threads) leave the
            // allocator holding their high-water mark; give it back to the system for the next visit,
            // now and again a little later, after what the visit set going (its upload, its receipt) is done.
            Allocator.releaseFreeMemory()
            Task.detached(priority: .background) {
                try? await Task.sleep(for: .seconds(3))
                Allocator.releaseFreeMemory()
            }
        case .stopSpeaking:
            // Audio is the touchscreen's business.
            break
        }
    }
}

/// Runs the session's clock and feeds it the card reader's events until shutdown.
struct SessionService: KioskService {
    let runtime: SessionRuntime
    let reader: (any CardReader)?
    let linkUp: @Sendable () -> Bool
    let outOfService: @Sendable () -> SessionText?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await runtime.runClock(linkUp: linkUp, outOfService: outOfService) }
                if let reader { group.addTask { await runtime.follow(reader) } }
            }
        }
    }
}
