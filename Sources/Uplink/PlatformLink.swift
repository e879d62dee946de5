import Crypto
import Foundation
import KioskCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// The station's HTTP/1.1 link to the platform (SwiftNIO), made for a link
/// that may lie. It answers with what the platform said, and nothing it
/// did not:
///
/// - it follows no redirect: a 3xx is an answer like any other, and the
///   caller treats it as a fault (only the configured platform can acknowledge);
/// - every exchange has a time budget: `timeout` for connecting, the
///   handshake and the platform's thinking, plus a second for every
///   `minimumRate` bytes sent or received. A body dripped a byte at a time
///   runs out of it, whatever the socket's idle timeout;
/// - an answer's body is bounded by what the request expects (`limit`);
/// - TLS 1.2 or newer, only the configured CA trusted, the host name checked,
///   and optionally the platform's public key pinned (SHA-256 of its SPKI):
///   nothing is sent on a connection that fails any of these.
///
/// Connections are kept for the next exchange while the platform keeps them open.
final class PlatformLink: Sendable {
    /// How an exchange failed.
    enum Failure: Error, CustomStringConvertible {
        /// No answer (refused, reset, TLS refused, closed mid-answer).
        case network(String)
        /// The exchange ran out of its time budget.
        case tooSlow(String)
        /// The answer's body was larger than the request allows.
        case tooLarge(Int)

        var description: String {
            switch self {
            case .network(let reason): reason
            case .tooSlow(let reason): reason
            case .tooLarge(let limit): "the answer's body is larger than the \(limit) bytes this request takes"
            }
        }
    }

    /// An answer.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// The time budget of one exchange.
    struct Budget: Sendable {
        /// For connecting, the handshake, and the platform to answer.
        var timeout: Duration = .seconds(30)
        /// Bytes a second the exchange must move on average beyond `timeout`.
        var minimumRate = 8 * 1024

        func allows(elapsed: Duration, moved bytes: Int) -> Bool {
            elapsed <= timeout + .seconds(Double(bytes) / Double(max(1, minimumRate)))
        }
    }

    private let host: String
    private let port: Int
    private let basePath: String
    private let tls: NIOSSLContext?
    private let pins: Set<String>
    private let budget: Budget
    /// A connection and the handler that gathers its answers.
    private struct Connection: Sendable {
        var channel: any Channel
        var collector: Collector
    }

    private let idle = Mutex<[Connection]>([])
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// A link to `host:port` (paths below `basePath`); with `tls`, HTTPS whose
    /// server key must hash to one of `pins` (base64 SHA-256 of the SPKI) when any are given.
    init(host: String, port: Int, basePath: String, tls: NIOSSLContext?, pins: Set<String>, budget: Budget) {
        self.host = host
        self.port = port
        self.basePath = basePath
        self.tls = tls
        self.pins = pins
        self.budget = budget
    }

    /// Closes the connections kept.
    func shutdown() {
        for kept in idle.withLock({ kept in defer { kept.removeAll() }; return kept }) { kept.channel.close(promise: nil) }
    }

    /// One exchange: the request, and the whole answer (at most `limit` bytes of body).
    /// A kept connection the platform closed meanwhile is replaced once, for a
    /// request that may be repeated (GET, HEAD, PATCH at an offset, anything
    /// with an Idempotency-Key).
    func exchange(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: ByteBuffer?, limit: Int) async throws(Failure) -> Response {
        let started = ContinuousClock.now
        let repeatable = [.GET, .HEAD, .PATCH].contains(method) || headers.contains { $0.0.lowercased() == "idempotency-key" }
        if repeatable, let kept = keptConnection() {
            do {
                return try await exchange(on: kept, method, path, headers: headers, body: body, limit: limit, started: started)
            } catch .network {
                // Closed by the platform while it was kept: a new connection, within the same budget.
            }
        }
        let connection = try await newConnection(started: started)
        return try await exchange(on: connection, method, path, headers: headers, body: body, limit: limit, started: started)
    }

    private func exchange(on connection: Connection, _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: ByteBuffer?, limit: Int,
                          started: ContinuousClock.Instant) async throws(Failure) -> Response {
        let (channel, collector) = (connection.channel, connection.collector)
        var request = HTTPRequestHead(version: .http1_1, method: method, uri: basePath + path)
        request.headers.add(name: "Host", value: port == (tls == nil ? 80 : 443) ? host : "\(host):\(port)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let sent = body?.readableBytes ?? 0
        request.headers.add(name: "Content-Length", value: String(sent))
        let (budget, head) = (self.budget, request)
        let answer: EventLoopFuture<Response> = channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: Response.self)
            collector.expect(promise, limit: limit)
            // The budget is checked twice a second: a trickle that keeps the socket busy still runs out of it.
            let watch = channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { task in
                let elapsed = ContinuousClock.now - started
                if !budget.allows(elapsed: elapsed, moved: sent + collector.received) {
                    collector.fail(.tooSlow("the platform's answer was too slow: \(collector.received) bytes in \(Int(elapsed.components.seconds)) s "
                                            + "(at least \(budget.minimumRate) bytes a second after \(budget.timeout) are needed)"))
                    channel.close(promise: nil)
                    task.cancel()
                }
            }
            promise.futureResult.whenComplete { _ in watch.cancel() }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }
        do {
            let response = try await answer.get()
            if response.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) || !channel.isActive {
                channel.close(promise: nil)
            } else {
                idle.withLock { $0.append(connection) }
            }
            return response
        } catch let failure as Failure {
            channel.close(promise: nil)
            throw failure
        } catch {
            channel.close(promise: nil)
            throw .network(Self.explain(error))
        }
    }

    private func keptConnection() -> Connection? {
        while let kept = idle.withLock({ $0.popLast() }) {
            if kept.channel.isActive { return kept }
        }
        return nil
    }

    /// A new connection whose TLS (and pin) has been checked, within the budget's timeout.
    private func newConnection(started: ContinuousClock.Instant) async throws(Failure) -> Connection {
        let tls = self.tls, host = self.host, pins = self.pins
        let collector = Collector()
        // Whole nanoseconds: a budget under a second (as the tests give) must not round down to no time at all.
        let connectTimeout = TimeAmount.nanoseconds(Int64(budget.timeout.seconds * 1e9))
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // An address as the host: no SNI (RFC 6066), the certificate still checked against it.
                        let name = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: name)
                        collector.tls = handler
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw .network(Self.explain(error))
        }
        guard tls != nil else { return Connection(channel: channel, collector: collector) }
        // A platform that accepts the connection and never finishes the handshake holds nobody up.
        let stalled = channel.eventLoop.scheduleTask(in: connectTimeout) { channel.close(promise: nil) }
        defer { stalled.cancel() }
        do {
            try await channel.eventLoop.flatSubmit { collector.handshake }.get()
            let key = try await channel.eventLoop.submit { try? collector.tls?.peerCertificate?.extractPublicKey().toSPKIBytes() }.get()
            if !pins.isEmpty {
                let hash = key.map { Data(SHA256.hash(data: $0)).base64EncodedString() }
                guard let hash, pins.contains(hash) else {
                    channel.close(promise: nil)
                    throw Failure.network("TLS: the platform's public key (SPKI SHA-256 \(hash ?? "unreadable")) is not the one pinned in platform.pin_sha256, "
                                          + "so nothing was sent; is something intercepting the link, or did the platform change its key?")
                }
            }
            return Connection(channel: channel, collector: collector)
        } catch let failure as Failure {
            throw failure
        } catch {
            channel.close(promise: nil)
            throw .network(Self.explain(error))
        }
    }

    /// Network failures in words a maintainer can act on; TLS ones say which side refused.
    static func explain(_ error: any Error) -> String {
        let text = "\(error)"
        let upper = text.uppercased()
        if upper.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the platform's certificate is not from the pinned CA (platform.ca) or not for this host, so nothing was sent; is something intercepting the link? (\(text))"
        }
        if upper.contains("CERTIFICATE_REQUIRED") || upper.contains("BAD_CERTIFICATE") || upper.contains("UNKNOWN_CA") || upper.contains("CERTIFICATE_UNKNOWN") {
            return "TLS: the platform refused the station's certificate (platform.client_certificate): is it the one the platform issued, and still valid? (\(text))"
        }
        if upper.contains("UNSUPPORTED_PROTOCOL") || upper.contains("PROTOCOL_VERSION") {
            return "TLS: the platform offers only a TLS version older than 1.2, which the station refuses (\(text))"
        }
        return text
    }

    /// Gathers one answer at a time on its connection, and tells when the TLS handshake is done.
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {  // used on its event loop only
        typealias InboundIn = HTTPClientResponsePart

        private var promise: EventLoopPromise<Response>?
        private var limit = 0
        private var head: HTTPResponseHead?
        private var body: [UInt8] = []
        private var handshakePromise: EventLoopPromise<Void>?
        private var handshakeDone = false
        /// Why the connection ended, once it has: an answer asked for after that fails at once.
        private var ended: Failure?
        /// The connection's TLS, for the platform's certificate (kept here: the pipeline may be gone when it is read).
        var tls: NIOSSLClientHandler?
        /// Body bytes of the current answer so far.
        private(set) var received = 0

        var handshake: EventLoopFuture<Void> {
            guard let handshakePromise else { preconditionFailure("the handshake is asked for before the connection is active") }
            return handshakePromise.futureResult
        }

        func handlerAdded(context: ChannelHandlerContext) {
            handshakePromise = context.eventLoop.makePromise()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            // Plain HTTP has no handshake, and a closed connection ends a pending one: no promise is left hanging.
            handshakeEnded(Failure.network("the connection closed"))
            end(.network("the connection closed"))
        }

        func expect(_ promise: EventLoopPromise<Response>, limit: Int) {
            if let ended {
                promise.fail(ended)
                return
            }
            self.promise = promise
            self.limit = limit
            head = nil
            body = []
            received = 0
        }

        func fail(_ failure: Failure) {
            promise?.fail(failure)
            promise = nil
        }

        private func handshakeEnded(_ failure: (any Error)?) {
            guard !handshakeDone else { return }
            handshakeDone = true
            if let failure { handshakePromise?.fail(failure) } else { handshakePromise?.succeed() }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event { handshakeEnded(nil) }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                // 1xx answers are not the answer.
                if head.status.code >= 200 { self.head = head }
            case .body(let buffer):
                received += buffer.readableBytes
                guard received <= limit else {
                    fail(.tooLarge(limit))
                    context.close(promise: nil)
                    return
                }
                body += buffer.readableBytesView
            case .end:
                guard let head else { return }
                promise?.succeed(Response(status: Int(head.status.code), headers: head.headers, body: body))
                promise = nil
                self.head = nil
                body = []
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            handshakeEnded(Failure.network("the platform closed the connection during the TLS handshake"))
            end(.network("the platform closed the connection before its answer was complete"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            handshakeEnded(error)
            end(.network(PlatformLink.explain(error)))
            context.close(promise: nil)
        }

        /// The connection is over: the answer waited for fails, and so does any asked for later. The first reason stands.
        private func end(_ failure: Failure) {
            if ended == nil { ended = failure }
            fail(ended ?? failure)
        }
    }
}
