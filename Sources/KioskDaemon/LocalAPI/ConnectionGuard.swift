import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Keeps the local API's connections within what kioskd can hold, so a flood
/// of connections degrades to refusals instead of using up the process's file
/// descriptors (which once crashed kioskd mid-visit).
///
/// A connection is *proven* once a request on it carried the screen's key; the
/// screen's own connections (its WebSocket above all) are never closed for a
/// connection without it. When a new connection would pass `limit`, or its
/// client already holds `perClient` unproven ones, the oldest unproven
/// connection (of that client, or of all) is closed; a new one arriving when
/// every other is proven is closed itself. Proven connections are at most
/// ``screenLimit``: a browser holds a few, so past that the oldest proven one
/// is closed and the newest kept (a screen that reconnects always gets in, and
/// a process that read the key cannot lock it out by holding connections). A
/// connection that sends no complete request head within the header timeout
/// is closed, and so is one idle that long between requests.
final class ConnectionGuard: Sendable {
    let limit: Int
    let perClient: Int
    /// Nil only where a test drives the routes without one: then nothing is proven.
    let key: ScreenKey?
    /// A connection that sends no complete request head this long after it
    /// opens is closed; Hummingbird closes one idle this long between requests.
    static let headerTimeout = TimeAmount.seconds(10)
    /// The most connections that carried the screen's key: the page's WebSocket and its browser's few for files and requests.
    static let screenLimit = 16

    private struct Open {
        let channel: any Channel
        let client: String
        let serial: UInt64
        var proven = false
        var requested = false
    }

    private struct State {
        var open: [ObjectIdentifier: Open] = [:]
        var nextSerial: UInt64 = 0
        var refused = 0
        var refusedAtLastReport = 0
        var lastReport: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let logger: Logger?

    init(limit: Int, perClient: Int, key: ScreenKey?, logger: Logger? = nil) {
        self.limit = limit
        self.perClient = perClient
        self.key = key
        self.logger = logger
    }

    /// The handler each HTTP connection's pipeline carries.
    func watch() -> ConnectionWatch { ConnectionWatch(guard: self) }

    fileprivate func opened(_ channel: any Channel) {
        let client: String = channel.remoteAddress?.ipAddress ?? "?"
        let id = ObjectIdentifier(channel)
        let closing: (any Channel)? = state.withLock { state in
            guard state.open[id] == nil else { return nil }
            state.open[id] = Open(channel: channel, client: client, serial: state.nextSerial)
            state.nextSerial += 1
            let unproven = state.open.values.filter { !$0.proven }
            let sameClient = unproven.filter { $0.client == client }
            let candidates = sameClient.count > perClient ? sameClient : state.open.count > limit ? unproven : []
            guard let oldest = candidates.min(by: { $0.serial < $1.serial }) else {
                // Over the limit with every other connection proven: the newcomer goes.
                guard state.open.count > limit else { return nil }
                state.open[id] = nil
                state.refused += 1
                return channel
            }
            state.open[ObjectIdentifier(oldest.channel)] = nil
            state.refused += 1
            return oldest.channel
        }
        closing?.close(promise: nil)
        channel.closeFuture.whenComplete { [weak self] _ in self?.closed(id) }
        if closing != nil { report() }
    }

    /// A flood is said in the log once a minute at most, not once a connection.
    private func report() {
        let now = ContinuousClock.now
        let closed: Int? = state.withLock { state in
            if let last = state.lastReport, now - last < .seconds(60) { return nil }
            defer { state.lastReport = now; state.refusedAtLastReport = state.refused }
            return state.refused - state.refusedAtLastReport
        }
        if let closed {
            logger?.warning("the local API is flooded: closed \(closed) connection(s) beyond its limits (\(limit) in all, \(perClient) a client without the screen's key) since the last report; the screen's own go on")
        }
    }

    /// A request head arrived on the connection; `key` says whether it carried the screen's key.
    func requested(on channel: any Channel, head: HTTPRequest) {
        let proven = key?.admits(head) == true
        let id = ObjectIdentifier(channel)
        let closing: (any Channel)? = state.withLock { state in
            state.open[id]?.requested = true
            guard proven, state.open[id]?.proven == false else { return nil }
            state.open[id]?.proven = true
            // Newest kept: past the screen's few, the oldest connection with the key goes.
            let screens = state.open.values.filter(\.proven)
            guard screens.count > Self.screenLimit, let oldest = screens.filter({ ObjectIdentifier($0.channel) != id }).min(by: { $0.serial < $1.serial }) else {
                return nil
            }
            state.open[ObjectIdentifier(oldest.channel)] = nil
            state.refused += 1
            return oldest.channel
        }
        if let closing {
            closing.close(promise: nil)
            report()
        }
    }

    fileprivate func hasRequested(_ channel: any Channel) -> Bool {
        state.withLock { $0.open[ObjectIdentifier(channel)]?.requested ?? false }
    }

    private func closed(_ id: ObjectIdentifier) {
        state.withLock { _ = $0.open.removeValue(forKey: id) }
    }
}

/// Registers its connection with the guard when it opens, and closes it if
/// no request head has arrived by the header timeout. It sits first in the
/// pipeline, before any HTTP decoding, because until a head arrives nothing
/// of Hummingbird's is watching the connection.
final class ConnectionWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connections: ConnectionGuard
    private var deadline: Scheduled<Void>?

    fileprivate init(guard connections: ConnectionGuard) { self.connections = connections }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        connections.opened(context.channel)
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: ConnectionGuard.headerTimeout) { [connections] in
            if !connections.hasRequested(channel) { channel.close(promise: nil) }
        }
    }
}

/// Hummingbird's HTTP and WebSocket channel with a ``ConnectionWatch`` in
/// front, and each request head reported to the guard.
struct GuardedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let connections: ConnectionGuard

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(connections.watch())
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Reports each request head that is not a WebSocket upgrade to the guard
/// (the upgrade reports its own, from `shouldUpgrade`).
final class RequestWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let connections: ConnectionGuard

    init(_ connections: ConnectionGuard) { self.connections = connections }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { connections.requested(on: context.channel, head: head) }
        context.fireChannelRead(data)
    }
}
