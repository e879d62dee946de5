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
    public internal(set) var prompt: SessionText?
    /// How many sentences have been said: the page plays each new one, a repeated reminder too.
    var spoken = 0
    /// The words of each language the screen can be in.
    let phrasebooks: Phrasebooks
    private var subscribers: [UUID: AsyncStream<SessionScreen>.Continuation] = [:]
    private var lastPublished: SessionScreen?
    /// The rules with the catalogue and calendar in use; a newer one waits in `nextReducer` for the kiosk to be free.
    private(set) var reducer: SessionReducer
    private var nextReducer: SessionReducer?
    let store: any ApplicationStore
    let printer: (any ReceiptPrinter)?
    let documentPrinter: (any DocumentPrinter)?
    let scanner: (any PageScanner)?
    let pins: AgentPINChecker
    let platform: (any PlatformServices)?
    let lookup: ApplicantLookup
    let now: @Sendable () -> Double
    let logger: Logger
    let metrics: KioskMetrics?
    /// When the last touch came, until the screen it leads to is pushed (the screen-to-screen latency).
    private var touchedAt: ContinuousClock.Instant?
    /// Whether this session has saved an application (completed rather than abandoned).
    var savedThisSession = false
    var scanTask: Task<Void, Never>?

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

    /// Takes a newer catalogue or calendar (in `reducer`): at once when nobody is at the kiosk, otherwise
    /// when the visit in progress is over, so a visit never changes its rules half-way.
    public func adopt(_ reducer: SessionReducer) {
        nextReducer = reducer
        adoptIfFree()
    }

    /// The catalogue the visits use now.
    public var catalogueVersion: String { reducer.catalogue.version }

    private func adoptIfFree() {
        guard let next = nextReducer, state.screen == .attract, !state.isActive else { return }
        logger.notice("visits now use catalogue \(next.catalogue.version) (was \(reducer.catalogue.version))")
        reducer = next
        nextReducer = nil
    }

    /// Applies an event, starts its effects, and shows the result.
    public func send(_ event: SessionEvent) {
        // Between visits, a newer catalogue waiting is taken before the event that may start the next one.
        adoptIfFree()
        let before = state
        let effects = reducer.reduce(&state, event)
        let (from, to) = (before.screen.name, state.screen.name)
        // A new screen that says nothing in particular gets its own prompt, not the last one's.
        if from != to { prompt = nil }
        if from == .attract, to != .attract { metrics?.sessionStarted(byAgent: to == .agentPIN || state.agent != nil) }
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
    var inUse: Bool { state.screen != .attract }

    /// The screen's name (`attract`, `home`, …; nothing personal).
    var screenName: ScreenView.Name { state.screen.name }

    /// How long someone at the kiosk has waited for staff (呼叫工作人员), or nil.
    var staffCalledSeconds: Int? { state.staffCalledAt.map { Int(max(0, now() - $0)) } }

    /// The screen now.
    var screen: SessionScreen { reducer.screen(state, prompt: prompt, speech: spoken, words: phrasebooks[state.language]) }

    /// A scanned page of this session, for its thumbnail on screen.
    func scannedPage(material: String, index: Int) -> ScannedPage? {
        guard case .scanned(let pages)? = state.visit?.materials[material], pages.indices.contains(index) else { return nil }
        return pages[index]
    }

    /// Screens from now on (the current one first), one stream per page.
    func subscribe() -> AsyncStream<SessionScreen> {
        let (stream, continuation) = AsyncStream.makeStream(of: SessionScreen.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        subscribers[id] = continuation
        continuation.yield(screen)
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    /// Pushes the screen if it changed: the clock ticks every second, and a
    /// redraw for nothing would take the focus from what is being typed.
    private func publish() {
        let current = screen
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
