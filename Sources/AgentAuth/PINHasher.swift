import Crypto
import CryptoExtras
import Foundation
import KioskCore
import Synchronization

/// Agent PINs: stored as scrypt hashes (salted, slow and memory-hard, so a
/// stolen agents.json does not give up 6-digit PINs in seconds), checked in
/// constant time, with the lock-out after five wrong tries.
public enum PINHasher {
    /// scrypt with N = 2^15, r = 8, p = 1: 32 MB and about 0.1 s a check on a kiosk.
    public static func hash(pin: String, logN: Int = 15) throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let key = try derive(pin: pin, salt: salt, logN: logN, blockSize: 8, parallelism: 1)
        return "scrypt$\(logN)$8$1$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `pin` matches the stored hash. A malformed hash never matches.
    public static func verify(pin: String, against stored: String) -> Bool {
        guard let format = PINHashFormat(stored), let salt = Data(base64Encoded: format.salt), let expected = Data(base64Encoded: format.hash),
              let key = try? derive(pin: pin, salt: Array(salt), logN: format.logN, blockSize: format.blockSize, parallelism: format.parallelism)
        else { return false }
        // Constant time: how much of a wrong PIN matched must not show in the timing.
        guard key.count == expected.count else { return false }
        return zip(key, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// What a maintainer may choose as a PIN: 6 to 12 digits, not all the same, not a run.
    public static func problem(with pin: String) -> String? {
        guard (6...12).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "a PIN has 6 to 12 digits" }
        let digits = pin.compactMap(\.wholeNumberValue)
        if Set(digits).count == 1 { return "a PIN of one repeated digit is guessed first" }
        let steps = Set(zip(digits, digits.dropFirst()).map { ($1 - $0 + 10) % 10 })
        if steps == [1] || steps == [9] { return "a run like 123456 is guessed first" }
        return nil
    }

    static func derive(pin: String, salt: [UInt8], logN: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(pin.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: blockSize, parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Checks agents' PINs against the directory, keeping the lock-out across
/// sessions: the runtime's answer to `SessionEffect.verifyAgentPIN`.
public final class AgentPINChecker: Sendable {
    private let directory: AgentDirectory
    private let lockout = Mutex(AgentLockout())
    private let store = Mutex<(any AgentLockoutStore)?>(nil)

    public init(directory: AgentDirectory) { self.directory = directory }

    /// Takes up the lock-out as `store` kept it (a restart does not unlock anyone), and keeps each change there from now on.
    public func keep(in store: any AgentLockoutStore) throws {
        let records = try store.agentLockouts()
        lockout.withLock { $0 = AgentLockout(limit: $0.limit, lockSeconds: $0.lockSeconds, records: records) }
        self.store.withLock { $0 = store }
    }

    /// Checks a PIN at `now` (Unix seconds). An unknown agent is simply wrong.
    public func check(agentID: String, pin: String, now: Double) throws -> AgentPINResult {
        if let until = lockout.withLock({ $0.locked(agentID, now: now) }) { return .locked(until: until) }
        // The slow hash runs outside the lock.
        let correct = directory.pinHash(for: agentID).map { PINHasher.verify(pin: pin, against: $0) } ?? false
        let (result, record) = lockout.withLock { ($0.record(agentID, correct: correct, now: now), $0.record(of: agentID)) }
        // Kept before the answer: a wrong try counts even if kioskd dies the next moment.
        try store.withLock { $0 }?.keep(record)
        return result
    }

    /// The agents locked out at `now`, and until when: for `kioskctl status`, the metric and the heartbeat.
    public func lockedAgents(now: Double) -> [(agentID: String, until: Double)] { lockout.withLock { $0.lockedAgents(now: now) } }
}
