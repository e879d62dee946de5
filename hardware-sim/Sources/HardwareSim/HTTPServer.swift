import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// An HTTP request as a simulator sees it.
public struct HTTPRequest: Sendable {
    /// GET, POST, DELETE, …
    public var method: String
    /// The path, without the query.
    public var path: String
    /// The query's parameters, decoded (the last of a repeated one).
    public var query: [String: String]
    /// Header names in lowercase.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]
    /// Over TLS: the common name of the client's certificate (the station code).
    public var clientCommonName: String?

    /// Creates a request.
    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String], body: [UInt8], clientCommonName: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientCommonName = clientCommonName
    }
}

/// What a simulator does with a request.
public enum HTTPAction: Sendable {
    /// Answer.
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// Close the connection without answering (a dropped connection fault).
    case drop
    /// Answer, the body a byte at a time, `interval` apart (a link or a platform that trickles).
    case drip(status: Int, headers: [(String, String)], body: [UInt8], interval: Duration)
}

/// The simulators' HTTP/1.1 server (SwiftNIO): the eSCL scanner's, and the
/// platform's, plain or behind TLS with a client certificate required
/// (mTLS). Each request is handed whole to the handler. Over TLS it can
/// present an impostor's certificate instead of its own (`tls impostor`), as
/// an interceptor on the village link would, or offer only TLS 1.1 or older
/// (`tls legacy`), so a test can show the station refuses to talk.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPAction

    /// PEM files for TLS, as `scripts/make-test-pki.sh DIR` makes them.
    public struct TLSFiles: Sendable {
        /// The server's certificate (chain) and key.
        public var certificate: String
        public var key: String
        /// The CA the client's certificate must be signed by.
        public var clientCA: String
        /// Another certificate for the same names, from a CA the station does not pin.
        public var impostorCertificate: String?
        public var impostorKey: String?

        /// The files in `directory`.
        public init(directory: String) {
            certificate = directory + "/server.pem"
            key = directory + "/server-key.pem"
            clientCA = directory + "/ca.pem"
            impostorCertificate = directory + "/impostor.pem"
            impostorKey = directory + "/impostor-key.pem"
        }
    }

    /// What new TLS connections are offered.
    public enum Presentation: String, Sendable {
        /// The server's own certificate, TLS 1.2 and newer.
        case genuine
        /// Another certificate for the same names, from a CA the station does not pin.
        case impostor
        /// The server's own certificate, but only TLS 1.0 and 1.1.
        case legacy
    }

    /// The connections open now and what new ones are offered.
    private final class Connections: Sendable {
        let open = Mutex<[ObjectIdentifier: any Channel]>([:])
        let presentation = Mutex(Presentation.genuine)

        func closeAll() {
            for connection in open.withLock({ Array($0.values) }) { connection.close(promise: nil) }
        }
    }

    private let channel: any Channel
    /// Its own thread, apart from the station's: the platform is another machine, and
    /// a simulator on the station's event loops would slow the station it is measured against.
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let connections = Connections()
    private let hasImpostor: Bool
    private let isTLS: Bool

    /// Listens on `host:port` (0 lets the system choose); with `tls`, HTTPS that requires a client certificate.
    public init(host: String = "127.0.0.1", port: UInt16, tls: TLSFiles? = nil, handler: @escaping Handler) throws {
        func context(certificate: String, key: String, clientCA: String, legacy: Bool = false) throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            if legacy {
                configuration.minimumTLSVersion = .tlsv1
                configuration.maximumTLSVersion = .tlsv11
            }
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
            // A station without a certificate from the platform's CA does not get past the handshake.
            configuration.certificateVerification = .noHostnameVerification
            return try NIOSSLContext(configuration: configuration)
        }
        let genuine = try tls.map { try context(certificate: $0.certificate, key: $0.key, clientCA: $0.clientCA) }
        let impostor: NIOSSLContext? = if let tls, let certificate = tls.impostorCertificate, let key = tls.impostorKey,
                                          FileManager.default.fileExists(atPath: certificate) {
            try context(certificate: certificate, key: key, clientCA: tls.clientCA)
        } else {
            nil
        }
        let legacy = try tls.map { try context(certificate: $0.certificate, key: $0.key, clientCA: $0.clientCA, legacy: true) }
        hasImpostor = impostor != nil
        isTLS = tls != nil
        let connections = connections
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.open.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in connections.open.withLock { _ = $0.removeValue(forKey: id) } }
                let presenting = connections.presentation.withLock { $0 }
                return channel.eventLoop.makeCompletedFuture {
                    if let genuine {
                        let context = switch presenting {
                        case .genuine: genuine
                        case .impostor: impostor ?? genuine
                        case .legacy: legacy ?? genuine
                        }
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler))
                }
            }
            .bind(host: host, port: Int(port)).wait()
    }

    /// The port it listens on.
    public var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    /// Waits until the server is stopped (for a caller that runs servers as tasks).
    public func serve() async {
        try? await channel.closeFuture.get()
    }

    /// What new connections are offered from now on. Open connections are
    /// closed, so the station's next request shakes hands again.
    /// - Returns: false when it cannot be offered (no impostor certificate was given, or no TLS).
    @discardableResult
    public func present(_ presentation: Presentation) -> Bool {
        guard isTLS, presentation != .impostor || hasImpostor else { return false }
        connections.presentation.withLock { $0 = presentation }
        connections.closeAll()
        return true
    }

    /// Stops listening and closes open connections.
    public func stop() {
        channel.close(promise: nil)
        connections.closeAll()
        group.shutdownGracefully { _ in }
    }

    deinit { group.shutdownGracefully { _ in } }

    /// Collects a request, hands it over, writes the answer (or drops the connection).
    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let handler: Handler
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        /// A body past this is not kept: the request is answered 413.
        static let maxBody = 16 << 20
        var tooLarge = false

        init(handler: @escaping Handler) { self.handler = handler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
                tooLarge = false
            case .body(var buffer):
                if body.count + buffer.readableBytes > Self.maxBody { tooLarge = true }
                if !tooLarge { body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
            case .end:
                guard let head else { return }
                if tooLarge {
                    var response = HTTPResponseHead(version: .http1_1, status: .payloadTooLarge)
                    response.headers.add(name: "Content-Length", value: "0")
                    response.headers.add(name: "Connection", value: "close")
                    context.write(NIOAny(HTTPServerResponsePart.head(response)), promise: nil)
                    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { [context = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in
                        context.value.close(promise: nil)
                    }
                    self.head = nil
                    return
                }
                let commonName = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.peerCertificate?
                    .subjectName.first { $0.type == .commonName }?.value
                let query = URLComponents(string: head.uri)?.queryItems?.reduce(into: [String: String]()) { $0[$1.name] = $1.value ?? "" } ?? [:]
                let request = HTTPRequest(
                    method: head.method.rawValue, path: String(head.uri.split(separator: "?", maxSplits: 1).first ?? ""), query: query,
                    headers: Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first }), body: body,
                    clientCommonName: commonName)
                let keepAlive = head.isKeepAlive
                let handler = self.handler
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let answer = context.eventLoop.makePromise(of: HTTPAction.self)
                answer.completeWithTask { await handler(request) }
                answer.futureResult.whenSuccess { action in
                    let context = bound.value
                    func head(_ status: Int, _ headers: [(String, String)], length: Int) -> HTTPServerResponsePart {
                        var responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status))
                        for (name, value) in headers { responseHead.headers.add(name: name, value: value) }
                        responseHead.headers.replaceOrAdd(name: "Content-Length", value: String(length))
                        if !keepAlive { responseHead.headers.replaceOrAdd(name: "Connection", value: "close") }
                        return .head(responseHead)
                    }
                    switch action {
                    case .drop:
                        context.close(promise: nil)
                    case .respond(let status, let headers, let body):
                        context.write(NIOAny(head(status, headers, length: body.count)), promise: nil)
                        if !body.isEmpty { context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
                        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                            if !keepAlive { bound.value.close(promise: nil) }
                        }
                    case .drip(let status, let headers, let body, let interval):
                        context.writeAndFlush(NIOAny(head(status, headers, length: body.count)), promise: nil)
                        let sent = NIOLoopBoundBox(0, eventLoop: context.eventLoop)
                        let nanoseconds = Int64(interval.components.seconds) * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
                        context.eventLoop.scheduleRepeatedTask(initialDelay: .nanoseconds(nanoseconds), delay: .nanoseconds(nanoseconds)) { task in
                            let context = bound.value
                            guard context.channel.isActive else { return task.cancel() }
                            guard sent.value < body.count else {
                                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
                                return task.cancel()
                            }
                            context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: [body[sent.value]])))), promise: nil)
                            sent.value += 1
                        }
                    }
                }
                self.head = nil
                body = []
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A failed handshake (no client certificate, or the station refused ours), or a request that is not HTTP, ends the connection.
            context.close(promise: nil)
        }
    }
}
