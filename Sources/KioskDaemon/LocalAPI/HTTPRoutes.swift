import Drivers
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KioskCore
import Logging
import NIOCore

/// The local HTTP host: `/healthz`, the local API the touchscreen (and tests
/// and tools) drive a visit through — `GET /api/screen`, `POST /api/touch`
/// and the WebSocket `/ws` (docs/local-api.md) — and the UI's files.
enum HTTPRoutes {
    static func router(health: (@Sendable () -> HealthSummary)?, session: SessionRuntime? = nil, uiDirectory: String? = nil,
                       handwriting: WritingPad? = nil, speech: SpeechRenderer? = nil, screenKey: ScreenKey? = nil,
                       metrics: (@Sendable () -> String)? = nil) -> Router<BasicRequestContext> {
        let (router, ui) = screenRouter(uiDirectory: uiDirectory, screenKey: screenKey)
        if let session { addSessionRoutes(router, session, speech: speech ?? SpeechRenderer(reading: session.phrasebooks.reading, synthesizer: ESpeakNG())) }
        addHandwritingRoutes(router, handwriting)
        if let metrics {
            // Prometheus text exposition: counts and states, nothing personal, nothing to change (that is the admin socket's).
            router.get("/metrics") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(string: metrics())))
            }
        }
        guard let health else { return router }
        router.get("/healthz") { _, _ in try healthz(health()) }
        router.get(ui == nil ? "/" : "/status") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: statusPage(health()))))
        }
        return router
    }

    /// A router that answers only the screen's page (``ScreenOnlyMiddleware``), serving the page's
    /// files (ui/) when `uiDirectory` holds them; that folder, or nil when it does not.
    static func screenRouter(uiDirectory: String?, screenKey: ScreenKey?) -> (Router<BasicRequestContext>, ui: String?) {
        let router = Router()
        router.add(middleware: ScreenOnlyMiddleware(key: screenKey))
        let ui = uiDirectory.flatMap { FileManager.default.fileExists(atPath: $0 + "/index.html") ? $0 : nil }
        if let ui { router.add(middleware: FileMiddleware(ui, cacheControl: .init([(MediaType(type: .any), [.noStore])]), searchForIndexHtml: true)) }
        return (router, ui)
    }

    /// The `/healthz` answer: the summary as readable JSON, never cached.
    static func healthz(_ summary: HealthSummary) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(summary))))
    }

    /// Hummingbird logs an error for each connection closed before its first request, which a flood
    /// makes thousands of: its logger says only what is critical, and ``ConnectionGuard`` reports floods itself.
    static func serverLogger(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = .critical
        return quiet
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static var encoder: JSONEncoder { KioskJSON.encoder }

    struct Refusal: Encodable { var error: String }

    static func addSessionRoutes(_ router: Router<BasicRequestContext>, _ session: SessionRuntime, speech: SpeechRenderer) {
        router.get("/api/screen") { _, _ -> Response in try json(await session.screen) }
        // A page scanned in this session, for its thumbnail; gone when the session ends.
        router.get("/api/page/:material/:index") { _, context -> Response in
            guard let material = context.parameters.get("material"), let index = context.parameters.get("index", as: Int.self),
                  let page = await session.scannedPage(material: material, index: index) else {
                return try json(Refusal(error: "no such page in this session"), status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: page.mediaType, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: page.data)))
        }
        // The receipt's QR code (the tracking URL) while the receipt is on screen.
        router.get("/api/receipt-qr.png") { _, _ -> Response in
            guard case .receipt(let shown) = await session.screen.view, let code = QRCode(data: Array(shown.receipt.trackingURL.utf8), level: .medium) else {
                return try json(Refusal(error: "no receipt is on screen"), status: .notFound)
            }
            let scale = 8, quiet = 4, side = (code.size + 2 * quiet) * scale
            let png = PNG.encode(width: side, height: side) { x, y in
                let (column, row) = (x / scale - quiet, y / scale - quiet)
                return (0..<code.size).contains(column) && (0..<code.size).contains(row) && code.modules[row][column]
            }
            return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        // The current screen's prompt as speech (WAV) in the screen's language, for the page to play.
        router.get("/api/speech") { _, _ -> Response in
            let frame = await session.screen.frame
            guard let prompt = frame.prompt else { return try json(Refusal(error: "this screen says nothing"), status: .notFound) }
            do {
                let wav = try await speech.wav(for: prompt, voice: SpeechRenderer.voice(for: frame.language), rate: SpeechRenderer.rate(elderly: frame.elderlyMode))
                return Response(status: .ok, headers: [.contentType: "audio/wav", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: wav)))
            } catch {
                return try json(Refusal(error: "\(error)"), status: .serviceUnavailable)
            }
        }
        router.post("/api/touch") { request, context -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let message = try? JSONDecoder().decode(TouchMessage.self, from: body), let touch = message.touch else {
                return try json(Refusal(error: "not a touch: see docs/local-api.md for the types and their fields"), status: .badRequest)
            }
            await session.touch(touch)
            return try json(await session.screen)
        }
    }

    /// The writing pad: `GET /api/handwriting` says whether there is one (the
    /// page shows its pad only then); `POST` reads one character's strokes.
    static func addHandwritingRoutes(_ router: Router<BasicRequestContext>, _ pad: WritingPad?) {
        router.get("/api/handwriting") { _, _ -> Response in
            guard pad != nil else { return try json(Refusal(error: "no handwriting model: see handwriting.model in docs/configuration.md"), status: .notFound) }
            return try json(["pad": true])
        }
        router.post("/api/handwriting") { request, _ -> Response in
            guard let pad else { return try json(Refusal(error: "no handwriting model: see handwriting.model in docs/configuration.md"), status: .notFound) }
            let body = try await request.body.collect(upTo: 256 * 1024)
            let character: HandwrittenCharacter
            do {
                character = try HandwritingMessage.decode(body)
            } catch {
                return try json(Refusal(error: "\(error): see POST /api/handwriting in docs/local-api.md"), status: .badRequest)
            }
            // Reading takes tens of milliseconds a stroke: off the threads that serve the screen, one at a time,
            // and no more waiting than the page could want (it asks once its last answer is back).
            guard let candidates = await HandwritingMessage.readings.read({ pad.candidates(for: character, count: HandwritingMessage.shown) }) else {
                return try json(Refusal(error: "the writing pad is reading other strokes: ask again when they are read"), status: .serviceUnavailable)
            }
            return try json(["candidates": candidates])
        }
    }

    /// The WebSocket at `/ws`: each screen is pushed as JSON as it changes (the
    /// current one first); each text message from the page is a touch.
    /// With `connections`, every connection is counted and bounded by it
    /// (see ``ConnectionGuard``).
    static func webSocket(session: SessionRuntime, screenKey: ScreenKey? = nil, connections: ConnectionGuard? = nil) -> HTTPServerBuilder {
        guard let connections else { return .http1WebSocketUpgrade(shouldUpgrade: screenSocket(session: session, screenKey: screenKey)) }
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(additionalChannelHandlers: [RequestWatch(connections)], idleTimeout: ConnectionGuard.headerTimeout))
        let shouldUpgrade = screenSocket(session: session, screenKey: screenKey)
        return HTTPServerBuilder { responder in
            GuardedChannel(inner: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: configuration) { request, channel, logger in
                connections.requested(on: channel, head: request)
                return try await shouldUpgrade(request, channel, logger)
            }, connections: connections)
        }
    }

    private static func screenSocket(session: SessionRuntime, screenKey: ScreenKey?)
        -> @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        { request, _, _ in
            // Another origin's page, or one without the key, is refused here: the request goes on to the router, which answers 403 or 401.
            guard request.path == "/ws", ScreenOnly.admitsWebSocket(request, key: screenKey) else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                let screens = await session.subscribe()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await screen in screens {
                            try await outbound.write(.text(String(decoding: try encoder.encode(screen), as: UTF8.self)))
                        }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 64 * 1024) {
                            guard case .text(let text) = message else { continue }
                            if let touch = (try? JSONDecoder().decode(TouchMessage.self, from: Data(text.utf8)))?.touch {
                                await session.touch(touch)
                            } else {
                                try await outbound.write(.text(#"{"error":"not a touch: see docs/local-api.md"}"#))
                            }
                        }
                    }
                    // The page went away (or the server stops): stop pushing to it.
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// The maintainer's status page: at `/` where no touchscreen UI is installed, else at `/status`.
    static func statusPage(_ summary: HealthSummary) -> String {
        let rows = summary.components.map { component in
            "<tr><td>\(escape(component.name))</td><td>\(escape(component.status))</td><td>\(escape(component.detail ?? ""))</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>kioskd</title>
            <style>body{font:18px/1.4 sans-serif;margin:2em}td{padding:.3em 1em;border-bottom:1px solid #ccc}</style></head>
            <body><h1>kioskd \(escape(summary.version)) — \(escape(summary.status))</h1>
            <p>Component health (also as JSON at <a href="/healthz">/healthz</a>):</p>
            <table>\(rows)</table></body></html>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
