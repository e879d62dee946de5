import Foundation
import KioskCore
import NIOCore
import NIOHTTP1
import NIOSSL
import SystemIO

/// How a platform request failed, as far as retrying is concerned.
public enum PlatformFailure: Error, Sendable, CustomStringConvertible {
    /// No answer: refused, reset, timed out. The link may be down.
    case network(String)
    /// 408, 429, 5xx, or an answer that is not what the API says: try again later (not before `retryAfter` seconds).
    case retryable(status: Int, retryAfter: Double?, reason: String)
    /// Any other 4xx: the platform will not take this application as it is.
    case final(status: Int, reason: String)
    /// The platform (or something posing as it) broke the API: a redirect, an
    /// offset outside the upload, no progress, an answer too large, too slow or
    /// not what the API says. Tried again later, with backoff; `kind` names it for the metrics.
    case misbehaved(kind: String, reason: String)
    /// The platform holds a different number of bytes of an upload: resume from there.
    case offsetMismatch(Int)

    /// What failed, for the log and `kioskctl queue`.
    public var description: String {
        switch self {
        case .network(let reason): "the platform did not answer: \(reason)"
        case .retryable(let status, _, let reason): "the platform answered \(status): \(reason)"
        case .final(let status, let reason): "the platform refused it (\(status)): \(reason)"
        case .misbehaved(_, let reason): "the platform broke the API: \(reason)"
        case .offsetMismatch(let offset): "the platform holds \(offset) bytes of the upload"
        }
    }
}

/// The station's side of docs/platform-api.yaml.
public protocol PlatformAPI: Sendable {
    func ping() async throws(PlatformFailure)
    /// Sends `chunk` at `offset`; returns the platform's new offset. When the
    /// platform holds a different number of bytes it answers 409 with its
    /// offset (``PlatformFailure/offsetMismatch(_:)``): resume from there.
    func append(key: String, index: Int, offset: Int, total: Int, chunk: Data) async throws(PlatformFailure) -> Int
    /// Sends a rating (好差评) of a case; a case already rated counts as sent.
    func rate(caseNumber: String, satisfaction: Int, reasons: [String], sealedComment: [UInt8]?, commentID: String?, ratedAt: String) async throws(PlatformFailure)
    /// Submits the application; returns the platform's case number.
    func submit(key: String, body: Data) async throws(PlatformFailure) -> String
    /// The station's case events after `after`, at most `limit`, each checked (``HTTPPlatformClient/events(station:after:limit:)``).
    func events(station: String, after: Int64, limit: Int) async throws(PlatformFailure) -> CaseEventPage
}

/// TLS for the platform link: the station's client certificate and key, the
/// platform's CA (no other CA is trusted), and optionally the platform's
/// public key pinned. TLS 1.2 at least.
public struct PlatformTLS: Sendable {
    /// The station's client certificate (chain), PEM.
    public var certificateChainPEM: String
    /// Its private key, PEM.
    public var privateKeyPEM: String
    /// The platform's CA, PEM: the only one trusted.
    public var caPEM: String
    /// Base64 SHA-256 hashes of the platform's SubjectPublicKeyInfo, one of
    /// which its certificate's key must have (empty: the CA alone decides).
    public var pins: [String]

    /// The three PEM texts, and the pins if any.
    public init(certificateChainPEM: String, privateKeyPEM: String, caPEM: String, pins: [String] = []) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.caPEM = caPEM
        self.pins = pins
    }
}

/// The platform API over HTTP(S) on a ``PlatformLink``: the forwarder's
/// ``PlatformAPI`` and the session's ``PlatformServices``. Every number and
/// every answer from the platform is checked before it is used.
public final class HTTPPlatformClient: PlatformAPI, PlatformServices {
    private let link: PlatformLink

    /// When the station's client certificate stops being valid (nil over plain http).
    public let certificateExpiry: Date?

    /// Creates a client for `baseURL`. Plain `http:` is refused unless the host
    /// is this machine. `timeout` and `minimumRate` are each exchange's budget
    /// (``PlatformLink``).
    public init(baseURL: String, tls: PlatformTLS?, timeout: Duration = .seconds(30), minimumRate: Int = 8 * 1024) throws {
        guard let url = URL(string: baseURL), let scheme = url.scheme, let host = url.host, !host.isEmpty else {
            throw PlatformConfigurationError("platform.url \"\(baseURL)\" is not a URL such as https://zwfw-gateway.example.gov.cn")
        }
        guard scheme == "https" || (scheme == "http" && isLoopbackHost(host)) else {
            throw PlatformConfigurationError("platform.url \"\(baseURL)\" is plain HTTP to a host that is not this machine: the platform link must be https with the station's certificate")
        }
        var context: NIOSSLContext?
        var expiry: Date?
        if scheme == "https" {
            guard let tls else { throw PlatformConfigurationError("platform.url is https: platform.client_certificate, platform.client_key and platform.ca are needed") }
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.minimumTLSVersion = .tlsv12
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(Array(tls.certificateChainPEM.utf8))
                settings.certificateChain = chain.map { .certificate($0) }
                settings.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(tls.privateKeyPEM.utf8), format: .pem))
                settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(tls.caPEM.utf8)))
                expiry = chain.first.map { Date(timeIntervalSince1970: Double($0.notValidAfter)) }
            } catch {
                throw PlatformConfigurationError("the station's TLS files cannot be read as PEM: \(error)")
            }
            settings.certificateVerification = .fullVerification
            do { context = try NIOSSLContext(configuration: settings) } catch {
                throw PlatformConfigurationError("the station's TLS files do not go together (is the key the certificate's?): \(error)")
            }
        }
        certificateExpiry = expiry
        let path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        link = PlatformLink(host: host, port: url.port ?? (scheme == "https" ? 443 : 80), basePath: path, tls: context, pins: Set(tls?.pins ?? []),
                            budget: .init(timeout: timeout, minimumRate: minimumRate))
    }

    /// Closes the client's connections.
    public func shutdown() async { link.shutdown() }

    /// What each answer's body may be at most: what the API's answers need, with room.
    enum Limit {
        static let small = 16 * 1024
        static let answer = 256 * 1024
        static let catalogue = 16 * 1024 * 1024
        /// A page of 5,000 events with 500-character details.
        static let events = 12 * 1024 * 1024
    }

    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: Data? = nil,
                      limit: Int = Limit.small) async throws(PlatformFailure) -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
        let response: PlatformLink.Response
        do {
            // One copy of the body, into the buffer the socket is written from (a chunk is megabytes).
            response = try await link.exchange(method, path, headers: headers, body: body.map { ByteBuffer(bytes: $0) }, limit: limit)
        } catch {
            switch error {
            case .network(let reason): throw .network(reason)
            case .tooSlow(let reason): throw .misbehaved(kind: "too_slow", reason: reason)
            case .tooLarge(let limit): throw .misbehaved(kind: "too_large", reason: "its answer to \(method) \(path) is larger than the \(limit) bytes it may be")
            }
        }
        // 304 Not Modified is an answer (the catalogue held is current), not a redirect.
        if (300..<400).contains(response.status), response.status != 304 {
            // Only the configured platform can acknowledge: a redirect is followed nowhere.
            let location = response.headers.first(name: "Location").map { " to \(outsideText($0, limit: 200))" } ?? ""
            throw .misbehaved(kind: "redirect", reason: "it answered \(response.status)\(location) to \(method) \(path); kioskd follows no redirect: "
                              + "is platform.url the platform's address, or is something on the link answering for it?")
        }
        return (response.status, response.headers, response.body)
    }

    /// Network failures in words a maintainer can act on.
    static func explain(_ error: any Error) -> String { PlatformLink.explain(error) }

    /// Turns a non-success answer into a failure.
    func failure(_ status: Int, _ headers: HTTPHeaders, _ body: [UInt8]) -> PlatformFailure {
        // The platform's words go to the log and to kioskctl: one line, no control characters, bounded.
        let reason = outsideText((try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
            ?? String(decoding: body.prefix(400), as: UTF8.self), limit: 200)
        // A status below 400 the request cannot have (a 304 to a submission, a 1xx) is no refusal: retried, never dead-lettered.
        if status < 400 { return .misbehaved(kind: "garbage", reason: "it answered \(status), which the API does not give to this request") }
        if status == 408 || status == 429 || status >= 500 {
            return .retryable(status: status, retryAfter: headers.first(name: "Retry-After").flatMap(Self.retryAfter), reason: reason)
        }
        return .final(status: status, reason: reason.isEmpty ? "no reason given" : reason)
    }

    /// A Retry-After in seconds (RFC 9110's delay-seconds), at most a day; nil for anything else.
    static func retryAfter(_ text: String) -> Double? {
        let digits = text.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isPlainDigit), let seconds = Int(digits) else { return nil }
        return Double(min(seconds, 86_400))
    }

    /// The platform's service catalogue for `region` when it has one other
    /// than `version`; nil when the station's is current (304) or none is published (404).
    public func catalogue(region: String, current version: String) async throws(PlatformFailure) -> [UInt8]? {
        let (status, headers, body) = try await send(.GET, "/v1/catalogue?region=\(region)", headers: [("If-None-Match", "\"\(version)\"")], limit: Limit.catalogue)
        if status == 304 || status == 404 { return nil }
        guard status == 200 else { throw failure(status, headers, body) }
        return body
    }

    /// `POST /v1/ecertificates/lookup`: which of `types` the platform holds for the consenting resident.
    public func lookupECertificates(consent: [UInt8], consentID: String, types: [String]) async throws(PlatformFailure) -> Set<String> {
        let answer = try await post("/v1/ecertificates/lookup", [
            "consent": String(decoding: consent, as: UTF8.self), "consent_id": consentID, "certificate_types": types,
        ], accepting: [200])
        guard let found = answer["certificates"] as? [[String: Any]] else {
            throw .misbehaved(kind: "garbage", reason: "the e-certificate answer is not JSON with certificates")
        }
        return Set(found.compactMap { $0["type"] as? String })
    }

    /// `POST /v1/reservations`: books a day to come back with what was missing; returns its reference.
    public func reserve(serviceCode: String, date: String, missing: [String], sealedContact: [UInt8], contactID: String) async throws(PlatformFailure) -> String {
        try reference(in: try await post("/v1/reservations", [
            "service_code": serviceCode, "date": date, "missing": missing, "sealed_contact": String(decoding: sealedContact, as: UTF8.self), "contact_id": contactID,
        ]), of: "reservation")
    }

    /// `POST /v1/consultations`: forwards a 12345 message; returns its reference.
    public func submitConsultation(kind: String, title: String, content: String, sealedContact: [UInt8]?, contactID: String) async throws(PlatformFailure) -> String {
        var object: [String: Any] = ["kind": kind, "title": title, "content": content, "contact_id": contactID]
        if let sealedContact { object["sealed_contact"] = String(decoding: sealedContact, as: UTF8.self) }
        return try reference(in: try await post("/v1/consultations", object), of: "consultation")
    }

    /// `POST /v1/ratings`: a case's rating, with its comment sealed (bound to `commentID`); a 409 (rated already) counts as sent.
    public func rate(caseNumber: String, satisfaction: Int, reasons: [String], sealedComment: [UInt8]?, commentID: String?, ratedAt: String) async throws(PlatformFailure) {
        var body: [String: Any] = [
            "case_number": caseNumber, "satisfaction": satisfaction, "reasons": reasons, "channel": ApplicationChannel.selfServiceTerminal, "rated_at": ratedAt,
        ]
        if let sealedComment, let commentID {
            body["sealed_text"] = String(decoding: sealedComment, as: UTF8.self)
            body["text_id"] = commentID
        }
        // 409: rated already (an earlier answer was lost); the platform keeps one per case.
        _ = try await post("/v1/ratings", body, accepting: [200, 201, 409])
    }

    /// POSTs a JSON object; returns the JSON object answered (empty when the body is not one).
    private func post(_ path: String, _ object: [String: Any], accepting statuses: Set<Int> = [200, 201]) async throws(PlatformFailure) -> [String: Any] {
        let (status, headers, reply) = try await send(.POST, path, headers: [("Content-Type", "application/json")],
                                                       body: try? JSONSerialization.data(withJSONObject: object), limit: Limit.answer)
        guard statuses.contains(status) else { throw failure(status, headers, reply) }
        return ((try? JSONSerialization.jsonObject(with: Data(reply))) as? [String: Any]) ?? [:]
    }

    private func reference(in answer: [String: Any], of what: String) throws(PlatformFailure) -> String {
        guard let reference = answer["reference"] as? String, (1...100).contains(reference.count) else {
            throw .misbehaved(kind: "garbage", reason: "the \(what) answer has no reference")
        }
        return reference
    }

    /// `GET /v1/ping`: whether the platform answers.
    public func ping() async throws(PlatformFailure) {
        _ = try await clock()
    }

    /// The platform's clock: the Date of its answer to a ping (nil when it sends none).
    public func clock() async throws(PlatformFailure) -> Date? {
        let (status, headers, body) = try await send(.GET, "/v1/ping")
        guard status == 200 else { throw failure(status, headers, body) }
        return headers.first(name: "Date").flatMap(Self.httpDate)
    }

    /// An HTTP date (RFC 9110 IMF-fixdate: `Fri, 27 Nov 2026 05:22:16 GMT`), read by
    /// hand: DateFormatter would load ICU's data into kioskd for one header. Every field
    /// has its fixed number of digits and its range, so no header can make a number
    /// that overflows; anything else is no date (nil).
    public static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        /// A field of exactly `digits` ASCII digits within `range`.
        func number(_ field: Substring, digits: Int, _ range: ClosedRange<Int>) -> Int? {
            guard field.utf8.count == digits, field.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let value = Int(field), range.contains(value) else { return nil }
            return value
        }
        guard parts.count == 6, parts[5] == "GMT", let day = number(parts[1], digits: 2, 1...31),
              let month = months.firstIndex(of: String(parts[2])), let year = number(parts[3], digits: 4, 1970...9999) else { return nil }
        let time = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, let hour = number(time[0], digits: 2, 0...23), let minute = number(time[1], digits: 2, 0...59),
              let second = number(time[2], digits: 2, 0...60), let date = CalendarDate(year: year, month: month + 1, day: day) else { return nil }
        return Date(timeIntervalSince1970: Double(date.dayNumber) * 86_400 + Double(hour * 3600 + minute * 60 + second))
    }

    /// The station's health (POST /v1/heartbeat): the same summary /healthz and `kioskctl status` give.
    public func heartbeat(_ summary: Data) async throws(PlatformFailure) {
        let (status, headers, body) = try await send(.POST, "/v1/heartbeat", headers: [("Content-Type", "application/json")], body: summary)
        guard (200..<300).contains(status) else { throw failure(status, headers, body) }
    }

    /// `PATCH /v1/uploads/{key}/{index}`: a chunk at `offset`; returns the platform's new offset.
    public func append(key: String, index: Int, offset: Int, total: Int, chunk: Data) async throws(PlatformFailure) -> Int {
        let (status, headers, body) = try await send(.PATCH, "/v1/uploads/\(key)/\(index)", headers: [
            ("Upload-Offset", String(offset)), ("Upload-Length", String(total)), ("Content-Type", "application/offset+octet-stream"),
        ], body: chunk)
        // Digits only: "-5", "+5", "1e9" and anything else the platform might send is no offset.
        let acknowledged = headers.first(name: "Upload-Offset").flatMap { text in
            text.count <= 18 && !text.isEmpty && text.allSatisfy(\.isPlainDigit) ? Int(text) : nil
        }
        if status == 409, let acknowledged { throw .offsetMismatch(acknowledged) }
        guard status == 204 || status == 200 else {
            if status == 409 { throw .misbehaved(kind: "bad_offset", reason: "a 409 to an upload without an Upload-Offset that is a number") }
            throw failure(status, headers, body)
        }
        guard let acknowledged else {
            throw .misbehaved(kind: "bad_offset", reason: "the upload answer's Upload-Offset \"\(outsideText(headers.first(name: "Upload-Offset") ?? "", limit: 40))\" is not a number of bytes")
        }
        return acknowledged
    }

    /// `POST /v1/applications` with the idempotency key: returns the case number.
    public func submit(key: String, body: Data) async throws(PlatformFailure) -> String {
        let (status, headers, answer) = try await send(.POST, "/v1/applications", headers: [("Idempotency-Key", key), ("Content-Type", "application/json")],
                                                       body: body, limit: Limit.answer)
        guard status == 201 || status == 200 else {
            if status == 409 {
                let code = (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["code"] as? String
                if code == "tracking_number_taken" {
                    throw .final(status: status, reason: "the platform holds this tracking number already, from another application: the station issued it twice "
                                 + "(did its outbox go back? see `kioskctl queue` and the audit trail); this application needs a new number, so the resident applies again")
                }
                // An attachment is short: upload again, then submit (a retry does both).
                throw .retryable(status: status, retryAfter: nil, reason: "attachments incomplete")
            }
            throw failure(status, headers, answer)
        }
        guard let caseNumber = (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["case_number"] as? String,
              (1...50).contains(caseNumber.count), !caseNumber.contains(where: \.isNewline) else {
            throw .misbehaved(kind: "garbage", reason: "the answer to a submission is not the JSON the API describes (no case_number of 1 to 50 characters)")
        }
        return caseNumber
    }
}

/// A platform setting that cannot work.
public struct PlatformConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and which setting to change.
    public var description: String
    init(_ description: String) { self.description = description }
}

extension Character {
    /// 0 to 9, and nothing else that Unicode calls a number.
    var isPlainDigit: Bool { isASCII && isNumber }
}
