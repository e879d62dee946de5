import AsyncHTTPClient
import Foundation
import KioskCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// How a platform request failed, as far as retrying is concerned.
public enum PlatformFailure: Error, Sendable, CustomStringConvertible {
    /// No answer: refused, reset, timed out. The link may be down.
    case network(String)
    /// 408, 429, 5xx, or an answer that is not what the API says: try again later (not before `retryAfter` seconds).
    case retryable(status: Int, retryAfter: Double?, reason: String)
    /// Any other 4xx: the platform will not take this application as it is.
    case final(status: Int, reason: String)
    /// The platform holds a different number of bytes of an upload: resume from there.
    case offsetMismatch(Int)

    /// What failed, for the log and `kioskctl queue`.
    public var description: String {
        switch self {
        case .network(let reason): "the platform did not answer: \(reason)"
        case .retryable(let status, _, let reason): "the platform answered \(status): \(reason)"
        case .final(let status, let reason): "the platform refused it (\(status)): \(reason)"
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
    func rate(caseNumber: String, satisfaction: Int, reasons: [String], ratedAt: String) async throws(PlatformFailure)
    /// Submits the application; returns the platform's case number.
    func submit(key: String, body: Data) async throws(PlatformFailure) -> String
    /// A case's status and detail; nil when the platform does not know it.
    func status(tracking: String) async throws(PlatformFailure) -> (status: String, detail: String?)?
}

/// TLS for the platform link: the station's client certificate and key, and
/// the platform's CA, pinned (no other CA is trusted).
public struct PlatformTLS: Sendable {
    /// The station's client certificate (chain), PEM.
    public var certificateChainPEM: String
    /// Its private key, PEM.
    public var privateKeyPEM: String
    /// The platform's CA, PEM: the only one trusted.
    public var caPEM: String

    /// The three PEM texts.
    public init(certificateChainPEM: String, privateKeyPEM: String, caPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.caPEM = caPEM
    }
}

/// The platform API over HTTP(S) with AsyncHTTPClient: the forwarder's
/// ``PlatformAPI`` and the session's ``PlatformServices``.
public final class HTTPPlatformClient: PlatformAPI, PlatformServices {
    private let base: String
    private let client: HTTPClient

    /// Creates a client for `baseURL`. Plain `http:` is refused unless the host is loopback.
    public init(baseURL: String, tls: PlatformTLS?, connectTimeout: Duration = .seconds(5)) throws {
        guard let url = URL(string: baseURL), let scheme = url.scheme, let host = url.host else {
            throw PlatformConfigurationError("platform.url \"\(baseURL)\" is not a URL such as https://zwfw-gateway.example.gov.cn")
        }
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw PlatformConfigurationError("platform.url \"\(baseURL)\" is plain HTTP to a host that is not this machine: the platform link must be https with the station's certificate")
        }
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .milliseconds(connectTimeout.components.seconds * 1000), read: .seconds(60)))
        if scheme == "https" {
            guard let tls else { throw PlatformConfigurationError("platform.url is https: platform.client_certificate, platform.client_key and platform.ca are needed") }
            var settings = TLSConfiguration.makeClientConfiguration()
            do {
                settings.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(tls.certificateChainPEM.utf8)).map { .certificate($0) }
                settings.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(tls.privateKeyPEM.utf8), format: .pem))
                settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(tls.caPEM.utf8)))
            } catch {
                throw PlatformConfigurationError("the station's TLS files cannot be read as PEM: \(error)")
            }
            settings.certificateVerification = .fullVerification
            configuration.tlsConfiguration = settings
        }
        base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit { try? client.syncShutdown() }

    /// Closes the client's connections.
    public func shutdown() async { try? await client.shutdown() }

    private func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws(PlatformFailure) -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            var buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return (Int(response.status.code), response.headers, bytes)
        } catch {
            throw .network(Self.explain(error))
        }
    }

    /// Network failures in words a maintainer can act on; TLS ones say which side refused.
    static func explain(_ error: any Error) -> String {
        let text = "\(error)"
        let upper = text.uppercased()
        if upper.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the platform's certificate is not from the pinned CA (platform.ca) or not for this host, so nothing was sent; is something intercepting the link? (\(text))"
        }
        if upper.contains("CERTIFICATE_REQUIRED") || upper.contains("BAD_CERTIFICATE") || upper.contains("UNKNOWN_CA") || upper.contains("CERTIFICATE_UNKNOWN") {
            return "TLS: the platform refused the station's certificate (platform.client_certificate): is it the one the platform issued, and still valid? (\(text))"
        }
        return text
    }

    /// Turns a non-success answer into a failure.
    private func failure(_ status: Int, _ headers: HTTPHeaders, _ body: [UInt8]) -> PlatformFailure {
        let reason = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
            ?? String(decoding: body.prefix(200), as: UTF8.self)
        if status == 408 || status == 429 || status >= 500 {
            return .retryable(status: status, retryAfter: headers.first(name: "Retry-After").flatMap(Double.init), reason: reason)
        }
        return .final(status: status, reason: reason.isEmpty ? "no reason given" : reason)
    }

    /// The platform's service catalogue for `region` when it has one other
    /// than `version`; nil when the station's is current (304) or none is published (404).
    public func catalogue(region: String, current version: String) async throws(PlatformFailure) -> [UInt8]? {
        let (status, headers, body) = try await send(.GET, "/v1/catalogue?region=\(region)", headers: [("If-None-Match", "\"\(version)\"")])
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
            throw .retryable(status: 200, retryAfter: nil, reason: "the e-certificate answer is not JSON with certificates")
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

    /// `POST /v1/ratings`: a case's rating; a 409 (rated already) counts as sent.
    public func rate(caseNumber: String, satisfaction: Int, reasons: [String], ratedAt: String) async throws(PlatformFailure) {
        // 409: rated already (an earlier answer was lost); the platform keeps one per case.
        _ = try await post("/v1/ratings", [
            "case_number": caseNumber, "satisfaction": satisfaction, "reasons": reasons, "channel": ApplicationChannel.selfServiceTerminal, "rated_at": ratedAt,
        ], accepting: [200, 201, 409])
    }

    /// POSTs a JSON object; returns the JSON object answered (empty when the body is not one).
    private func post(_ path: String, _ object: [String: Any], accepting statuses: Set<Int> = [200, 201]) async throws(PlatformFailure) -> [String: Any] {
        let (status, headers, reply) = try await send(.POST, path, headers: [("Content-Type", "application/json")],
                                                       body: try? JSONSerialization.data(withJSONObject: object))
        guard statuses.contains(status) else { throw failure(status, headers, reply) }
        return ((try? JSONSerialization.jsonObject(with: Data(reply))) as? [String: Any]) ?? [:]
    }

    private func reference(in answer: [String: Any], of what: String) throws(PlatformFailure) -> String {
        guard let reference = answer["reference"] as? String else {
            throw .retryable(status: 201, retryAfter: nil, reason: "the \(what) answer has no reference")
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
    /// hand: DateFormatter would load ICU's data into kioskd for one header.
    public static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3, let date = CalendarDate(year: year, month: month + 1, day: day) else { return nil }
        let seconds: Int = date.dayNumber * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]
        return Date(timeIntervalSince1970: Double(seconds))
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
        let acknowledged = headers.first(name: "Upload-Offset").flatMap(Int.init)
        if status == 409, let acknowledged { throw .offsetMismatch(acknowledged) }
        guard status == 204 || status == 200 else { throw failure(status, headers, body) }
        guard let acknowledged else { throw .retryable(status: status, retryAfter: nil, reason: "the upload answer had no Upload-Offset") }
        return acknowledged
    }

    /// `POST /v1/applications` with the idempotency key: returns the case number.
    public func submit(key: String, body: Data) async throws(PlatformFailure) -> String {
        let (status, headers, answer) = try await send(.POST, "/v1/applications", headers: [("Idempotency-Key", key), ("Content-Type", "application/json")], body: body)
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
        guard let caseNumber = (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["case_number"] as? String else {
            throw .retryable(status: status, retryAfter: nil, reason: "the answer is not the JSON the API describes")
        }
        return caseNumber
    }

    /// `GET /v1/applications/{tracking}`: the case's status, nil when the platform does not know it.
    public func status(tracking: String) async throws(PlatformFailure) -> (status: String, detail: String?)? {
        let (status, headers, body) = try await send(.GET, "/v1/applications/\(tracking)")
        if status == 404 { return nil }
        guard status == 200, let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any], let value = object["status"] as? String else {
            if status == 200 { throw .retryable(status: status, retryAfter: nil, reason: "the status answer is not JSON") }
            throw failure(status, headers, body)
        }
        return (value, object["detail"] as? String)
    }
}

/// A platform setting that cannot work.
public struct PlatformConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and which setting to change.
    public var description: String
    init(_ description: String) { self.description = description }
}
