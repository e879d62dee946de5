import Crypto
import CryptoExtras
import Foundation
import SystemIO

/// The key under which a resident's cases are found at this station (我的办件)
/// without the station keeping their ID number: scrypt of the number with the
/// station's own salt. It is slow on purpose (about 50 ms, once per visit):
/// ID numbers are few enough to try them all, so a fast hash of one would be
/// as good as the number to whoever copies the disk.
public struct ApplicantLookup: Sendable {
    private let salt: [UInt8]

    /// Reads the station's salt from `path`, creating it (32 random bytes, mode
    /// 0600) the first time, durably: a salt lost in a power cut would leave
    /// every case saved under it unfindable by card.
    public init(saltFile path: String) throws {
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            salt = Array(data)
            return
        }
        let fresh = (0..<32).map { _ in UInt8.random(in: 0...255) }
        try DurableFiles.write(fresh, to: path, mode: 0o600)
        salt = fresh
    }

    /// With a given salt (tests).
    public init(salt: [UInt8]) { self.salt = salt }

    /// The key for a certificate number (capital X for a final x).
    public func key(for number: String) throws -> String {
        let derived = try KDF.Scrypt.deriveKey(from: Array(number.uppercased().utf8), salt: salt, outputByteCount: 32, rounds: 1 << 14, blockSize: 8, parallelism: 1)
        return derived.withUnsafeBytes { Data($0).base64EncodedString() }
    }
}
