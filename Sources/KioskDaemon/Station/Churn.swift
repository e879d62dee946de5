import Crypto
import Foundation
import Synchronization
import KioskCore
import Logging
import Outbox

/// `kioskd churn`: the crash-safety harness's child. It takes the state
/// directory like `kioskd run`, forwards, reads case events and purges like `kioskd run`, and
/// enqueues made-up applications (random pages) as fast as it can. After each
/// enqueue returns it prints, and flushes, one line the harness keeps:
///
///     enqueued TRACKING BYTES:SHA256 BYTES:SHA256 …
///
/// (the plaintext pages' sizes and hashes). The harness SIGKILLs it at
/// random points and then checks every printed application is still there,
/// exactly once, with every page intact.
public enum Churn {
    /// Runs until killed, or until `applications` are enqueued and, with
    /// `drain`, the queue is empty.
    /// `perDay`: after that many applications the made-up ones are dated a day earlier
    /// (a tracking number has room for 99,999 a day; the cold-start benchmark queues 100,000).
    public static func run(config: KioskConfig, applications: Int?, maxPages: Int, maxPageBytes: Int, drain: Bool, perDay: Int? = nil, logger: Logger) async throws {
        let stateDirectory = try StateDirectory(path: config.stateDirectory)
        let count = Mutex(0)
        var now: (@Sendable () -> Double)?
        if let perDay {
            now = { @Sendable () -> Double in
                let daysBack = count.withLock { $0 } / max(1, perDay)
                return Date().timeIntervalSince1970 - Double(daysBack) * 86_400
            }
        }
        let uplink = try StationUplink(config: config, stateDirectory: stateDirectory, now: now, logger: logger)
        let forwarding = Task { await uplink.forwarder.run() }
        var generator = SystemRandomNumberGenerator()
        var enqueued = 0
        while applications.map({ enqueued < $0 }) ?? true {
            let pages = (0..<Int.random(in: 0...maxPages, using: &generator)).map { _ in
                randomBytes(Int.random(in: 1...maxPageBytes, using: &generator), &generator)
            }
            let tracking = try await uplink.outbox.enqueue(ApplicationSubmission(
                serviceCode: "340104-000-1-00-001", serviceName: "城乡居民基本养老保险参保登记", applicantName: "测试居民",
                applicantCertificateType: "111", applicantCertificateNumber: "340104199001011234", regionCode: "340104",
                attachments: pages.map { .init(material: "户口簿", mediaType: "image/jpeg", data: $0) }))
            let line = (["enqueued", tracking.value] + pages.map { "\($0.count):\(SHA256.hash(data: $0).map { String(format: "%02x", $0) }.joined())" })
                .joined(separator: " ")
            // One write(2) per line, unbuffered: a line the harness sees was really printed before any kill.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            enqueued += 1
            count.withLock { $0 = enqueued }
        }
        if drain {
            while (try uplink.outbox.summary().counts[.queued] ?? 0) > 0 {
                try await Task.sleep(for: .milliseconds(100))
            }
            // One more purge pass, so payloads already due go now.
            try uplink.outbox.purge()
            // And the case events up to the platform's last, so the harness can count their effects.
            while await uplink.forwarder.syncEvents() {}
        }
        uplink.forwarder.stop()
        await forwarding.value
        await uplink.close(logger: logger)
        if drain { FileHandle.standardOutput.write(Data("drained\n".utf8)) }
    }

    private static func randomBytes(_ count: Int, _ generator: inout SystemRandomNumberGenerator) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            for offset in stride(from: 0, to: count - count % 8, by: 8) {
                raw.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            }
            for offset in (count - count % 8)..<count { raw[offset] = UInt8.random(in: 0...255, using: &generator) }
        }
        return bytes
    }
}
