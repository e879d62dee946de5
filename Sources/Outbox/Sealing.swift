import Crypto
import Foundation
import KioskCore

/// The platform's public key, to which every application's key is wrapped.
/// A PEM file (`-----BEGIN PUBLIC KEY-----`, P-256) configured as `platform.public_key`.
public struct PlatformPublicKey: Sendable {
    let key: P256.KeyAgreement.PublicKey

    /// Reads a PEM public key; the error names the file and what is expected.
    public init(pemFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw OutboxError("cannot read the platform's public key \(path): check platform.public_key")
        }
        do {
            key = try P256.KeyAgreement.PublicKey(pemRepresentation: text)
        } catch {
            throw OutboxError("\(path) is not a P-256 public key in PEM form: ask the platform operator for the right file")
        }
    }

    /// Wraps a key object directly (tests, the simulator).
    public init(_ key: P256.KeyAgreement.PublicKey) { self.key = key }
}

/// The envelope format (docs/platform-api.yaml, `SealedEnvelope`): the
/// application's personal data as JSON, sealed with a fresh AES-256-GCM key
/// that is itself sealed to the platform's key with HPKE
/// (P256_SHA256_AES_GCM_256, info "kioskd application v1"). Attachments are
/// sealed with the same application key, each bound to its position. The
/// plaintext key is dropped as soon as the application is sealed: the kiosk
/// cannot open its own applications.
enum Sealer {
    static let info = Data("kioskd application v1".utf8)
    static let suite = HPKE.Ciphersuite.P256_SHA256_AES_GCM_256

    struct Sealed {
        var envelope: Data
        var attachments: [Data]
    }

    /// What the platform gets after opening the envelope.
    struct Payload: Codable {
        var serviceCode: String
        var serviceName: String
        var applicantName: String
        var applicantCertificateType: String
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
            var sha256: String
        }

        enum CodingKeys: String, CodingKey {
            case serviceCode = "service_code", serviceName = "service_name", applicantName = "applicant_name"
            case applicantCertificateType = "applicant_certificate_type", applicantCertificateNumber = "applicant_certificate_number"
            case phone, agent, form, channel, attachments
            case materialsByOther = "materials_by_other", regionCode = "region_code"
        }
    }

    struct Envelope: Codable {
        var version = 1
        var suite = "P256_SHA256_AES_GCM_256"
        var encapsulatedKey: String
        var wrappedKey: String
        var payload: String

        enum CodingKeys: String, CodingKey {
            case version, suite, payload
            case encapsulatedKey = "encapsulated_key", wrappedKey = "wrapped_key"
        }
    }

    /// Seals a submission. `binding` (the idempotency key) goes into every
    /// seal's associated data, so parts of two applications cannot be swapped.
    static func seal(_ submission: ApplicationSubmission, binding: String, to platform: PlatformPublicKey) throws -> Sealed {
        let key = SymmetricKey(size: .bits256)
        var infos: [Payload.AttachmentInfo] = []
        var sealedAttachments: [Data] = []
        for (index, attachment) in submission.attachments.enumerated() {
            let box = try AES.GCM.seal(attachment.data, using: key, authenticating: Data("\(binding)#\(index)".utf8))
            sealedAttachments.append(box.combined!)
            infos.append(.init(index: index, material: attachment.material, mediaType: attachment.mediaType, bytes: attachment.data.count,
                               sha256: SHA256.hash(data: attachment.data).hex))
        }
        let payload = Payload(
            serviceCode: submission.serviceCode, serviceName: submission.serviceName, applicantName: submission.applicantName,
            applicantCertificateType: submission.applicantCertificateType, applicantCertificateNumber: submission.applicantCertificateNumber,
            phone: submission.phone, agent: submission.agent, form: submission.form, materialsByOther: submission.materialsByOther,
            channel: submission.channel, regionCode: submission.regionCode, attachments: infos)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let sealedPayload = try AES.GCM.seal(try encoder.encode(payload), using: key, authenticating: Data(binding.utf8)).combined!
        var sender = try HPKE.Sender(recipientKey: platform.key, ciphersuite: suite, info: info)
        let wrapped = try key.withUnsafeBytes { try sender.seal(Data($0), authenticating: Data(binding.utf8)) }
        let envelope = Envelope(encapsulatedKey: sender.encapsulatedKey.base64EncodedString(), wrappedKey: wrapped.base64EncodedString(),
                                payload: sealedPayload.base64EncodedString())
        return Sealed(envelope: try encoder.encode(envelope), attachments: sealedAttachments)
    }
}

extension Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// A reason the outbox cannot do what it was asked, worded for whoever acts on it.
public struct OutboxError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// Whether the disk is full (nothing was saved; no receipt may be printed).
    public var diskFull: Bool

    public init(_ description: String, diskFull: Bool = false) {
        self.description = description
        self.diskFull = diskFull
    }
}
