import Crypto
import CryptoExtras
import Foundation
import KioskCore
import NIOCore
import Synchronization

/// The provincial platform, as far as a station sees it (docs/platform-api.yaml):
/// resumable uploads, idempotent submission, each station's case events
/// (PlatformCases.swift: the handling office), ratings,
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
/// `clear`; P is a percentage. A hostile platform's ways too:
/// `redirect STATUS URL [P]` (a 3xx elsewhere), `offset negative|too-large|stuck [P]`
/// (upload offsets that lie), `drip MS [P]` (an answer's body a byte every MS),
/// `oversize [P]` (2 MB more than an answer needs).
/// Over TLS also `tls impostor` / `tls legacy` / `tls genuine`: new connections
/// see a certificate from a CA the station does not pin, are offered only TLS
/// 1.1 or older, or see the platform's own.
///
/// Its parts: PlatformControl.swift (the control socket's commands),
/// PlatformRoutes.swift (the API's endpoints), PlatformKeys.swift (its key
/// pair and its own opening of the envelope).
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
        /// A hostile platform's answers (the station must believe none of them):
        /// redirects elsewhere, upload offsets that lie, bodies dripped a byte at a time or far too large.
        public var redirect: (status: Int, location: String)?
        public var redirectPercent = 0
        public var offsetLie: OffsetLie?
        public var offsetLiePercent = 0
        public var drip: Duration?
        public var dripPercent = 0
        public var oversizePercent = 0
        public init() {}

        /// How an upload's answered offset lies.
        public enum OffsetLie: String, Sendable, Equatable {
            /// `Upload-Offset: -5`.
            case negative
            /// More than the upload's length.
            case tooLarge = "too-large"
            /// The offset asked, whatever was sent: no progress.
            case stuck
        }

        public static func == (a: Faults, b: Faults) -> Bool {
            a.failPercent == b.failPercent && a.failStatus == b.failStatus && a.failRetryAfter == b.failRetryAfter && a.throttlePercent == b.throttlePercent
                && a.throttleRetryAfter == b.throttleRetryAfter && a.resetPercent == b.resetPercent && a.dropAfterCommitPercent == b.dropAfterCommitPercent
                && a.garbagePercent == b.garbagePercent && a.slow == b.slow && a.redirect?.status == b.redirect?.status && a.redirect?.location == b.redirect?.location
                && a.redirectPercent == b.redirectPercent && a.offsetLie == b.offsetLie && a.offsetLiePercent == b.offsetLiePercent && a.drip == b.drip
                && a.dripPercent == b.dripPercent && a.oversizePercent == b.oversizePercent
        }
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
        /// Once an application is accepted its pages are kept with it; its uploads' sizes stay, so an offset never goes back.
        var acceptedUploads: [String: [Int: Int]] = [:]
        var submissions: [String: Submission] = [:]
        var cases: [String: Case] = [:]
        /// Every station's case events, in order (PlatformCases.swift).
        var events: [LoggedEvent] = []
        var acceptedCount = 0
        var acceptances: [String: Int] = [:]
        var ratings: Set<String> = []
        var ratingsReceived: [ReceivedRating] = []
        var consultations = 0
        var heartbeats = 0
        /// The last heartbeat's body, as sent.
        var lastHeartbeat: [UInt8]?
        /// How far the platform's clock (the Date of its answers to /v1/ping) is off, in seconds.
        var clockSkew = 0.0
        /// A Date header sent as it is instead of the clock's (`date TEXT`): what a lying platform, or a box in front of it, may say.
        var dateHeader: String?
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
        /// Every request, as it came, while recording (for checking a station's requests against the document).
        var recorded: [HTTPRequest]?
    }

    let privateKey: PlatformPrivateKey
    public let outputDirectory: String
    let state: Mutex<State>
    let server = Mutex<HTTPServer?>(nil)
    let tls: HTTPServer.TLSFiles?
    let presentation = Mutex(HTTPServer.Presentation.genuine)
    /// The handling office moving cases by itself (`handling MS`), if it is.
    let handling = Mutex<Task<Void, Never>?>(nil)
    public let host: String
    public let port: UInt16

    /// Creates a platform with `privateKey`, saving accepted applications under
    /// `outputDirectory`; with `tls`, it serves HTTPS and requires the
    /// station's client certificate (mTLS), whose common name must be the
    /// station code of what it submits.
    public init(privateKey: PlatformPrivateKey, outputDirectory: String, host: String = "127.0.0.1", port: UInt16, seed: UInt64 = 1,
                tls: HTTPServer.TLSFiles? = nil) throws {
        self.privateKey = privateKey
        self.outputDirectory = outputDirectory
        self.host = host
        self.port = port
        self.tls = tls
        state = Mutex(State(random: SplitMix64(seed: seed)))
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
    }

    /// Starts listening (again).
    public func start() throws {
        try server.withLock { server in
            guard server == nil else { return }
            // A listener just stopped may hold the port for a moment: give it up to a second to come free.
            for attempt in 1...20 {
                do {
                    let http = try HTTPServer(host: host, port: port, tls: tls) { await self.handle($0) }
                    http.present(presentation.withLock { $0 })
                    server = http
                    return
                } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 20 {
                    usleep(50_000)
                }
            }
        }
    }

    /// Stops listening: connections are refused until ``start()``.
    public func stop() {
        server.withLock { server in
            server?.stop()
            server = nil
        }
    }

    /// The base URL stations use.
    public var url: String { "\(tls == nil ? "http" : "https")://\(host):\(port)" }

    /// Sets the faults.
    public func setFaults(_ faults: Faults) { state.withLock { $0.faults = faults } }

    /// Keeps every request from now on.
    public func startRecording() { state.withLock { $0.recorded = $0.recorded ?? [] } }

    /// The requests kept since ``startRecording()``, one JSON object a line (method, path,
    /// query, headers, body in base64), as Tests/Contract/validate_requests.py reads them.
    public func recordedRequestsJSONLines() -> String {
        (state.withLock { $0.recorded } ?? []).map { request in
            let object: [String: Any] = ["method": request.method, "path": request.path, "query": request.query, "headers": request.headers,
                                         "body": Data(request.body).base64EncodedString()]
            return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// How many applications were accepted (distinct idempotency keys), and when the first upload arrived.
    public var accepted: Int { state.withLock { $0.acceptedCount } }
    public var firstUploadAt: ContinuousClock.Instant? { state.withLock { $0.firstUploadAt } }
    /// Requests answered so far (pings included).
    public var requestCount: Int { state.withLock { $0.requests } }
    /// How many times each tracking number was accepted: more than once is a duplicate case at the platform.
    public var acceptances: [String: Int] { state.withLock { $0.acceptances } }

    /// Ratings accepted (one per case), in order.
    /// A rating as the platform recorded it: the comment opened from its seal.
    public typealias ReceivedRating = (caseNumber: String, satisfaction: Int, reasons: [String], comment: String?, ratedAt: String, channel: String)
    public var ratingsReceived: [ReceivedRating] { state.withLock { $0.ratingsReceived } }

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
}
