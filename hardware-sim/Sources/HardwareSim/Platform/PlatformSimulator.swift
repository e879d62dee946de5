import Crypto
import CryptoExtras
import Foundation
import KioskCore
import Synchronization

/// The provincial platform, as far as a station sees it (docs/platform-api.yaml):
/// resumable uploads, idempotent submission, case status, ratings,
/// consultations, heartbeats. It opens what it receives with its private key
/// (its own reading of the envelope format), checks every attachment against
/// its hash, and keeps what it accepted in a folder a test can read:
/// `OUT/<tracking number>/payload.json` and `attachment-<i>`.
///
/// Faults, drawn from a seeded generator so a run can be repeated:
/// `refuse` / `accept` (stop and resume listening), `fail P STATUS [RETRY-AFTER]`
/// (500 or 503), `throttle P [RETRY-AFTER]` (429), `reset P` (an upload
/// chunk cut half-way, connection dropped), `drop-after-commit P` (the
/// application is accepted, the answer never arrives), `garbage P`
/// (200 with a body that is not JSON), `slow MS`, `faults` (what is armed),
/// `clear`; P is a percentage.
/// Over TLS also `tls impostor` / `tls genuine`: new connections see a
/// certificate from a CA the station does not pin, or the platform's own.
public final class PlatformSimulator: Sendable {
    public struct Faults: Sendable, Equatable {
        public var failPercent = 0
        public var failStatus = 503
        public var failRetryAfter: Int?
        public var throttlePercent = 0
        public var throttleRetryAfter: Int?
        public var resetPercent = 0
        public var dropAfterCommitPercent = 0
        public var garbagePercent = 0
        public var slow: Duration = .zero
        public init() {}
    }

    struct Submission {
        var bodyHash: String
        var status: Int
        var body: [UInt8]
        var tracking: String
    }

    struct Case {
        var caseNumber: String
        var status: String
        var detail: String?
    }

    struct State {
        var uploads: [String: [Int: [UInt8]]] = [:]
        var submissions: [String: Submission] = [:]
        var cases: [String: Case] = [:]
        var acceptedCount = 0
        var acceptances: [String: Int] = [:]
        var ratings: Set<String> = []
        var ratingsReceived: [(caseNumber: String, satisfaction: Int, reasons: [String], ratedAt: String, channel: String)] = []
        var consultations = 0
        var heartbeats = 0
        /// The last heartbeat's body, as sent.
        var lastHeartbeat: [UInt8]?
        /// How far the platform's clock (the Date of its answers to /v1/ping) is off, in seconds.
        var clockSkew = 0.0
        /// E-certificate types held per resident, by ID number.
        var eCertificates: [String: Set<String>] = [:]
        /// Reservations booked: service, date, what to bring, the opened contact.
        var reservations: [(serviceCode: String, date: String, missing: [String], contact: [String: String])] = []
        /// Consultations received: kind, content and the opened contact.
        var consultationsReceived: [(kind: String, content: String, contact: [String: String])] = []
        /// The published catalogue and its version (nil: none published).
        var catalogue: (bytes: [UInt8], version: String)?
        var faults = Faults()
        var random: SplitMix64
        var requests = 0
        var firstUploadAt: ContinuousClock.Instant?
    }

    private let privateKey: PlatformPrivateKey
    public let outputDirectory: String
    private let state: Mutex<State>
    private let server = Mutex<HTTPServer?>(nil)
    private let serving = Mutex<Task<Void, Never>?>(nil)
    private let tlsServer = Mutex<TLSHTTPServer?>(nil)
    private let tls: TLSHTTPServer.Files?
    private let impostor = Mutex(false)
    public let host: String
    public let port: UInt16

    /// Creates a platform with `privateKey`, saving accepted applications under
    /// `outputDirectory`; with `tls`, it serves HTTPS and requires the
    /// station's client certificate (mTLS), whose common name must be the
    /// station code of what it submits.
    public init(privateKey: PlatformPrivateKey, outputDirectory: String, host: String = "127.0.0.1", port: UInt16, seed: UInt64 = 1,
                tls: TLSHTTPServer.Files? = nil) throws {
        self.privateKey = privateKey
        self.outputDirectory = outputDirectory
        self.host = host
        self.port = port
        self.tls = tls
        state = Mutex(State(random: SplitMix64(seed: seed)))
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
    }

    /// The platform's key pair, kept in `privateKeyPath` (an X25519 key is
    /// made, mode 0600, when it is missing; a P-256 one is read too); the public
    /// half is written to `publicKeyPath` for kioskd's `platform.public_key`.
    public static func keyPair(privateKeyPath: String, publicKeyPath: String) throws -> PlatformPrivateKey {
        let key: PlatformPrivateKey
        if let text = try? String(contentsOfFile: privateKeyPath, encoding: .utf8) {
            guard let read = PlatformPrivateKey(pem: text) else {
                throw SimulatorError("\(privateKeyPath) is not an X25519 or P-256 private key in PEM form: delete it and a new one is made")
            }
            key = read
        } else {
            key = .x25519(Curve25519.KeyAgreement.PrivateKey())
            guard FileManager.default.createFile(atPath: privateKeyPath, contents: Data(key.pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw SimulatorError("cannot write the platform's private key to \(privateKeyPath)")
            }
        }
        let publicPEM = Data(key.publicKeyPEM.utf8)
        if FileManager.default.contents(atPath: publicKeyPath) != publicPEM {
            // Written aside and renamed, so kioskd never reads half a key.
            let temporary = publicKeyPath + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: publicPEM), rename(temporary, publicKeyPath) == 0 else {
                throw SimulatorError("cannot write the platform's public key to \(publicKeyPath)")
            }
        }
        return key
    }

    /// Starts listening (again).
    public func start() throws {
        if let tls {
            try tlsServer.withLock { server in
                guard server == nil else { return }
                let https = try TLSHTTPServer(host: host, port: port, files: tls) { await self.handle($0, clientCommonName: $1) }
                https.presentImpostor(impostor.withLock { $0 })
                server = https
            }
            return
        }
        guard server.withLock({ $0 }) == nil else { return }
        // A listener just stopped closes within its accept wait (200 ms): give the port that long to come free.
        for attempt in 1...20 {
            do {
                let http = try HTTPServer(host: host, port: port) { await self.handle($0) }
                server.withLock { $0 = http }
                serving.withLock { $0 = Task { await http.serve() } }
                return
            } catch {
                guard case .system(EADDRINUSE, _) = error, attempt < 20 else { throw error }
                usleep(50_000)
            }
        }
    }

    /// Stops listening: connections are refused until ``start()``.
    public func stop() {
        server.withLock { server in
            server?.stop()
            server = nil
        }
        serving.withLock { $0?.cancel() }
        tlsServer.withLock { server in
            server?.stop()
            server = nil
        }
    }

    /// The base URL stations use.
    public var url: String { "\(tls == nil ? "http" : "https")://\(host):\(port)" }

    /// Sets the faults.
    public func setFaults(_ faults: Faults) { state.withLock { $0.faults = faults } }

    /// How many applications were accepted (distinct idempotency keys), and when the first upload arrived.
    public var accepted: Int { state.withLock { $0.acceptedCount } }
    public var firstUploadAt: ContinuousClock.Instant? { state.withLock { $0.firstUploadAt } }
    /// Requests answered so far (pings included).
    public var requestCount: Int { state.withLock { $0.requests } }
    /// How many times each tracking number was accepted: more than once is a duplicate case at the platform.
    public var acceptances: [String: Int] { state.withLock { $0.acceptances } }

    /// Sets a case's status (受理, 办理中, 办结, 退回, 待领取), as the handling office would.
    public func setStatus(_ tracking: String, _ status: String, detail: String? = nil) {
        state.withLock { state in
            state.cases[tracking]?.status = status
            state.cases[tracking]?.detail = detail
        }
    }

    /// Ratings accepted (one per case), in order.
    public var ratingsReceived: [(caseNumber: String, satisfaction: Int, reasons: [String], ratedAt: String, channel: String)] { state.withLock { $0.ratingsReceived } }

    /// The e-certificates (电子证照) the platform holds for a resident.
    public func holdECertificates(_ types: [String], for idNumber: String) {
        state.withLock { $0.eCertificates[idNumber, default: []].formUnion(types) }
    }

    /// Reservations booked so far.
    public var reservations: [(serviceCode: String, date: String, missing: [String], contact: [String: String])] { state.withLock { $0.reservations } }

    /// Consultations received so far: kind, content, and the contact opened with the platform's key.
    public var consultations: [(kind: String, content: String, contact: [String: String])] { state.withLock { $0.consultationsReceived } }

    /// Publishes a service catalogue (docs/catalogue.md) for `GET /v1/catalogue`.
    /// The version is read from the file; bytes that are not JSON are served
    /// anyway (as version "unreadable"), so a station's refusal can be tested.
    public func publishCatalogue(_ bytes: [UInt8]) {
        let version = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any])?["version"] as? String ?? "unreadable"
        state.withLock { $0.catalogue = (bytes, version) }
    }

    public func control(_ words: [Substring]) async -> String? {
        let w = words.map(String.init)
        func percent(_ text: String) -> Int? { Int(text).flatMap { (0...100).contains($0) ? $0 : nil } }
        switch w.first {
        case "refuse":
            stop()
            return "ok: connections are refused"
        case "accept":
            do {
                try start()
                return "ok: listening at \(url)"
            } catch {
                return "error: cannot listen: \(error)"
            }
        case "fail" where w.count >= 3:
            guard let p = percent(w[1]), let status = Int(w[2]), status == 500 || status == 503 else { return "error: fail P 500|503 [RETRY-AFTER]" }
            state.withLock {
                $0.faults.failPercent = p
                $0.faults.failStatus = status
                $0.faults.failRetryAfter = w.count > 3 ? Int(w[3]) : nil
            }
            return "ok: \(p)% of requests answer \(status)"
        case "throttle" where w.count >= 2:
            guard let p = percent(w[1]) else { return "error: throttle P [RETRY-AFTER]" }
            state.withLock {
                $0.faults.throttlePercent = p
                $0.faults.throttleRetryAfter = w.count > 2 ? Int(w[2]) : nil
            }
            return "ok: \(p)% of requests answer 429"
        case "reset" where w.count == 2:
            guard let p = percent(w[1]) else { return "error: reset P" }
            state.withLock { $0.faults.resetPercent = p }
            return "ok: \(p)% of upload chunks are cut half-way"
        case "drop-after-commit" where w.count == 2:
            guard let p = percent(w[1]) else { return "error: drop-after-commit P" }
            state.withLock { $0.faults.dropAfterCommitPercent = p }
            return "ok: \(p)% of accepted applications get no answer"
        case "garbage" where w.count == 2:
            guard let p = percent(w[1]) else { return "error: garbage P" }
            state.withLock { $0.faults.garbagePercent = p }
            return "ok: \(p)% of answers are garbage"
        case "slow" where w.count == 2:
            guard let ms = Int(w[1]) else { return "error: slow MS" }
            state.withLock { $0.faults.slow = .milliseconds(ms) }
            return "ok: every answer waits \(ms) ms"
        case "tls" where w.count == 2 && (w[1] == "impostor" || w[1] == "genuine"):
            guard tls != nil else { return "error: this platform serves plain HTTP; start it with --tls DIR" }
            let on = w[1] == "impostor"
            impostor.withLock { $0 = on }
            guard tlsServer.withLock({ $0?.presentImpostor(on) }) ?? true else { return "error: no impostor certificate in the TLS folder" }
            return on ? "ok: new connections see a certificate from another CA" : "ok: new connections see the platform's own certificate"
        case "clear":
            state.withLock { $0.faults = Faults() }
            return "ok: faults cleared"
        case "faults":
            let f = state.withLock { $0.faults }
            func after(_ seconds: Int?) -> String { seconds.map { " (Retry-After \($0) s)" } ?? "" }
            let armed = [
                server.withLock({ $0 }) == nil && tlsServer.withLock({ $0 }) == nil ? "connections refused" : nil,
                f.failPercent > 0 ? "\(f.failPercent)% answer \(f.failStatus)\(after(f.failRetryAfter))" : nil,
                f.throttlePercent > 0 ? "\(f.throttlePercent)% answer 429\(after(f.throttleRetryAfter))" : nil,
                f.resetPercent > 0 ? "\(f.resetPercent)% of upload chunks cut" : nil,
                f.dropAfterCommitPercent > 0 ? "\(f.dropAfterCommitPercent)% of accepted applications unanswered" : nil,
                f.garbagePercent > 0 ? "\(f.garbagePercent)% garbage answers" : nil,
                f.slow > .zero ? "every answer waits \(f.slow)" : nil,
            ].compactMap { $0 }
            return ControlServer.faultsReply(armed)
        case "status" where w.count >= 3:
            setStatus(w[1], w[2], detail: w.count > 3 ? w[3...].joined(separator: " ") : nil)
            return "ok: \(w[1]) is \(w[2])"
        case "catalogue" where w.count == 2:
            guard let data = FileManager.default.contents(atPath: w[1]) else { return "error: cannot read \(w[1])" }
            publishCatalogue(Array(data))
            return "ok: catalogue published"
        case "ecert" where w.count == 3:
            holdECertificates(w[2].split(separator: ",").map(String.init), for: w[1])
            return "ok: \(w[1].prefix(4))**** holds \(w[2])"
        case "clock" where w.count == 2:
            guard let skew = Double(w[1]) else { return "error: clock SECONDS (how far the platform's clock is off)" }
            state.withLock { $0.clockSkew = skew }
            return "ok: the platform's clock is \(w[1]) s off"
        case "acceptances":
            // How many times each tracking number was accepted (more than once would be a duplicate case).
            let counts = state.withLock { $0.acceptances }
            return "ok: " + String(decoding: (try? JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        case "heartbeat":
            guard let body = state.withLock({ $0.lastHeartbeat }) else { return "ok: no heartbeat yet" }
            return "ok: " + String(decoding: body, as: UTF8.self)
        case "stats":
            let (accepted, requests) = state.withLock { ($0.acceptedCount, $0.requests) }
            return "ok: \(accepted) applications accepted, \(requests) requests"
        default:
            return nil
        }
    }

    // MARK: The API

    private func roll(_ percent: Int, _ state: inout State) -> Bool {
        guard percent > 0 else { return false }
        return Int(state.random.next() % 100) < percent
    }

    private func json(_ status: Int, _ object: [String: Any], headers: [(String, String)] = []) -> HTTPAction {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers,
                 body: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()))
    }

    /// Answers one request; over TLS, `clientCommonName` is the station certificate's common name.
    public func handle(_ request: HTTPRequest, clientCommonName: String? = nil) async -> HTTPAction {
        enum Injected { case none, fail(Int, Int?), throttle(Int?), garbage }
        let (injected, slow) = state.withLock { state -> (Injected, Duration) in
            state.requests += 1
            let faults = state.faults
            if request.path != "/v1/ping" {
                if roll(faults.failPercent, &state) { return (.fail(faults.failStatus, faults.failRetryAfter), faults.slow) }
                if roll(faults.throttlePercent, &state) { return (.throttle(faults.throttleRetryAfter), faults.slow) }
                if roll(faults.garbagePercent, &state) { return (.garbage, faults.slow) }
            }
            return (.none, faults.slow)
        }
        if slow > .zero { try? await Task.sleep(for: slow) }
        switch injected {
        case .fail(let status, let retryAfter):
            return json(status, ["error": "simulated outage"], headers: retryAfter.map { [("Retry-After", String($0))] } ?? [])
        case .throttle(let retryAfter):
            return json(429, ["error": "too many requests"], headers: retryAfter.map { [("Retry-After", String($0))] } ?? [])
        case .garbage:
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array("<html>gateway says hi".utf8))
        case .none:
            break
        }
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts.count, parts.first == "v1" ? parts.dropFirst().first : nil) {
        case ("GET", 2, "ping"?):
            // A real platform's Date header: kioskctl selftest checks the station's clock against it.
            let skew = state.withLock { $0.clockSkew }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            return json(200, ["ok": true], headers: [("Date", formatter.string(from: Date().addingTimeInterval(skew)))])
        case ("HEAD", 4, "uploads"?), ("PATCH", 4, "uploads"?):
            guard let index = Int(parts[3]) else { return json(400, ["error": "bad attachment index"]) }
            return upload(request, key: parts[2], index: index)
        case ("POST", 2, "applications"?): return submit(request, clientCommonName: clientCommonName)
        case ("GET", 3, "applications"?):
            guard let found = state.withLock({ $0.cases[parts[2]] }) else { return json(404, ["error": "no such case"]) }
            var body: [String: Any] = ["case_number": found.caseNumber, "status": found.status, "updated_at": Self.timestamp()]
            if let detail = found.detail { body["detail"] = detail }
            return json(200, body)
        case ("GET", 2, "catalogue"?):
            guard let published = state.withLock({ $0.catalogue }) else { return json(404, ["error": "no catalogue is published on this simulator"]) }
            let held = request.headers["if-none-match"]?.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            if held == published.version { return .respond(status: 304, headers: [("ETag", "\"\(published.version)\"")], body: []) }
            return .respond(status: 200, headers: [("Content-Type", "application/json"), ("ETag", "\"\(published.version)\"")], body: published.bytes)
        case ("POST", 3, "ecertificates"?): return lookupECertificates(request)
        case ("POST", 2, "ratings"?):
            guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any], let caseNumber = body["case_number"] as? String,
                  let satisfaction = body["satisfaction"] as? Int, (1...5).contains(satisfaction) else { return json(400, ["error": "a rating needs case_number and satisfaction 1–5"]) }
            let reasons = body["reasons"] as? [String] ?? [], ratedAt = body["rated_at"] as? String ?? "", channel = body["channel"] as? String ?? ""
            let first = state.withLock { state -> Bool in
                guard state.ratings.insert(caseNumber).inserted else { return false }
                state.ratingsReceived.append((caseNumber, satisfaction, reasons, ratedAt, channel))
                return true
            }
            return first ? json(201, ["recorded": true]) : json(409, ["error": "this case was rated already"])
        case ("POST", 2, "consultations"?): return consultation(request)
        case ("POST", 2, "reservations"?): return reservation(request)
        case ("POST", 2, "heartbeat"?):
            guard (try? JSONSerialization.jsonObject(with: Data(request.body))) is [String: Any] else { return json(400, ["error": "a heartbeat is a JSON object"]) }
            state.withLock {
                $0.heartbeats += 1
                $0.lastHeartbeat = request.body
            }
            return .respond(status: 204, headers: [], body: [])
        default:
            return json(404, ["error": "no such endpoint"])
        }
    }

    /// Opens a record sealed like an application (no pages), bound to `binding`.
    private func openRecord(_ text: String?, binding: String?) -> [String: Any]? {
        guard let text, let binding, let envelope = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let opened = try? open(envelope, sealed: [:], key: binding).payload else { return nil }
        return (try? JSONSerialization.jsonObject(with: opened)) as? [String: Any]
    }

    private func lookupECertificates(_ request: HTTPRequest) -> HTTPAction {
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any], let types = body["certificate_types"] as? [String] else {
            return json(400, ["error": "a lookup needs consent, consent_id and certificate_types"])
        }
        guard let consent = openRecord(body["consent"] as? String, binding: body["consent_id"] as? String), let number = consent["id_number"] as? String else {
            return json(400, ["error": "the consent does not open with the platform's key, or names no resident"])
        }
        let held = state.withLock { $0.eCertificates[number] ?? [] }
        let found = types.filter(held.contains).map { ["type": $0, "identifier": "DZZZ-\(abs($0.hashValue) % 100_000)", "issuer": "安徽省电子证照库（模拟）"] }
        return json(200, ["certificates": found])
    }

    private func reservation(_ request: HTTPRequest) -> HTTPAction {
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any], let service = body["service_code"] as? String,
              let date = body["date"] as? String, date.count == 10, let missing = body["missing"] as? [String] else {
            return json(400, ["error": "a reservation needs service_code, date (YYYY-MM-DD), missing, sealed_contact and contact_id"])
        }
        guard let contact = openRecord(body["sealed_contact"] as? String, binding: body["contact_id"] as? String) else {
            return json(400, ["error": "the contact does not open with the platform's key"])
        }
        let reference = state.withLock { state -> String in
            state.reservations.append((service, date, missing, contact.mapValues { "\($0)" }))
            return "YY-\(date.replacingOccurrences(of: "-", with: ""))-\(state.reservations.count)"
        }
        return json(201, ["reference": reference])
    }

    private func consultation(_ request: HTTPRequest) -> HTTPAction {
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any], let kind = body["kind"] as? String,
              ["咨询", "求助", "投诉", "举报", "建议"].contains(kind), let content = body["content"] as? String, !content.isEmpty else {
            return json(400, ["error": "a consultation needs kind (咨询, 求助, 投诉, 举报, 建议), title and content"])
        }
        var contact: [String: String] = [:]
        if body["sealed_contact"] != nil {
            guard let opened = openRecord(body["sealed_contact"] as? String, binding: body["contact_id"] as? String) else {
                return json(400, ["error": "the contact does not open with the platform's key"])
            }
            contact = opened.mapValues { "\($0)" }
        }
        let reference = state.withLock { state -> String in
            state.consultations += 1
            state.consultationsReceived.append((kind, content, contact))
            return "12345-\(state.consultations)"
        }
        return json(201, ["reference": reference])
    }

    private func upload(_ request: HTTPRequest, key: String, index: Int) -> HTTPAction {
        if request.method == "HEAD" {
            let offset = state.withLock { $0.uploads[key]?[index]?.count ?? 0 }
            return .respond(status: 200, headers: [("Upload-Offset", String(offset))], body: [])
        }
        guard let offset = request.headers["upload-offset"].flatMap(Int.init) else { return json(400, ["error": "Upload-Offset is required"]) }
        return state.withLock { state -> HTTPAction in
            if state.firstUploadAt == nil { state.firstUploadAt = .now }
            let current = state.uploads[key]?[index]?.count ?? 0
            guard offset == current else { return .respond(status: 409, headers: [("Upload-Offset", String(current))], body: []) }
            if roll(state.faults.resetPercent, &state), request.body.count > 1 {
                // Keep what "arrived" before the line dropped, as a real server would.
                state.uploads[key, default: [:]][index, default: []] += request.body.prefix(request.body.count / 2)
                return .drop
            }
            state.uploads[key, default: [:]][index, default: []] += request.body
            return .respond(status: 204, headers: [("Upload-Offset", String(current + request.body.count))], body: [])
        }
    }

    private func submit(_ request: HTTPRequest, clientCommonName: String?) -> HTTPAction {
        guard let key = request.headers["idempotency-key"], !key.isEmpty else { return json(400, ["error": "Idempotency-Key is required"]) }
        let bodyHash = SHA256.hash(data: request.body).map { String(format: "%02x", $0) }.joined()
        if let earlier = state.withLock({ $0.submissions[key] }) {
            guard earlier.bodyHash == bodyHash else {
                return json(422, ["error": "idempotency key \(key) was used with a different application"])
            }
            return .respond(status: earlier.status, headers: [("Content-Type", "application/json"), ("Idempotent-Replay", "true")], body: earlier.body)
        }
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let tracking = body["tracking_number"] as? String, let envelope = body["envelope"] as? [String: Any],
              let attachments = body["attachments"] as? [[String: Any]] else {
            return json(400, ["error": "the submission is not the JSON docs/platform-api.yaml describes"])
        }
        if tls != nil, let station = body["station_code"] as? String, station != clientCommonName {
            return json(403, ["error": "the station's certificate is for \(clientCommonName ?? "nobody"), not station \(station)"])
        }
        // Every attachment complete and matching its sealed hash?
        let uploads = state.withLock { $0.uploads[key] ?? [:] }
        var sealed: [Int: [UInt8]] = [:]
        for attachment in attachments {
            guard let index = attachment["index"] as? Int, let bytes = attachment["bytes"] as? Int, let sha = attachment["sha256"] as? String else {
                return json(400, ["error": "an attachment entry lacks index, bytes or sha256"])
            }
            guard let data = uploads[index], data.count == bytes else {
                return json(409, ["error": "attachment \(index) has \(uploads[index]?.count ?? 0) of \(bytes) bytes: upload it, then submit again"])
            }
            guard SHA256.hash(data: data).map({ String(format: "%02x", $0) }).joined() == sha else {
                return json(400, ["error": "attachment \(index) does not match its SHA-256"])
            }
            sealed[index] = data
        }
        let opened: (payload: Data, attachments: [Int: Data])
        do {
            opened = try open(envelope, sealed: sealed, key: key)
        } catch {
            return json(400, ["error": "the envelope does not open with the platform's key: \(error)"])
        }
        let (number, drop) = state.withLock { state -> (String, Bool) in
            state.acceptedCount += 1
            state.acceptances[tracking, default: 0] += 1
            let number = "AH\(Self.timestamp().prefix(8))\(String(format: "%06d", state.acceptedCount))"
            state.cases[tracking] = Case(caseNumber: number, status: "受理")
            state.uploads[key] = nil
            return (number, roll(state.faults.dropAfterCommitPercent, &state))
        }
        let folder = "\(outputDirectory)/\(tracking)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? opened.payload.write(to: URL(fileURLWithPath: folder + "/payload.json"))
        for (index, data) in opened.attachments { try? data.write(to: URL(fileURLWithPath: "\(folder)/attachment-\(index)")) }
        let answer = (try? JSONSerialization.data(withJSONObject: ["case_number": number, "accepted_at": Self.timestamp()], options: [.sortedKeys])) ?? Data()
        state.withLock { $0.submissions[key] = Submission(bodyHash: bodyHash, status: 201, body: Array(answer), tracking: tracking) }
        if drop { return .drop }  // committed, but the station never hears it
        return .respond(status: 201, headers: [("Content-Type", "application/json")], body: Array(answer))
    }

    /// Opens the envelope: HPKE for the application key, then AES-GCM for the payload and the attachments.
    private func open(_ envelope: [String: Any], sealed: [Int: [UInt8]], key binding: String) throws -> (payload: Data, attachments: [Int: Data]) {
        guard envelope["version"] as? Int == 1, envelope["suite"] as? String == privateKey.suite,
              let encapsulated = (envelope["encapsulated_key"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let wrapped = (envelope["wrapped_key"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let payload = (envelope["payload"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw SimulatorError("the envelope lacks a field, or has an unknown version, or a suite other than this platform key's \(privateKey.suite)")
        }
        var recipient = try privateKey.recipient(encapsulatedKey: encapsulated)
        let applicationKey = SymmetricKey(data: try recipient.open(wrapped, authenticating: Data(binding.utf8)))
        let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: payload), using: applicationKey, authenticating: Data(binding.utf8))
        var attachments: [Int: Data] = [:]
        let described = ((try JSONSerialization.jsonObject(with: plain) as? [String: Any])?["attachments"] as? [[String: Any]]) ?? []
        for (index, data) in sealed {
            let opened = try AES.GCM.open(AES.GCM.SealedBox(combined: Data(data)), using: applicationKey, authenticating: Data("\(binding)#\(index)".utf8))
            // GCM's tag already proved the bytes; the payload must also describe this page, at this size.
            guard let described = described.first(where: { $0["index"] as? Int == index }), described["bytes"] as? Int == opened.count else {
                throw SimulatorError("attachment \(index) opens but the payload does not describe it at \(opened.count) bytes")
            }
            attachments[index] = opened
        }
        return (plain, attachments)
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter.string(from: Date())
    }
}

/// The platform's private key: X25519 (what the simulator makes), or P-256
/// (accepted, as kioskd accepts either public key).
public enum PlatformPrivateKey: Sendable {
    case x25519(Curve25519.KeyAgreement.PrivateKey)
    case p256(P256.KeyAgreement.PrivateKey)

    /// Reads a PEM private key (PKCS#8, or SEC 1 for P-256).
    public init?(pem: String) {
        if let key = try? Curve25519.KeyAgreement.PrivateKey(pemRepresentation: pem) {
            self = .x25519(key)
        } else if let key = try? P256.KeyAgreement.PrivateKey(pemRepresentation: pem) {
            self = .p256(key)
        } else {
            return nil
        }
    }

    var pem: String {
        switch self {
        case .x25519(let key): key.pemRepresentation
        case .p256(let key): key.pemRepresentation
        }
    }

    public var publicKeyPEM: String {
        switch self {
        case .x25519(let key): key.publicKey.pemRepresentation
        case .p256(let key): key.publicKey.pemRepresentation
        }
    }

    /// The envelope's `suite` for this key (docs/platform-api.yaml).
    var suite: String {
        switch self {
        case .x25519: "X25519_SHA256_AES_GCM_256"
        case .p256: "P256_SHA256_AES_GCM_256"
        }
    }

    func recipient(encapsulatedKey: Data) throws -> HPKE.Recipient {
        let info = Data("kioskd application v1".utf8)
        return switch self {
        case .x25519(let key):
            try HPKE.Recipient(privateKey: key, ciphersuite: HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256),
                               info: info, encapsulatedKey: encapsulatedKey)
        case .p256(let key):
            try HPKE.Recipient(privateKey: key, ciphersuite: .P256_SHA256_AES_GCM_256, info: info, encapsulatedKey: encapsulatedKey)
        }
    }
}
