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
        state.withLock { $0.recorded?.append(request) }
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
        let parts = request.path.split(separator: "/").map(String.init)
        guard let methods = PlatformContract.methods(for: parts) else { return json(404, ["error": "no such endpoint"]) }
        guard methods.contains(request.method) else {
            return json(405, ["error": "\(request.path) takes \(methods.joined(separator: ", ")), not \(request.method)"], headers: [("Allow", methods.joined(separator: ", "))])
        }
        if let injected { return injected }
        let limit = request.method == "PATCH" ? PlatformContract.chunkLimit : PlatformContract.jsonLimit
        guard request.body.count <= limit else { return json(413, ["error": "the body is larger than the \(limit) bytes this endpoint takes"]) }
        do {
            switch (request.method, parts[1]) {
            case ("GET", "ping"): return ping()
            case (_, "uploads"): return try upload(request, key: parts[2], index: parts[3])
            case ("POST", "applications"): return try submit(request)
            case ("GET", "stations"): return try events(request, station: parts[2])
            case ("GET", "catalogue"): return try catalogue(request)
            case ("POST", "ecertificates"): return try lookupECertificates(request)
            case ("POST", "ratings"): return try rating(request)
            case ("POST", "consultations"): return try consultation(request)
            case ("POST", "reservations"): return try reservation(request)
            default: return try heartbeat(request)
            }
        } catch {
            return json(400, ["error": "the request breaks docs/platform-api.yaml: \(error.reason)"])
        }
    }

    private func ping() -> HTTPAction {
        // A real platform's Date header: kioskctl selftest checks the station's clock against it.
        let (skew, verbatim) = state.withLock { ($0.clockSkew, $0.dateHeader) }
        if let verbatim { return json(200, ["ok": true], headers: [("Date", verbatim)]) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return json(200, ["ok": true], headers: [("Date", formatter.string(from: Date().addingTimeInterval(skew)))])
    }

    private func catalogue(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        guard let region = request.query["region"] else { throw PlatformContract.Broken(reason: "the region query is required") }
        try PlatformContract.check(region, PlatformContract.stationCode, "the region")
        let held = request.headers["if-none-match"]
        if let held, held.count > 100 { throw PlatformContract.Broken(reason: "If-None-Match is at most 100 characters") }
        guard let published = state.withLock({ $0.catalogue }) else { return json(404, ["error": "no catalogue is published on this simulator"]) }
        if held?.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) == published.version {
            return .respond(status: 304, headers: [("ETag", "\"\(published.version)\"")], body: [])
        }
        return .respond(status: 200, headers: [("Content-Type", "application/json"), ("ETag", "\"\(published.version)\"")], body: published.bytes)
    }

    private func heartbeat(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        _ = try PlatformContract.Body(request)
        state.withLock {
            $0.heartbeats += 1
            $0.lastHeartbeat = request.body
        }
        return .respond(status: 204, headers: [], body: [])
    }

    private func rating(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        let body = try PlatformContract.Body(request)
        let caseNumber = try body.requiredString("case_number", length: 1...50)
        let satisfaction = try body.integer("satisfaction", in: 1...5)
        let reasons = try body.strings("reasons", required: false, count: 0...10, length: 1...50)
        var comment = try body.string("text", required: false, length: 0...500)
        if let sealed = try body.string("sealed_text", required: false, length: 1...16384) {
            let binding = try body.requiredString("text_id", pattern: PlatformContract.idempotencyKey)
            guard let opened = openRecord(sealed, binding: binding)?["comment"] as? String, opened.count <= 500 else {
                return json(422, ["error": "the sealed comment does not open with the platform's key as bound to text_id"])
            }
            comment = opened
        }
        let channel = try body.requiredString("channel")
        guard channel == "5" else { throw PlatformContract.Broken(reason: "channel must be \"5\"") }
        let ratedAt = try body.requiredString("rated_at", pattern: PlatformContract.dateTime)
        enum Outcome { case recorded, unknown, again }
        let outcome = state.withLock { state -> Outcome in
            guard state.cases.values.contains(where: { $0.caseNumber == caseNumber }) else { return .unknown }
            guard state.ratings.insert(caseNumber).inserted else { return .again }
            state.ratingsReceived.append((caseNumber, satisfaction, reasons, comment, ratedAt, channel))
            return .recorded
        }
        return switch outcome {
        case .recorded: json(201, ["recorded": true])
        case .unknown: json(404, ["error": "no case \(caseNumber.prefix(50))"])
        case .again: json(409, ["error": "this case was rated already"])
        }
    }

    /// Opens a record sealed like an application (no pages), bound to `binding`.
    private func openRecord(_ text: String?, binding: String?) -> [String: Any]? {
        guard let text, let binding, let envelope = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let opened = try? open(envelope, sealed: [:], key: binding).payload else { return nil }
        return (try? JSONSerialization.jsonObject(with: opened)) as? [String: Any]
    }

    private func lookupECertificates(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        let body = try PlatformContract.Body(request)
        let sealed = try body.requiredString("consent", length: 1...16384)
        let binding = try body.requiredString("consent_id", pattern: PlatformContract.idempotencyKey)
        let types = try body.strings("certificate_types", count: 1...20, length: 1...50)
        guard let consent = openRecord(sealed, binding: binding), let number = consent["id_number"] as? String else {
            return json(422, ["error": "the consent does not open with the platform's key, or names no resident"])
        }
        let held = state.withLock { $0.eCertificates[number] ?? [] }
        let found = types.filter(held.contains).map { ["type": $0, "identifier": "DZZZ-\(abs($0.hashValue) % 100_000)", "issuer": "安徽省电子证照库（模拟）"] }
        return json(200, ["certificates": found])
    }

    private func reservation(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        let body = try PlatformContract.Body(request)
        let service = try body.requiredString("service_code", pattern: PlatformContract.serviceCode)
        let date = try body.requiredString("date", pattern: PlatformContract.date)
        let missing = try body.strings("missing", count: 0...50, length: 1...200)
        let sealed = try body.requiredString("sealed_contact", length: 1...16384)
        let binding = try body.requiredString("contact_id", pattern: PlatformContract.idempotencyKey)
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return json(422, ["error": "\(date) is not a date"]) }
        guard let contact = openRecord(sealed, binding: binding) else {
            return json(422, ["error": "the contact does not open with the platform's key"])
        }
        let reference = state.withLock { state -> String in
            state.reservations.append((service, date, missing, contact.mapValues { "\($0)" }))
            return "YY-\(date.replacingOccurrences(of: "-", with: ""))-\(state.reservations.count)"
        }
        return json(201, ["reference": reference])
    }

    private func consultation(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        let body = try PlatformContract.Body(request)
        let kind = try body.requiredString("kind")
        guard ["咨询", "求助", "投诉", "举报", "建议"].contains(kind) else { throw PlatformContract.Broken(reason: "kind must be 咨询, 求助, 投诉, 举报 or 建议") }
        _ = try body.requiredString("title", length: 1...100)
        let content = try body.requiredString("content", length: 1...2000)
        let sealed = try body.string("sealed_contact", required: false, length: 1...16384)
        let binding = try body.requiredString("contact_id", pattern: PlatformContract.idempotencyKey)
        var contact: [String: String] = [:]
        if let sealed {
            guard let opened = openRecord(sealed, binding: binding) else { return json(422, ["error": "the contact does not open with the platform's key"]) }
            contact = opened.mapValues { "\($0)" }
        }
        let reference = state.withLock { state -> String in
            state.consultations += 1
            state.consultationsReceived.append((kind, content, contact))
            return "12345-\(state.consultations)"
        }
        return json(201, ["reference": reference])
    }

    private func upload(_ request: HTTPRequest, key: String, index text: String) throws(PlatformContract.Broken) -> HTTPAction {
        try PlatformContract.check(key, PlatformContract.idempotencyKey, "the idempotency key")
        guard text.count <= 3, PlatformContract.digits.matches(text), let index = Int(text), (0...999).contains(index) else {
            throw PlatformContract.Broken(reason: "the attachment index must be 0 to 999")
        }
        if request.method == "HEAD" {
            let offset = state.withLock { $0.acceptedUploads[key]?[index] ?? $0.uploads[key]?[index]?.count ?? 0 }
            return .respond(status: 200, headers: [("Upload-Offset", String(offset))], body: [])
        }
        let type = request.headers["content-type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/offset+octet-stream" else { throw PlatformContract.Broken(reason: "a chunk is sent as application/offset+octet-stream") }
        let offset = try PlatformContract.headerInteger(request, "Upload-Offset", in: 0...1_073_741_823)
        let length = try PlatformContract.headerInteger(request, "Upload-Length", in: 1...1_073_741_824)
        guard !request.body.isEmpty else { throw PlatformContract.Broken(reason: "a chunk is at least one byte") }
        guard offset + request.body.count <= length else { throw PlatformContract.Broken(reason: "the chunk runs past Upload-Length \(length)") }
        return state.withLock { state -> HTTPAction in
            if state.firstUploadAt == nil { state.firstUploadAt = .now }
            // An accepted application's pages are all here: say so, whatever offset is asked.
            if let held = state.acceptedUploads[key]?[index] { return .respond(status: 409, headers: [("Upload-Offset", String(held))], body: []) }
            let current = state.uploads[key]?[index]?.count ?? 0
            if let lie = state.faults.offsetLie, roll(state.faults.offsetLiePercent, &state) {
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

    /// A submission's parts, as the document says they are.
    private struct SubmissionParts {
        var tracking: String
        var station: String
        var envelope: [String: Any]
        var attachments: [(index: Int, bytes: Int, sha256: String)]
    }

    private func parts(of request: HTTPRequest) throws(PlatformContract.Broken) -> SubmissionParts {
        let body = try PlatformContract.Body(request)
        let tracking = try body.requiredString("tracking_number", pattern: PlatformContract.trackingNumber)
        let station = try body.requiredString("station_code", pattern: PlatformContract.stationCode)
        _ = try body.requiredString("service_code", pattern: PlatformContract.serviceCode)
        guard let envelope = body.fields["envelope"] as? [String: Any] else { throw PlatformContract.Broken(reason: "envelope must be a SealedEnvelope object") }
        let sealed = PlatformContract.Body(fields: envelope)
        let version = try sealed.integer("version", in: 1...2)
        _ = version
        let suite = try sealed.requiredString("suite")
        guard ["X25519_SHA256_AES_GCM_256", "P256_SHA256_AES_GCM_256"].contains(suite) else { throw PlatformContract.Broken(reason: "envelope.suite is not a suite the document names") }
        _ = try sealed.requiredString("encapsulated_key", length: 1...200, pattern: PlatformContract.base64)
        _ = try sealed.requiredString("wrapped_key", length: 1...200, pattern: PlatformContract.base64)
        _ = try sealed.requiredString("payload", length: 1...1_000_000, pattern: PlatformContract.base64)
        guard let list = body.fields["attachments"] as? [Any], list.count <= 100 else { throw PlatformContract.Broken(reason: "attachments must be a list of at most 100") }
        let attachments = try list.map { item throws(PlatformContract.Broken) -> (index: Int, bytes: Int, sha256: String) in
            guard let entry = item as? [String: Any] else { throw PlatformContract.Broken(reason: "each attachment is an object") }
            let fields = PlatformContract.Body(fields: entry)
            return (try fields.integer("index", in: 0...999), try fields.integer("bytes", in: 1...1_073_741_824),
                    try fields.requiredString("sha256", pattern: PlatformContract.sha256))
        }
        return SubmissionParts(tracking: tracking, station: station, envelope: envelope, attachments: attachments)
    }

    private func submit(_ request: HTTPRequest) throws(PlatformContract.Broken) -> HTTPAction {
        guard let key = request.headers["idempotency-key"] else { throw PlatformContract.Broken(reason: "the Idempotency-Key header is required") }
        try PlatformContract.check(key, PlatformContract.idempotencyKey, "the Idempotency-Key")
        let bodyHash = SHA256.hash(data: request.body).map { String(format: "%02x", $0) }.joined()
        if let earlier = state.withLock({ $0.submissions[key] }) {
            guard earlier.bodyHash == bodyHash else {
                return json(422, ["error": "idempotency key \(key) was used with a different application"])
            }
            return .respond(status: earlier.status, headers: [("Content-Type", "application/json"), ("Idempotent-Replay", "true")], body: earlier.body)
        }
        let submission = try parts(of: request)
        let tracking = submission.tracking
        guard tracking.hasPrefix(submission.station + "-") else {
            return json(422, ["error": "tracking number \(tracking) is not station \(submission.station)'s"])
        }
        if state.withLock({ $0.cases[tracking] != nil }) {
            // A key the platform has not seen, with a number it holds: the station issued the number twice.
            return json(409, ["error": "tracking number \(tracking) is held already, from another application (another idempotency key)", "code": "tracking_number_taken"])
        }
        if tls != nil, submission.station != request.clientCommonName {
            return json(403, ["error": "the station's certificate is for \(request.clientCommonName ?? "nobody"), not station \(submission.station)"])
        }
        // Every attachment complete and matching its sealed hash?
        let uploads = state.withLock { $0.uploads[key] ?? [:] }
        var sealed: [Int: [UInt8]] = [:]
        for attachment in submission.attachments {
            let index = attachment.index
            guard let data = uploads[index], data.count == attachment.bytes else {
                return json(409, ["error": "attachment \(index) has \(uploads[index]?.count ?? 0) of \(attachment.bytes) bytes: upload it, then submit again",
                                  "code": "attachments_incomplete"])
            }
            guard SHA256.hash(data: data).map({ String(format: "%02x", $0) }).joined() == attachment.sha256 else {
                return json(422, ["error": "attachment \(index) does not match its SHA-256"])
            }
            sealed[index] = data
        }
        let opened: (payload: Data, attachments: [Int: Data])
        do {
            opened = try open(submission.envelope, sealed: sealed, key: key, station: submission.station, tracking: tracking)
        } catch {
            return json(422, ["error": "the envelope does not open with the platform's key as station \(submission.station)'s application \(tracking): \(error)"])
        }
        let (number, drop) = state.withLock { state -> (String, Bool) in
            state.acceptedCount += 1
            state.acceptances[tracking, default: 0] += 1
            let number = "AH\(Self.timestamp().prefix(8))\(String(format: "%06d", state.acceptedCount))"
            state.cases[tracking] = Case(caseNumber: number, status: "受理")
            Self.record(&state, tracking, kind: "accepted", detail: nil, requested: [], emsNumber: nil, feeFen: nil)
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
