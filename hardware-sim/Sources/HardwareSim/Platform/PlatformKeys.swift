import Crypto
import CryptoExtras
import Foundation

extension PlatformSimulator {
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

    /// Opens the envelope: HPKE for the application key, then AES-GCM for the payload and the attachments.
    /// Version 1 (a record, or an application sealed before version 2) is bound to
    /// `binding` alone; version 2 also to `station` and `tracking` through HPKE's
    /// info, so an envelope moved to another number or station does not open.
    func open(_ envelope: [String: Any], sealed: [Int: [UInt8]], key binding: String, station: String? = nil, tracking: String? = nil) throws -> (payload: Data, attachments: [Int: Data]) {
        let version = envelope["version"] as? Int
        let info: Data
        switch version {
        case 1: info = Data("kioskd application v1".utf8)
        case 2:
            guard let station, let tracking else { throw SimulatorError("a version 2 envelope comes only with an application, its station and tracking number") }
            info = Data("kioskd application v2\n\(station)\n\(tracking)".utf8)
        default: throw SimulatorError("the envelope's version \(version.map(String.init) ?? "(none)") is not 1 or 2")
        }
        guard envelope["suite"] as? String == privateKey.suite,
              let encapsulated = (envelope["encapsulated_key"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let wrapped = (envelope["wrapped_key"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let payload = (envelope["payload"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw SimulatorError("the envelope lacks a field, or has an unknown version, or a suite other than this platform key's \(privateKey.suite)")
        }
        var recipient = try privateKey.recipient(encapsulatedKey: encapsulated, info: info)
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

    func recipient(encapsulatedKey: Data, info: Data) throws -> HPKE.Recipient {
        switch self {
        case .x25519(let key):
            try HPKE.Recipient(privateKey: key, ciphersuite: HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256),
                               info: info, encapsulatedKey: encapsulatedKey)
        case .p256(let key):
            try HPKE.Recipient(privateKey: key, ciphersuite: .P256_SHA256_AES_GCM_256, info: info, encapsulatedKey: encapsulatedKey)
        }
    }
}
