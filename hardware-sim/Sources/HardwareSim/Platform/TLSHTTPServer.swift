import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The platform's HTTPS front: TLS with a client certificate required
/// (mTLS), HTTP/1.1 on top, each request handed to the same handler as the
/// plain server. It can present an impostor's certificate instead of its own
/// (`tls impostor`), as an interceptor on the village link would, so a test
/// can show the station refuses to talk.
public final class TLSHTTPServer: Sendable {
    /// PEM files.
    public struct Files: Sendable {
        /// The server's certificate (chain) and key.
        public var certificate: String
        public var key: String
        /// The CA the station's client certificate must be signed by.
        public var clientCA: String
        /// Another certificate for the same names, from a CA the station does not pin.
        public var impostorCertificate: String?
        public var impostorKey: String?

        /// Files as `scripts/make-test-pki.sh DIR` makes them.
        public init(directory: String) {
            certificate = directory + "/server.pem"
            key = directory + "/server-key.pem"
            clientCA = directory + "/ca.pem"
            impostorCertificate = directory + "/impostor.pem"
            impostorKey = directory + "/impostor-key.pem"
        }
    }

    /// What the handler learns about a request beyond HTTP: the client certificate's common name.
    public typealias Handler = @Sendable (HTTPRequest, _ clientCommonName: String?) async -> HTTPAction

    private let genuine: NIOSSLContext
    private let impostor: NIOSSLContext?
    private let presentingImpostor = LockedValue(false)
    private let connections = LockedValue<[ObjectIdentifier: any Channel]>([:])
    private let channel: Channel

    /// Listens on `host:port` (0 lets the system choose).
    public init(host: String, port: UInt16, files: Files, handler: @escaping Handler) throws {
        func context(certificate: String, key: String) throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(files.clientCA))
            // A station without a certificate from the platform's CA does not get past the handshake.
            configuration.certificateVerification = .noHostnameVerification
            return try NIOSSLContext(configuration: configuration)
        }
        let genuine = try context(certificate: files.certificate, key: files.key)
        let impostor: NIOSSLContext? = if let certificate = files.impostorCertificate, let key = files.impostorKey,
                                          FileManager.default.fileExists(atPath: certificate) {
            try context(certificate: certificate, key: key)
        } else {
            nil
        }
        self.genuine = genuine
        self.impostor = impostor
        let presenting = presentingImpostor
        let connections = connections
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let context = presenting.value ? impostor ?? genuine : genuine
                let id = ObjectIdentifier(channel)
                connections.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in connections.withLock { _ = $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler))
                }
            }
            .bind(host: host, port: Int(port)).wait()
    }

    /// The port it listens on.
    public var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    /// Presents the impostor's certificate (true) or its own (false). Open
    /// connections are closed, so the station's next request shakes hands again.
    /// - Returns: false when no impostor certificate was given.
    @discardableResult
    public func presentImpostor(_ on: Bool) -> Bool {
        guard impostor != nil else { return false }
        presentingImpostor.value = on
        closeConnections()
        return true
    }

    /// Stops listening and closes open connections.
    public func stop() {
        channel.close(promise: nil)
        closeConnections()
    }

    private func closeConnections() {
        for connection in connections.value.values { connection.close(promise: nil) }
    }

    /// Collects a request, hands it over, writes the answer (or drops the connection).
    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let handler: Handler
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(handler: @escaping Handler) { self.handler = handler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = HTTPRequest(
                    method: head.method.rawValue, path: String(head.uri.split(separator: "?", maxSplits: 1).first ?? ""),
                    headers: Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first }), body: body)
                let commonName = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.peerCertificate?
                    .subjectName.first { $0.type == .commonName }?.value
                let keepAlive = head.isKeepAlive
                let handler = self.handler
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let answer = context.eventLoop.makePromise(of: HTTPAction.self)
                answer.completeWithTask { await handler(request, commonName) }
                answer.futureResult.whenSuccess { action in
                    let context = bound.value
                    switch action {
                    case .drop:
                        context.close(promise: nil)
                    case .respond(let status, let headers, let body):
                        var responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status))
                        for (name, value) in headers { responseHead.headers.add(name: name, value: value) }
                        responseHead.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
                        if !keepAlive { responseHead.headers.replaceOrAdd(name: "Connection", value: "close") }
                        context.write(NIOAny(HTTPServerResponsePart.head(responseHead)), promise: nil)
                        if !body.isEmpty { context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
                        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                            if !keepAlive { bound.value.close(promise: nil) }
                        }
                    }
                }
                self.head = nil
                body = []
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A failed handshake (no client certificate, or the station refused ours) ends the connection.
            context.close(promise: nil)
        }
    }
}
