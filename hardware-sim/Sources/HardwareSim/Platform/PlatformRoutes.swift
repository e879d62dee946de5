import Crypto
import Foundation

/// The platform API's endpoints as the simulator answers them, with the faults it injects.
extension PlatformSimulator {
    private func roll(_ percent: Int, _ state: inout State) -> Bool {
        guard percent > 0 else { return false }
        return Int(state.random.next() % 100) < percent
    }

    private func json(_ status: Int, _ object: [String: Any], headers: [(String, String)] = []) -> HTTPAction {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers,
                 body: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()))
    }

    /// Answers one request; over TLS, its `clientCommonName` is the station certificate's common name.
    public func handle(_ request: HTTPRequest) async -> HTTPAction {
        let (action, drip, oversize) = await answer(request)
        // A hostile platform's ways with an answer it has made: a byte at a time, or far too much of it.
        // (Not on 204 and 304, which carry no body.)
        guard case .respond(let status, let headers, let body) = action, status != 204, status != 304 else { return action }
        if oversize { return .respond(status: status, headers: headers, body: body + Array(repeating: 0x20, count: 2 << 20)) }
        if let drip { return .drip(status: status, headers: headers, body: body.isEmpty ? Array("{}".utf8) : body, interval: drip) }
        return action
    }

    private func answer(_ request: HTTPRequest) async -> (HTTPAction, drip: Duration?, oversize: Bool) {
        enum Injected { case none, fail(Int, Int?), throttle(Int?), garbage, redirect(Int, String) }
        let (injected, slow, drip, oversize) = state.withLock { state -> (Injected, Duration, Duration?, Bool) in
            state.requests += 1
            let faults = state.faults
            guard request.path != "/v1/ping" else { return (.none, faults.slow, nil, false) }
            let drip = faults.drip.flatMap { roll(faults.dripPercent, &state) ? $0 : nil }
            let oversize = roll(faults.oversizePercent, &state)
            if let redirect = faults.redirect, roll(faults.redirectPercent, &state) { return (.redirect(redirect.status, redirect.location), faults.slow, drip, oversize) }
            if roll(faults.failPercent, &state) { return (.fail(faults.failStatus, faults.failRetryAfter), faults.slow, drip, oversize) }
            if roll(faults.throttlePercent, &state) { return (.throttle(faults.throttleRetryAfter), faults.slow, drip, oversize) }
            if roll(faults.garbagePercent, &state) { return (.garbage, faults.slow, drip, oversize) }
            return (.none, faults.slow, drip, oversize)
        }
        if slow > .zero { try? await Task.sleep(for: slow) }
        return (await route(request, injected: {
            switch injected {
            case .fail(let status, let retryAfter):
                return json(status, ["error": "simulated outage"], headers: retryAfter.map { [("Retry-After", String($0))] } ?? [])
            case .throttle(let retryAfter):
                return json(429, ["error": "too many requests"], headers: retryAfter.map { [("Retry-After", String($0))] } ?? [])
            case .garbage:
                return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array("<html>gateway says hi".utf8))
            case .redirect(let status, let location):
                return json(status, ["error": "moved"], headers: [("Location", location + request.path)])
            case .none:
                return nil
            }
        }()), drip, oversize)
    }

    private func route(_ request: HTTPRequest, injected: HTTPAction?) async -> HTTPAction {
        if let injected { return injected }
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
        case ("POST", 2, "applications"?): return submit(request)
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
            let offset = state.withLock { $0.acceptedUploads[key]?[index] ?? $0.uploads[key]?[index]?.count ?? 0 }
            return .respond(status: 200, headers: [("Upload-Offset", String(offset))], body: [])
        }
        guard let offset = request.headers["upload-offset"].flatMap(Int.init) else { return json(400, ["error": "Upload-Offset is required"]) }
        return state.withLock { state -> HTTPAction in
            if state.firstUploadAt == nil { state.firstUploadAt = .now }
            // An accepted application's pages are all here: say so, whatever offset is asked.
            if let held = state.acceptedUploads[key]?[index] { return .respond(status: 409, headers: [("Upload-Offset", String(held))], body: []) }
            let current = state.uploads[key]?[index]?.count ?? 0
            if let lie = state.faults.offsetLie, roll(state.faults.offsetLiePercent, &state) {
                let length = request.headers["upload-length"].flatMap(Int.init) ?? current + request.body.count
                let claimed = switch lie {
                case .negative: -5
                case .tooLarge: length + 1000
                case .stuck: offset
                }
                return .respond(status: 204, headers: [("Upload-Offset", String(claimed))], body: [])
            }
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

    private func submit(_ request: HTTPRequest) -> HTTPAction {
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
        if state.withLock({ $0.cases[tracking] != nil }) {
            // A key the platform has not seen, with a number it holds: the station issued the number twice.
            return json(409, ["error": "tracking number \(tracking) is held already, from another application (another idempotency key)", "code": "tracking_number_taken"])
        }
        if tls != nil, let station = body["station_code"] as? String, station != request.clientCommonName {
            return json(403, ["error": "the station's certificate is for \(request.clientCommonName ?? "nobody"), not station \(station)"])
        }
        // Every attachment complete and matching its sealed hash?
        let uploads = state.withLock { $0.uploads[key] ?? [:] }
        var sealed: [Int: [UInt8]] = [:]
        for attachment in attachments {
            guard let index = attachment["index"] as? Int, let bytes = attachment["bytes"] as? Int, let sha = attachment["sha256"] as? String else {
                return json(400, ["error": "an attachment entry lacks index, bytes or sha256"])
            }
            guard let data = uploads[index], data.count == bytes else {
                return json(409, ["error": "attachment \(index) has \(uploads[index]?.count ?? 0) of \(bytes) bytes: upload it, then submit again",
                                  "code": "attachments_incomplete"])
            }
            guard SHA256.hash(data: data).map({ String(format: "%02x", $0) }).joined() == sha else {
                return json(400, ["error": "attachment \(index) does not match its SHA-256"])
            }
            sealed[index] = data
        }
        let opened: (payload: Data, attachments: [Int: Data])
        do {
            opened = try open(envelope, sealed: sealed, key: key, station: body["station_code"] as? String, tracking: tracking)
        } catch {
            return json(400, ["error": "the envelope does not open with the platform's key: \(error)"])
        }
        let (number, drop) = state.withLock { state -> (String, Bool) in
            state.acceptedCount += 1
            state.acceptances[tracking, default: 0] += 1
            let number = "AH\(Self.timestamp().prefix(8))\(String(format: "%06d", state.acceptedCount))"
            state.cases[tracking] = Case(caseNumber: number, status: "受理")
            state.acceptedUploads[key] = (state.uploads[key] ?? [:]).mapValues(\.count)
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

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter.string(from: Date())
    }
}
