import Foundation
import HardwareSim
import KioskCore
import Logging
import Outbox
import TestSupport
import OutboxTestSupport
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

/// A platform simulator over mutual TLS with a fresh test PKI (the station's certificate for `station`), started.
func startedTLSPlatform(station: String = "340104001", _ name: String = #function) throws -> (pki: String, folder: String, platform: PlatformSimulator) {
    let pki = try testPKI(station: station)
    let folder = temporaryDirectory(name)
    let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort(),
                                         tls: .init(directory: pki))
    try platform.start()
    return (pki, folder, platform)
}

@Suite("The platform link over mutual TLS", .serialized, .timeLimit(.minutes(2)))
struct PlatformTLSTests {
    @Test("with its certificate and the platform's CA pinned, the station forwards over https and the platform knows it by its certificate")
    func mutualTLS() async throws {
        let (pki, folder, platform) = try startedTLSPlatform()
        defer { platform.stop() }
        #expect(platform.url.hasPrefix("https://127.0.0.1:"))
        let (outbox, client, forwarder) = try runningForwarder(folder, pki, platform)
        defer { forwarder.stop() }
        let tracking = try await outbox.enqueue(submission(pages: 2, pageBytes: 100_000))
        #expect(await eventually(within: .seconds(10)) { (try? outbox.application(tracking))??.state == .acknowledged })
        // It got past the handshake with the station's certificate, and its common name matched the station code (else 403).
        #expect(platform.acceptances[tracking.value] == 1)
        await client.shutdown()
    }

    @Test("a certificate from a CA other than the pinned one is refused: nothing is sent, the application waits, and goes once the real platform is back")
    func pinMismatch() async throws {
        let (pki, folder, platform) = try startedTLSPlatform()
        defer { platform.stop() }
        #expect(await platform.control(["tls", "impostor"])?.hasPrefix("ok") == true)
        let (outbox, client, forwarder) = try runningForwarder(folder, pki, platform)
        defer { forwarder.stop() }
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
        let (pki, _, platform) = try startedTLSPlatform()
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
        let (pki, folder, platform) = try startedTLSPlatform(station: "340104999")
        defer { platform.stop() }
        let (outbox, client, forwarder) = try runningForwarder(folder, pki, platform)
        defer { forwarder.stop() }
        let tracking = try await outbox.enqueue(submission(pages: 1))
        #expect(await eventually(within: .seconds(10)) { (try? outbox.application(tracking))??.state == .deadLetter })
        #expect(try outbox.application(tracking)?.lastError == "the platform refused it (403): the station's certificate is for 340104999, not station 340104001")
        await client.shutdown()
    }

    /// Base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as openssl computes it.
    func spkiPin(_ certificate: String) throws -> String {
        let result = try runTool("/bin/sh", ["-c", "openssl x509 -in '\(certificate)' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("the platform's public key pinned beside the CA: the right key is talked to, another key from the same CA is refused before anything is sent")
    func spkiPin() async throws {
        let (pki, _, platform) = try startedTLSPlatform()
        defer { platform.stop() }
        var tls = try stationTLS(pki)
        tls.pins = [try spkiPin(pki + "/server.pem")]
        let pinned = try HTTPPlatformClient(baseURL: platform.url, tls: tls)
        try await pinned.ping()
        #expect(platform.requestCount == 1)
        await pinned.shutdown()
        // The station's own key is from the same CA, but it is not the platform's.
        tls.pins = [try spkiPin(pki + "/station.pem")]
        let other = try HTTPPlatformClient(baseURL: platform.url, tls: tls)
        do {
            try await other.ping()
            Issue.record("a platform key other than the pinned one was talked to")
        } catch {
            #expect(error.description.contains("is not the one pinned in platform.pin_sha256, so nothing was sent"), "\(error)")
        }
        #expect(platform.requestCount == 1, "a request went past a pin mismatch")
        await other.shutdown()
    }

    @Test("a platform that offers only TLS 1.1 is refused; the station's certificate expiry is read for the warning")
    func oldTLSAndExpiry() async throws {
        let (pki, _, platform) = try startedTLSPlatform()
        defer { platform.stop() }
        #expect(await platform.control(["tls", "legacy"])?.hasPrefix("ok") == true)
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: try stationTLS(pki))
        do {
            try await client.ping()
            Issue.record("the station talked TLS 1.1")
        } catch {
            #expect(error.description.contains("a TLS version older than 1.2, which the station refuses"), "\(error)")
        }
        #expect(platform.requestCount == 0)
        #expect(await platform.control(["tls", "genuine"])?.hasPrefix("ok") == true)
        try await client.ping()

        let enddate = try runTool("/bin/sh", ["-c", "openssl x509 -in '\(pki)/station.pem' -noout -enddate -dateopt iso_8601"]).output
        let expiry = try #require(client.certificateExpiry)
        let day = ChinaTime.date(expiry.timeIntervalSince1970).description
        #expect(enddate.contains(String(day.prefix(4))), "openssl says \(enddate), kioskd read \(day)")
        await client.shutdown()
    }

    /// An outbox in `folder` and a forwarder running to `platform` with the station's certificate.
    func runningForwarder(_ folder: String, _ pki: String, _ platform: PlatformSimulator) throws -> (Outbox, HTTPPlatformClient, Forwarder) {
        let outbox = try openOutbox(folder + "/outbox")
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: try stationTLS(pki))
        let forwarder = Forwarder(outbox: outbox, platform: client, settings: quickSettings(), logger: Logger(label: "test"))
        Task { await forwarder.run() }
        return (outbox, client, forwarder)
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
