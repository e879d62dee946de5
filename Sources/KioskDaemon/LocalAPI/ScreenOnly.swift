import Hummingbird
import HTTPTypes
import SystemIO

/// What a web page elsewhere cannot make the screen's browser do to kioskd:
/// - a name that resolves to this machine (DNS rebinding) is not a Host: only
///   an address or `localhost` is;
/// - another origin's page is refused wherever the browser says whose it is
///   (`Origin` must be kioskd's own, the scheme and the Host it was reached at);
/// - a touch or strokes come only as `application/json`, which a page
///   elsewhere cannot send without asking first.
/// `/healthz` and `/metrics` stay open to tools: nothing personal is in them.
enum ScreenOnly {
    static let open: Set<String> = ["/healthz", "/metrics"]

    static func isOpen(_ request: HTTPRequest) -> Bool { open.contains(String(request.path?.prefix { $0 != "?" } ?? "")) }

    /// Why the request is refused, and the answer's status; nil when it is not.
    static func refusal(_ request: HTTPRequest) -> (status: HTTPResponse.Status, reason: String)? {
        if isOpen(request) { return nil }
        let hosts = [request.authority].compactMap { $0 } + request.headerFields[values: hostField]
        guard hosts.count <= 1 else { return (.forbidden, "more than one Host") }
        let host = hosts.first ?? ""
        if !host.isEmpty, !isAddressOrLocalhost(host) {
            return (.forbidden, "Host \(host) is not kioskd's address: open the screen at http://127.0.0.1:PORT/")
        }
        // A browser's page says http://HOST:PORT; a WebSocket library that is not a browser may say ws://HOST.
        let own = ["http://" + host, "ws://" + (host.split(separator: ":").first.map(String.init) ?? host)]
        if let foreign = request.headerFields[values: .origin].first(where: { !own.contains($0) }) {
            return (.forbidden, "Origin \(foreign) is not kioskd's own page")
        }
        if request.method == .post, request.headerFields[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() != "application/json" {
            return (.unsupportedMediaType, "send the body as Content-Type: application/json")
        }
        return nil
    }

    private static let hostField = HTTPField.Name("Host")!

    /// `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `192.168.1.20` — not `kiosk.example:8080`.
    static func isAddressOrLocalhost(_ authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            host = host[host.index(after: host.startIndex)..<close]
            return !host.isEmpty && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        if let colon = host.lastIndex(of: ":") {
            guard host[host.index(after: colon)...].allSatisfy({ ("0"..."9").contains($0) }) else { return false }
            host = host[..<colon]
        }
        return host.lowercased() == "localhost" || isIPv4Address(host)
    }
}

extension ScreenOnly {
    /// Whether a WebSocket may be opened: kioskd's own page, with the key.
    static func admitsWebSocket(_ request: HTTPRequest, key: ScreenKey?) -> Bool {
        refusal(request) == nil && (key?.admits(request) ?? true)
    }
}

struct ScreenOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Nil only where a test drives the routes without one.
    let key: ScreenKey?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refused = ScreenOnly.refusal(request.head) {
            return try HTTPRoutes.json(HTTPRoutes.Refusal(error: refused.reason), status: refused.status)
        }
        guard let key, !ScreenOnly.isOpen(request.head), !key.admits(request.head) else { return try await next(request, context) }
        if request.method == .get, key.offered(in: request.head) {
            // The screen's first load: the key goes into the cookie, and out of the address bar. The page
            // itself moves on (not a redirect), so that the next load starts at kioskd's own page: a
            // SameSite=Strict cookie is not sent on a navigation that began elsewhere (a start page on file://).
            let page = #"<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/"><title>kioskd</title>"#
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .setCookie: key.setCookie, .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        let why = """
            this is the kiosk screen's: open it at the address `kioskctl screen-url` prints (make demo prints it too); \
            a tool sends Authorization: Bearer and the key in http.screen_key_file
            """
        if request.uri.path == "/" {
            // Someone opened the screen's address by hand: say so on the page itself.
            return Response(status: .unauthorized, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: "<!doctype html><meta charset=utf-8><title>kioskd</title><p>\(HTTPRoutes.escape(why))</p>\n")))
        }
        return try HTTPRoutes.json(HTTPRoutes.Refusal(error: why), status: .unauthorized)
    }
}
