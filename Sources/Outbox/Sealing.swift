import Crypto
import CryptoExtras
import Foundation
import KioskCore
import Synchronization

/// The platform's public key, to which every application's key is wrapped:
/// a PEM file (`-----BEGIN PUBLIC KEY-----`) configured as
/// `platform.public_key`. X25519 is what the platform simulator makes and
/// what docs/platform-api.yaml asks for; a P-256 key is still accepted.
/// Sealing to X25519 costs about 50 µs of CPU, to P-256 120 µs (`kioskd-bench
/// outbox --only profile`), and a station seals every application.
public struct PlatformPublicKey: Sendable {
    enum Key: Sendable {
        case x25519(Curve25519.KeyAgreement.PublicKey)
        case p256(P256.KeyAgreement.PublicKey)
    }

    let key: Key

    /// Reads a PEM public key; the error names the file and what is expected.
    public init(pemFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw OutboxError(.badPlatformKey, "cannot read the platform's public key \(path): check platform.public_key")
        }
        if let key = try? Curve25519.KeyAgreement.PublicKey(pemRepresentation: text) {
            self.key = .x25519(key)
        } else if let key = try? P256.KeyAgreement.PublicKey(pemRepresentation: text) {
            self.key = .p256(key)
        } else {
            throw OutboxError(.badPlatformKey, "\(path) is not an X25519 or P-256 public key in PEM form: ask the platform operator for the right file")
        }
    }

    /// Wraps a key object directly (tests, the simulator).
    public init(_ key: Curve25519.KeyAgreement.PublicKey) { self.key = .x25519(key) }
    /// Wraps a P-256 key directly.
    public init(_ key: P256.KeyAgreement.PublicKey) { self.key = .p256(key) }

    /// A fresh HPKE sender to this key for one envelope, bound to `info`, and the envelope's name for its suite.
    func sender(info: Data) throws -> Sealer.Sender {
        switch key {
        case .x25519(let key): Sealer.Sender(hpke: try HPKE.Sender(recipientKey: key, ciphersuite: Sealer.x25519, info: info), suite: "X25519_SHA256_AES_GCM_256")
        case .p256(let key): Sealer.Sender(hpke: try HPKE.Sender(recipientKey: key, ciphersuite: .P256_SHA256_AES_GCM_256, info: info), suite: "P256_SHA256_AES_GCM_256")
        }
    }
}

/// The envelope format (docs/platform-api.yaml, `SealedEnvelope`): the
/// application's personal data as JSON, sealed with a fresh AES-256-GCM key
/// that is itself sealed to the platform's key with HPKE (X25519_SHA256_AES_GCM_256:
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM; or the same with
/// P-256). An application's envelope (version 2) is bound to its station and
/// tracking number through HPKE's info (`kioskd application v2`, the station
/// code and the tracking number, a line each), and to its idempotency key as
/// associated data: moved to another number or station it does not open.
/// Attachments are sealed with the same application key, each bound to its
/// position (GCM's tag is their integrity check). A record (a consent, a
/// contact) is version 1, bound to its id. The plaintext key lives only as
/// long as the enqueue: the kiosk cannot open its own applications.
enum Sealer {
    /// A record's HPKE info (and an application's before version 2).
    static let recordInfo = Data("kioskd application v1".utf8)

    /// An application's HPKE info: what it is sealed to besides the platform's key.
    static func applicationInfo(station: String, trackingNumber: String) -> Data {
        Data("kioskd application v2\n\(station)\n\(trackingNumber)".utf8)
    }
    static let x25519 = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)

    /// An HPKE sender, used for one application or record only, and the envelope's name for its suite.
    struct Sender {
        var hpke: HPKE.Sender
        let suite: String
    }

    /// What the platform gets after opening the envelope.
    struct Payload: Codable {
        var serviceCode: String
        var serviceName: String
        var applicantName: String
        var applicantCertificateType: String
        var applicantCertificateName: String?
        var applicantCertificateNumber: String
        var phone: String?
        var agent: String?
        var form: [String: String]
        var materialsByOther: [String: String]
        var channel: String
        var regionCode: String
        var attachments: [AttachmentInfo]

        struct AttachmentInfo: Codable {
            var index: Int
            var material: String
            var mediaType: String
            var bytes: Int

            enum CodingKeys: String, CodingKey {
                case index, material, bytes
                case mediaType = "media_type"
            }
        }

        enum CodingKeys: String, CodingKey {
            case serviceCode = "service_code", serviceName = "service_name", applicantName = "applicant_name"
            case applicantCertificateType = "applicant_certificate_type", applicantCertificateName = "applicant_certificate_name"
            case applicantCertificateNumber = "applicant_certificate_number"
            case phone, agent, form, channel, attachments
            case materialsByOther = "materials_by_other", regionCode = "region_code"
        }
    }

    struct Envelope: Codable {
        var version: Int
        var suite: String
        var encapsulatedKey: String
        var wrappedKey: String
        var payload: String

        enum CodingKeys: String, CodingKey {
            case version, suite, payload
            case encapsulatedKey = "encapsulated_key", wrappedKey = "wrapped_key"
        }
    }

    /// Seals a small record (a consent, a contact) for the platform alone, in
    /// the same envelope format as an application, bound to `binding`.
    static func sealRecord(_ record: Data, binding: String, sender: Sender) throws -> Data {
        try seal(record, binding: binding, sender: sender, version: 1).envelope
    }

    /// Seals `plain` with a fresh AES-256-GCM key and wraps that key with
    /// `sender`: the envelope, and the key (for the application's pages).
    private static func seal(_ plain: Data, binding: String, sender: Sender, version: Int) throws -> (envelope: Data, key: SymmetricKey) {
        var hpke = sender.hpke
        let key = SymmetricKey(size: .bits256)
        let sealed = try AES.GCM.seal(plain, using: key, authenticating: Data(binding.utf8)).combined!
        let wrapped = try key.withUnsafeBytes { try hpke.seal(Data($0), authenticating: Data(binding.utf8)) }
        let envelope = Envelope(version: version, suite: sender.suite, encapsulatedKey: hpke.encapsulatedKey.base64EncodedString(), wrappedKey: wrapped.base64EncodedString(),
                                payload: sealed.base64EncodedString())
        return (try sortedKeys.encode(envelope), key)
    }

    private static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    /// One application being sealed: the envelope is done, the pages are
    /// sealed one by one (possibly on several threads) with its key.
    struct Session: Sendable {
        let envelope: Data
        private let key: SymmetricKey
        private let binding: String

        /// Seals the personal data now, with a fresh key wrapped by `sender`
        /// (an HPKE sender to the platform's key, made for this application's
        /// station and tracking number, used for nothing else).
        init(_ submission: ApplicationSubmission, binding: String, sender: Sender) throws {
            self.binding = binding
            let payload = Payload(
                serviceCode: submission.serviceCode, serviceName: submission.serviceName, applicantName: submission.applicantName,
                applicantCertificateType: submission.applicantCertificateType, applicantCertificateName: submission.applicantCertificateName,
                applicantCertificateNumber: submission.applicantCertificateNumber,
                phone: submission.phone, agent: submission.agent, form: submission.form, materialsByOther: submission.materialsByOther,
                channel: submission.channel, regionCode: submission.regionCode,
                attachments: submission.attachments.enumerated().map {
                    .init(index: $0.offset, material: $0.element.material, mediaType: $0.element.mediaType, bytes: $0.element.data.count)
                })
            (envelope, key) = try Sealer.seal(try sortedKeys.encode(payload), binding: binding, sender: sender, version: 2)
        }

        /// Page `index`, sealed and bound to this application and its position.
        func seal(page data: [UInt8], index: Int) throws -> Data {
            try data.withUnsafeBytes { bytes in
                try AES.GCM.seal(UnsafeRawBufferPointer(bytes), using: key, authenticating: Data("\(binding)#\(index)".utf8)).combined!
            }
        }
    }
}

extension Digest {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
