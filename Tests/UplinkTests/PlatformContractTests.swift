import Foundation
import HardwareSim
import KioskCore
import Logging
@testable import Outbox
import OutboxTestSupport
import Testing
import TestSupport
@testable import Uplink

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A request sent as it is, for what the station's client would never send.
func raw(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8] = []) async -> (status: Int, headers: [AnyHashable: Any])? {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if !body.isEmpty { request.httpBody = Data(body) }
    guard let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, http.allHeaderFields)
}

@Suite("docs/platform-api.yaml is exact: kioskd's requests keep it, the platform refuses what breaks it", .serialized, .timeLimit(.minutes(2)))
struct PlatformContractTests {
    @Test("every request kioskd's client sends, one of each endpoint, validates against the document (openapi-core)")
    func kioskdRequestsKeepTheDocument() async throws {
        let python = repositoryRoot + "/.build/contract-venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("\(python) is missing: `make test` makes it (scripts/contract-venv.sh, openapi-core from PyPI)")
            return
        }
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        try platform.start()
        defer { platform.stop() }
        platform.startRecording()
        let outbox = try openOutbox(folder + "/outbox")
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        let forwarder = Forwarder(outbox: outbox, platform: client, logger: Logger(label: "test"))
        try await client.ping()
        let tracking = try await outbox.enqueue(submission(pages: 2))
        await forwarder.forward(tracking)
        #expect(try outbox.application(tracking)?.state == .acknowledged)
        platform.recordEvent(tracking.value, kind: "returned", detail: "户口簿首页不清晰", requested: ["户口簿"])
        platform.recordEvent(tracking.value, kind: "fee_due", feeFen: 2000)
        await forwarder.syncEvents()
        #expect(try outbox.application(tracking)?.platformStatus == "退回")
        try outbox.recordRating(Rating(trackingNumber: tracking.value, level: .dissatisfied, reasons: ["等待时间长"], at: 1_795_744_800))
        await forwarder.sendRatings()
        let consentID = UUID().uuidString.lowercased(), contactID = UUID().uuidString.lowercased()
        let consent = try outbox.seal(record: Array(#"{"id_number":"340104195803120519","purpose":"电子证照查询"}"#.utf8), binding: consentID)
        _ = try await client.lookupECertificates(consent: consent, consentID: consentID, types: ["居民户口簿"])
        let contact = try outbox.seal(record: Array(#"{"name":"王建国","id_number":"340104195803120519"}"#.utf8), binding: contactID)
        _ = try await client.reserve(serviceCode: "0500012000", date: "2026-12-08", missing: ["缺少材料：户口簿"], sealedContact: contact, contactID: contactID)
        _ = try await client.submitConsultation(kind: "投诉", title: "投诉：等待时间长", content: "等待时间长", sealedContact: contact, contactID: contactID)
        _ = try await client.submitConsultation(kind: "建议", title: "建议：多开一个窗口", content: "多开一个窗口", sealedContact: nil, contactID: UUID().uuidString.lowercased())
        try await client.heartbeat(Data(#"{"status":"ok","components":[]}"#.utf8))
        platform.publishCatalogue(Array(#"{"version":"2026.12.1"}"#.utf8))
        _ = try await client.catalogue(region: "340104001", current: "2026.11.1")
        #expect(platform.ratingsReceived.count == 1 && platform.reservations.count == 1 && platform.consultations.count == 2)

        let file = folder + "/requests.jsonl"
        try platform.recordedRequestsJSONLines().write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runTool(python, [repositoryRoot + "/Tests/Contract/validate_requests.py", repositoryRoot + "/docs/platform-api.yaml", file])
        #expect(result.status == 0, "\(result.output)")
        for endpoint in ["GET /v1/ping", "PATCH /v1/uploads", "POST /v1/applications", "GET /v1/stations", "POST /v1/ratings", "POST /v1/ecertificates",
                         "POST /v1/reservations", "POST /v1/consultations", "POST /v1/heartbeat", "GET /v1/catalogue"] {
            #expect(result.output.contains("× \(endpoint)"), "no \(endpoint) among the requests checked: \(result.output)")
        }
        await client.shutdown()
        try outbox.close()
    }

    @Test("an upload that breaks the document is refused (400, 413, 405) and one that keeps it is taken")
    func uploadsAsTheDocumentSays() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(platformPrivateKey), outputDirectory: folder + "/platform", port: TCPListening.unusedPort())
        try platform.start()
        defer { platform.stop() }
        let key = UUID().uuidString.lowercased()
        let chunk: [String: String] = ["Content-Type": "application/offset+octet-stream", "Upload-Offset": "0", "Upload-Length": "4"]
        func upload(_ path: String, _ headers: [String: String], _ body: [UInt8], method: String = "PATCH") async -> Int? {
            await raw(method, platform.url + "/v1/uploads/" + path, headers: headers, body: body)?.status
        }
        #expect(await upload("\(key)/-1", chunk, [1, 2]) == 400, "a negative index")
        #expect(await upload("\(key)/1000", chunk, [1, 2]) == 400, "an index past 999")
        #expect(await upload("not-a-key/0", chunk, [1, 2]) == 400, "a key that is not a UUID")
        #expect(await upload("\(key)/0", chunk, []) == 400, "a PATCH without a body")
        #expect(await upload("\(key)/0", chunk.merging(["Content-Type": "text/plain"]) { $1 }, [1, 2]) == 400, "the wrong content type")
        #expect(await upload("\(key)/0", chunk.merging(["Upload-Offset": "-5"]) { $1 }, [1, 2]) == 400, "a negative offset")
        #expect(await upload("\(key)/0", chunk, [1, 2, 3, 4, 5]) == 400, "a chunk past Upload-Length")
        #expect(await upload("\(key)/0", chunk.merging(["Upload-Length": "9000000"]) { $1 }, Array(repeating: 7, count: 8 << 20 + 1)) == 413, "a chunk over 8 MiB")
        #expect(await upload("not-a-key/0", [:], [], method: "HEAD") == 400)
        let wrong = await raw("DELETE", platform.url + "/v1/uploads/\(key)/0")
        #expect(wrong?.status == 405 && (wrong?.headers["Allow"] as? String) == "HEAD, PATCH", "\(String(describing: wrong))")
        #expect(await raw("TRACE", platform.url + "/v1/ping")?.status == 405)
        #expect(await raw("GET", platform.url + "/v1/nothing")?.status == 404)
        #expect(await upload("\(key)/0", chunk, [1, 2, 3, 4]) == 204, "a chunk that keeps the document")
        #expect(platform.accepted == 0)
    }
}
