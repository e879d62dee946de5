import Foundation
import HardwareSim
import KioskCore
import Logging
import Outbox
import TestSupport
import Testing
import Uplink

/// A throw-away PKI from scripts/make-test-pki.sh (openssl): the platform's CA,
/// its server certificate, the station's client certificate, an impostor.
func testPKI(station: String = "340104001") throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let folder = temporaryDirectory("pki")
    let result = try runTool(root + "/scripts/make-test-pki.sh", [folder, station])
    guard result.status == 0 else { throw PKIFailure(output: result.output) }
    return folder
}

struct PKIFailure: Error { var output: String }

func stationTLS(_ pki: String, certificate: String = "station") throws -> PlatformTLS {
    func read(_ name: String) throws -> String { try String(contentsOfFile: "\(pki)/\(name)", encoding: .utf8) }
    return PlatformTLS(certificateChainPEM: try read("\(certificate).pem"), privateKeyPEM: try read("\(certificate)-key.pem"), caPEM: try read("ca.pem"))
}

@Suite("The platform link over mutual TLS", .serialized, .timeLimit(.minutes(2)))
struct PlatformTLSTests {
    @Test("with its certificate and the platform's CA pinned, the station forwards over https and the platform knows it by its certificate")
    func mutualTLS() async throws {
        let pki = try testPKI()
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort(),
                                             tls: .init(directory: pki))
        try platform.start()
        defer { platform.stop() }
        #expect(platform.url.hasPrefix("https://127.0.0.1:"))
        let outbox = try openOutbox(folder + "/outbox")
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: try stationTLS(pki))
        let forwarder = Forwarder(outbox: outbox, platform: client, settings: quickSettings(), logger: Logger(label: "test"))
        let running = Task { await forwarder.run() }
        defer {
            forwarder.stop()
            running.cancel()
        }
        let tracking = try await outbox.enqueue(submission(pages: 2, pageBytes: 100_000))
        #expect(await eventually(within: .seconds(10)) { (try? outbox.application(tracking))??.state == .acknowledged })
        // It got past the handshake with the station's certificate, and its common name matched the station code (else 403).
        #expect(platform.acceptances[tracking.value] == 1)
        await client.shutdown()
    }

    @Test("a certificate from a CA other than the pinned one is refused: nothing is sent, the application waits, and goes once the real platform is back")
    func pinMismatch() async throws {
        let pki = try testPKI()
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort(),
                                             tls: .init(directory: pki))
        try platform.start()
        defer { platform.stop() }
        #expect(await platform.control(["tls", "impostor"])?.hasPrefix("ok") == true)
        let outbox = try openOutbox(folder + "/outbox")
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: try stationTLS(pki))
        let forwarder = Forwarder(outbox: outbox, platform: client, settings: quickSettings(), logger: Logger(label: "test"))
        let running = Task { await forwarder.run() }
        defer {
            forwarder.stop()
            running.cancel()
        }
        let tracking = try await outbox.enqueue(submission(pages: 1))
        // A deadline, not a timing goal: handshakes are slow when the whole suite runs at once.
        #expect(await eventually(within: .seconds(30)) { forwarder.linkProblem?.contains("not from the pinned CA (platform.ca)") == true },
                "\(forwarder.linkProblem ?? "no problem seen")")
        #expect(!forwarder.linkUp)
        try await Task.sleep(for: .milliseconds(500))
        #expect(platform.requestCount == 0, "a request reached the impostor")
        #expect(try outbox.application(tracking)?.state == .queued)

        #expect(await platform.control(["tls", "genuine"])?.hasPrefix("ok") == true)
        #expect(await eventually(within: .seconds(10)) { platform.acceptances[tracking.value] == 1 })
        await client.shutdown()
    }

    @Test("a station whose certificate the platform did not issue is refused at the handshake, with what to check")
    func unknownStation() async throws {
        let pki = try testPKI()
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort(),
                                             tls: .init(directory: pki))
        try platform.start()
        defer { platform.stop() }
        // The impostor's certificate and key, but the real CA pinned: the platform does not know this station.
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: try stationTLS(pki, certificate: "impostor"))
        do {
            try await client.ping()
            Issue.record("the platform answered a station it did not issue a certificate to")
        } catch {
            #expect(error.description.contains("TLS: the platform refused the station's certificate (platform.client_certificate)"), "\(error)")
        }
        #expect(platform.requestCount == 0)
        await client.shutdown()
    }

    @Test("a station's certificate for another station code is refused on submit (403), and the application is dead-lettered with that reason")
    func certificateForAnotherStation() async throws {
        let pki = try testPKI(station: "340104999")
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort(),
                                             tls: .init(directory: pki))
        try platform.start()
        defer { platform.stop() }
        let outbox = try openOutbox(folder + "/outbox")
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: try stationTLS(pki))
        let forwarder = Forwarder(outbox: outbox, platform: client, settings: quickSettings(), logger: Logger(label: "test"))
        let running = Task { await forwarder.run() }
        defer {
            forwarder.stop()
            running.cancel()
        }
        let tracking = try await outbox.enqueue(submission(pages: 1))
        #expect(await eventually(within: .seconds(10)) { (try? outbox.application(tracking))??.state == .deadLetter })
        #expect(try outbox.application(tracking)?.lastError == "the platform refused it (403): the station's certificate is for 340104999, not station 340104001")
        await client.shutdown()
    }

    func quickSettings() -> Forwarder.Settings {
        var settings = Forwarder.Settings()
        settings.baseDelay = 0.05
        settings.maxDelay = 0.2
        settings.probeInitial = 0.1
        settings.probeCap = 0.3
        return settings
    }
}
