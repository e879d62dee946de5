import AgentAuth
import Crypto
import Drivers
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSClient
import KioskCore
@testable import KioskDaemon
import Logging
import Outbox
import Synchronization
import TestSupport
import Testing

@Suite("The local API: the screen as JSON over HTTP and a WebSocket, touches back", .serialized, .timeLimit(.minutes(2)))
struct LocalAPITests {
    @Test("A page on /ws gets each screen as it changes and drives the visit with touches; after the end nothing personal is pushed")
    func webSocket() async throws {
        let folder = temporaryDirectory()
        let station = try TestStation(folder)
        let session = station.runtime
        defer { try? station.outbox.close() }
        let app = localAPI(session, uiDirectory: ConfigTests.repositoryRoot + "/ui")
        let resident = SessionRuntimePlatformTests.resident

        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Each pushed screen as the page received it.
            let pushed = PushedScreens()
            func models() -> [[String: Any]] {
                pushed.texts.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            }
            func seen(_ screen: String) async -> Bool {
                await eventually(within: .seconds(20)) { models().contains { $0["screen"] as? String == screen } }
            }
            let socket = Task { () async throws -> Void in
                _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", logger: Logger(label: "test")) { inbound, outbound, _ in
                    var touches: [String] = [
                        #"{"type": "menu", "menu": "search", "value": "高龄"}"#, #"{"type": "choose", "code": "0500012000"}"#, #"{"type": "next"}"#,
                        #"{"type": "tickle"}"#, #"{"type": "end"}"#,
                    ]
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let model = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                        let count = pushed.texts.withLock { $0.append(text); return $0.count }
                        if model["error"] != nil || ["home", "browse", "guide", "form"].contains(model["screen"] as? String ?? ""), !touches.isEmpty {
                            try await outbound.write(.text(touches.removeFirst()))
                        }
                        if model["screen"] as? String == "attract", count > 1 { return }
                    }
                }
            }
            #expect(await seen("attract"), "the current screen comes first")
            await session.send(.cardPresented(resident, now: Date().timeIntervalSince1970))
            #expect(await seen("browse"))
            #expect(await seen("form"))
            _ = try await socket.value
            let all = models()
            let browse = try #require(all.first { $0["screen"] as? String == "browse" })
            #expect((browse["menu"] as? [[String: Any]])?.first?["name"] as? String == "高龄津贴申领")
            let form = try #require(all.first { $0["screen"] as? String == "form" })
            let fields = try #require(form["form"] as? [[String: Any]])
            // The card's values are shown masked: the page never holds the whole name or number.
            #expect(fields.first { $0["id"] as? String == "applicant_name" }?["value"] as? String == "张*兰")
            #expect(fields.first { $0["id"] as? String == "applicant_name" }?["locked"] as? Bool == true)
            #expect(fields.first { $0["id"] as? String == "applicant_id" }?["value"] as? String == Masking.idNumber(resident.number))
            #expect(!pushed.texts.withLock { $0.joined() }.contains(resident.number), "the whole ID number pushed to the page")
            #expect(all.contains { ($0["error"] as? String)?.contains("not a touch") == true }, "a bad message is answered, not ignored")
            let last = try #require(all.last)
            #expect(last["screen"] as? String == "attract")
            let text = String(decoding: try JSONSerialization.data(withJSONObject: last), as: UTF8.self)
            for secret in [resident.name, resident.number, "张*兰", "高龄"] { #expect(!text.contains(secret), "\(secret) pushed after the end") }

            // The same over plain HTTP, for tools.
            try await client.execute(uri: "/api/screen", method: .get) { response in
                #expect(response.status == .ok)
                let model = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(model?["screen"] as? String == "attract")
            }
            try await client.execute(uri: "/api/touch", method: .post, headers: json, body: ByteBuffer(string: #"{"type": "elderly_mode", "on": true}"#)) { response in
                let model = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(model?["elderly_mode"] as? Bool == true)
                #expect((model?["prompt"] as? String)?.contains("长辈模式") == true)
            }
            // The page itself: plain files, nothing from the internet, nothing cached.
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("<script type=\"module\" src=\"/app.js\">") && !page.contains("http://") && !page.contains("https://"))
            }
            try await client.execute(uri: "/app.js", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("new WebSocket"))
                #expect(response.headers[.cacheControl] == "no-store")
            }
            // The journeys' modules, served as JavaScript: a browser runs no module served as anything else.
            try await client.execute(uri: "/screens/resident-visit.js", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("export const render"))
                #expect(response.headers[.contentType]?.contains("javascript") == true, "\(response.headers[.contentType] ?? "")")
            }
            try await client.execute(uri: "/api/touch", method: .post, headers: json, body: ByteBuffer(string: "garbage")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("docs/local-api.md"))
            }
        }
    }
}

private let json: HTTPFields = [.contentType: "application/json"]

/// The local API over `session` on a free loopback port, routes and WebSocket as `Daemon` serves them.
private func localAPI(_ session: SessionRuntime, uiDirectory: String? = nil, screenKey: ScreenKey? = nil,
                      metrics: (@Sendable () -> String)? = nil) -> some ApplicationProtocol {
    Application(router: HTTPRoutes.router(health: nil, session: session, uiDirectory: uiDirectory, screenKey: screenKey, metrics: metrics),
                server: HTTPRoutes.webSocket(session: session, screenKey: screenKey),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)))
}

@Suite("The local API is the screen's alone: another origin's page cannot use it through the screen's browser", .timeLimit(.minutes(1)))
struct ScreenOnlyTests {
    @Test("A name that resolves here, a foreign Origin (also on /ws) and a text/plain touch are refused; /healthz and /metrics stay open to tools")
    func foreignPages() async throws {
        let folder = temporaryDirectory()
        let station = try TestStation(folder)
        defer { try? station.outbox.close() }
        let app = localAPI(station.runtime, metrics: { "kioskd_up 1\n" })
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // HummingbirdTesting's client says Host: localhost.
            let own: HTTPFields = [.origin: "http://localhost", .contentType: "application/json"]
            try await client.execute(uri: "/api/touch", method: .post, headers: own, body: ByteBuffer(string: #"{"type": "still_here"}"#)) { #expect($0.status == .ok) }
            let refused: [(String, HTTPFields, HTTPResponse.Status, String)] = [
                ("/api/touch", [.origin: "http://evil.example", .contentType: "application/json"], .forbidden, "is not kioskd's own page"),
                ("/api/touch", [.origin: "http://127.0.0.1:9999", .contentType: "application/json"], .forbidden, "is not kioskd's own page"),
                ("/api/touch", [.contentType: "text/plain"], .unsupportedMediaType, "application/json"),
                ("/api/touch", [:], .unsupportedMediaType, "application/json"),
                ("/api/handwriting", [.contentType: "application/x-www-form-urlencoded"], .unsupportedMediaType, "application/json"),
                // A second Host, as a name that resolves here would bring.
                ("/api/touch", [HTTPField.Name("Host")!: "kiosk.attacker.example", .contentType: "application/json"], .forbidden, "more than one Host"),
            ]
            for (uri, headers, status, message) in refused {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: #"{"type": "elderly_mode", "on": true}"#)) { response in
                    #expect(response.status == status, "\(uri) \(headers)")
                    #expect(String(buffer: response.body).contains(message))
                }
            }
            try await client.execute(uri: "/api/screen", method: .get) { response in
                let model = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(model?["elderly_mode"] as? Bool == false, "a refused touch changed the session")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.origin: "http://evil.example"]) { #expect($0.status == .ok) }
            // The WebSocket: kioskd's own page is upgraded, another origin's is not.
            var foreign = WebSocketClientConfiguration()
            foreign.additionalHeaders = [.origin: "http://evil.example"]
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", configuration: foreign, logger: Logger(label: "test")) { _, _, _ in }
            }
            var ownPage = WebSocketClientConfiguration()
            ownPage.additionalHeaders = [.origin: "http://127.0.0.1:\(port)"]
            let first = Mutex<String?>(nil)
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", configuration: ownPage, logger: Logger(label: "test")) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { first.withLock { $0 = text }; return }
                }
            }
            #expect(first.withLock { $0 }?.contains(#""screen":"attract""#) == true)
        }
    }
}

extension ScreenOnlyTests {
    @Test("With a screen key, the WebSocket and the API need it: as the cookie or a bearer token, compared whole")
    func screenKey() async throws {
        let folder = temporaryDirectory()
        let station = try TestStation(folder)
        defer { try? station.outbox.close() }
        let key = ScreenKey.random()
        #expect(key.value.count == 64 && key.value.allSatisfy(\.isHexDigit) && key != ScreenKey.random())
        let app = localAPI(station.runtime, screenKey: key)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let cases: [(HTTPFields, HTTPResponse.Status)] = [
                ([:], .unauthorized),
                ([.authorization: "Bearer " + key.value], .ok),
                // The last digit changed (a key ending in 0 once made "+ 0" the key itself).
                ([.authorization: "Bearer " + key.value.dropLast() + (key.value.hasSuffix("0") ? "1" : "0")], .unauthorized),
                ([.authorization: "Bearer " + key.value.prefix(32)], .unauthorized),
                ([.cookie: "other=1; kioskd_screen=" + key.value], .ok),
                ([.cookie: "kioskd_screen=" + key.value + "0"], .unauthorized),
            ]
            for (headers, status) in cases {
                try await client.execute(uri: "/api/screen", method: .get, headers: headers) { #expect($0.status == status, "\(headers)") }
            }
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", logger: Logger(label: "test")) { _, _, _ in }
            }
            var withKey = WebSocketClientConfiguration()
            withKey.additionalHeaders = [.cookie: "kioskd_screen=" + key.value]
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", configuration: withKey, logger: Logger(label: "test")) { inbound, _, _ in
                for try await _ in inbound.messages(maxSize: 1 << 20) { return }
            }
        }
    }

    @Test("Host: an address or localhost, with or without a port; never a name, however it begins")
    func hosts() {
        func request(_ authority: String) -> HTTPRequest { HTTPRequest(method: .get, scheme: nil, authority: authority, path: "/api/screen") }
        for allowed in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "192.168.1.20", "[::1]:8080", "10.0.0.7:80"] {
            #expect(ScreenOnly.refusal(request(allowed)) == nil, "\(allowed)")
        }
        for refused in ["kiosk.attacker.example:8080", "127.0.0.1.attacker.example", "localhost.attacker.example:8080", "127.0.0.1:80x",
                        "256.0.0.1:8080", "1.2.3:8080", "[::1", "[]:80"] {
            #expect(ScreenOnly.refusal(request(refused))?.reason.contains("is not kioskd's address") == true, "\(refused)")
        }
        var health = request("kiosk.attacker.example")
        health.path = "/healthz"
        #expect(ScreenOnly.refusal(health) == nil, "/healthz stays open to tools")
    }
}

/// What a page on the WebSocket received, shared with the test.
final class PushedScreens: Sendable {
    let texts = Mutex<[String]>([])
}

@Suite("The writing pad's reader on the local API")
struct HandwritingAPITests {
    @Test("POST /api/handwriting reads the strokes; bad strokes are refused with what to send; without a model there is no pad")
    func handwriting() async throws {
        let app = Application(router: HTTPRoutes.router(health: nil, handwriting: try shippedWritingPad(try ZinniaReader())))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/handwriting", method: .get) { #expect($0.status == .ok) }
            // 王 in a 400-unit box, stroke by stroke as the page sends it.
            let king = #"{"width": 400, "height": 400, "strokes": [[[80,80],[200,80],[320,80]], [[100,200],[300,200]], [[200,80],[200,330]], [[48,336],[352,336]]]}"#
            try await client.execute(uri: "/api/handwriting", method: .post, headers: json, body: ByteBuffer(string: king)) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode([String: [String]].self, from: Data(buffer: response.body))
                #expect(answer["candidates"]?.first == "王", "\(answer)")
                #expect(answer["candidates"]?.count == 10)
            }
            for (body, message) in [
                ("王", "not a handwritten character"),
                (#"{"width": 400, "height": 400, "strokes": [[[80, 80, 3]]]}"#, "a point is [x, y], not 3 numbers"),
                (#"{"width": 400, "height": 400, "strokes": [[[800, 80]]]}"#, "leaves the pad at (800, 80)"),
                (#"{"width": 400, "height": 400, "strokes": []}"#, "nothing is written"),
            ] {
                try await client.execute(uri: "/api/handwriting", method: .post, headers: json, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains(message), "\(String(buffer: response.body))")
                }
            }
        }
        try await Application(router: HTTPRoutes.router(health: nil)).test(.router) { client in
            try await client.execute(uri: "/api/handwriting", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("handwriting.model"))
            }
        }
    }
}
