import Crypto
import Foundation
import KioskCore
import Outbox

/// What the outbox's and the uplink's tests share: the platform's key, an outbox sealed to it,
/// a plausible application, and the platform's way of opening one.

/// The platform's key pair, as the platform holds it.
public let platformPrivateKey = Curve25519.KeyAgreement.PrivateKey()

public func openOutbox(_ directory: String, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws -> Outbox {
    var settings = Outbox.Settings(stationCode: "340104001")
    settings.now = now
    return try Outbox(directory: directory, platformKey: PlatformPublicKey(platformPrivateKey.publicKey), settings: settings)
}

/// A plausible submission with `pages` scanned pages of distinctive bytes.
public func submission(_ name: String = "王建国", pages: Int = 2, pageBytes: Int = 4096, seed: UInt8 = 7) -> ApplicationSubmission {
    ApplicationSubmission(
        serviceCode: "340104-000-1-00-001", serviceName: "城乡居民基本养老保险参保登记", applicantName: name,
        applicantCertificateType: "111", applicantCertificateNumber: "340104195803120519", phone: "13900000000",
        form: ["缴费档次": "500"], regionCode: "340104",
        attachments: (0..<pages).map { page in
            .init(material: "户口簿", mediaType: "image/jpeg", data: (0..<pageBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ page &+ Int(seed)) })
        })
}

/// Opens an application's envelope the way the platform does: HPKE with the platform's private key
/// (bound to the application's station and tracking number), then AES-GCM.
public func platformOpen(_ envelope: Data, binding: String, tracking: TrackingNumber) throws -> (payload: [String: Any], key: SymmetricKey) {
    let json = try JSONSerialization.jsonObject(with: envelope) as! [String: Any]
    let info = Data("kioskd application v2\n\(tracking.station)\n\(tracking.value)".utf8)
    var recipient = try HPKE.Recipient(privateKey: platformPrivateKey, ciphersuite: HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256), info: info,
                                       encapsulatedKey: Data(base64Encoded: json["encapsulated_key"] as! String)!)
    let key = SymmetricKey(data: try recipient.open(Data(base64Encoded: json["wrapped_key"] as! String)!, authenticating: Data(binding.utf8)))
    let payload = try AES.GCM.open(AES.GCM.SealedBox(combined: Data(base64Encoded: json["payload"] as! String)!), using: key, authenticating: Data(binding.utf8))
    return (try JSONSerialization.jsonObject(with: payload) as! [String: Any], key)
}

extension Outbox {
    /// Applies the platform's events as one page ending at the last one's id, numbering them on from the cursor.
    @discardableResult
    public func applyEvents(_ events: [(tracking: TrackingNumber, caseNumber: String, kind: String, detail: String?)]) throws -> AppliedCaseEvents {
        let first = try caseEventCursor() + 1
        let checked = try events.enumerated().map { index, event in
            try CaseEvent(id: first + Int64(index), trackingNumber: event.tracking.value, caseNumber: event.caseNumber, kind: event.kind,
                          at: "20261208T093000", detail: event.detail)
        }
        return try applyCaseEvents(CaseEventPage(events: checked, flawed: [], last: checked.last?.id ?? first - 1, more: false))
    }
}
