import Foundation
import Hummingbird
import KioskCore

/// The local HTTP host: `/healthz` now; the touchscreen UI and its
/// WebSocket join it with the touchscreen issue.
enum HTTPRoutes {
    static func router(health: HealthSource) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(health.summary())
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: statusPage(health.summary()))))
        }
        return router
    }

    /// A plain status page for the maintainer until the touchscreen UI is served here.
    static func statusPage(_ summary: HealthSummary) -> String {
        let rows = summary.components.map { component in
            "<tr><td>\(escape(component.name))</td><td>\(escape(component.status))</td><td>\(escape(component.detail ?? ""))</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>kioskd</title>
            <style>body{font:18px/1.4 sans-serif;margin:2em}td{padding:.3em 1em;border-bottom:1px solid #ccc}</style></head>
            <body><h1>kioskd \(escape(summary.version)) — \(escape(summary.status))</h1>
            <p>The touchscreen UI is not installed in this build yet. Component health (also as JSON at <a href="/healthz">/healthz</a>):</p>
            <table>\(rows)</table></body></html>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
