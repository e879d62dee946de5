import Foundation
import KioskCore
import Logging
import Outbox
import OutboxTestSupport
import Synchronization
import SystemIO
import Testing
import TestSupport
@testable import Uplink

/// A platform that answers every request at random and with hostility: any status,
/// headers that lie (dates and offsets past any integer, Retry-After of 1e308, a
/// redirect), bodies of random bytes or of JSON with every wrong type, bodies cut
/// short or longer than said, answers that never come. It answers a submission
/// with a true acceptance now and then, and remembers each case number it gave.
final class HostilePlatform: Sendable {
    private let listener: TCPListeningSocket
    private let state: Mutex<(random: SplitMix64, answers: Int, accepted: Set<String>, stopped: Bool)>
    let url: String

    init(seed: UInt64) throws {
        listener = try TCPListeningSocket(port: 0)
        url = "http://127.0.0.1:\(listener.port)"
        state = Mutex((SplitMix64(seed: seed), 0, [], false))
    }

    var answers: Int { state.withLock { $0.answers } }
    /// The case numbers it gave in a true acceptance.
    var accepted: Set<String> { state.withLock { $0.accepted } }

    func start() {
        Task.detached {
            while !self.state.withLock({ $0.stopped }) {
                guard let fd = try? await onIOThread({ try self.listener.accept(deadline: .now + .milliseconds(200)) }),
                      let connection = try? PollingDescriptor(fd: fd, isSocket: true, label: "hostile platform") else { continue }
                Task.detached { await self.serve(connection) }
            }
        }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        listener.close()
    }

    private func random(_ range: ClosedRange<Int>) -> Int {
        state.withLock { Int($0.random.next() % UInt64(range.count)) + range.lowerBound }
    }

    private func pick<T>(_ choices: [T]) -> T { choices[random(0...(choices.count - 1))] }

    /// Reads one request (its head and as much body as it says), answers it, closes.
    private func serve(_ connection: PollingDescriptor) async {
        defer { connection.close() }
        var request: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            guard let chunk = try? await connection.read(maxCount: 65_536, deadline: deadline), !chunk.isEmpty else { return }
            request += chunk
            guard let end = request.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: request[..<end.lowerBound], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
            if request.count - end.upperBound >= length { break }
        }
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let answer = self.answer(to: line)
        state.withLock { $0.answers += 1 }
        if answer.isEmpty { return }  // no answer: the connection closes
        if answer == [0] {
            // An answer that never comes: the client's deadline must end the wait.
            try? await Task.sleep(for: .seconds(3))
            return
        }
        try? await connection.write(answer, deadline: .now + .seconds(2))
    }

    private func answer(to line: String) -> [UInt8] {
        let submission = line.hasPrefix("POST /v1/applications ") || line.hasPrefix("POST /v1/applications?")
        if submission, random(0...9) == 0 {
            let number = "AH" + String(random(100_000...999_999))
            state.withLock { _ = $0.accepted.insert(number) }
            return response(201, ["Content-Type: application/json"], Array(#"{"case_number":"\#(number)","accepted_at":"20261207T120000"}"#.utf8))
        }
        switch random(0...15) {
        case 0: return []
        case 1: return random(0...20) == 0 ? [0] : []
        case 2: return (0..<random(1...400)).map { _ in UInt8(random(0...255)) }  // not HTTP at all
        case 3:  // a body that stops short of its length
            return Array("HTTP/1.1 \(pick([200, 201, 204, 409]))\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{\"case_".utf8)
        case 4:  // a length that is not one
            return Array("HTTP/1.1 200 OK\r\nContent-Length: \(pick(["-1", "1e9", "99999999999999999999999", "abc", "5, 6"]))\r\nConnection: close\r\n\r\n{}".utf8)
        case 5:  // a redirect
            return response(pick([301, 302, 303, 307, 308]), ["Location: http://203.0.113.7/steal"], [])
        default:
            return response(pick([100, 102, 200, 201, 202, 204, 206, 304, 400, 401, 403, 404, 405, 408, 409, 413, 422, 429, 500, 502, 503, 504, 599, 999]),
                            hostileHeaders(), hostileBody())
        }
    }

    private func hostileHeaders() -> [String] {
        var headers: [String] = []
        let huge = ["9223372036854775807", "18446744073709551616", "-1", "1e308", "-0", "+5", "0x10", "٣", "NaN", ""]
        if random(0...1) == 0 {
            headers.append("Date: " + pick(["Thu, 01 Jan 2026 \(pick(huge)):00:00 GMT", "Thu, \(pick(huge)) Jan 2026 00:00:00 GMT", "Thu, 01 Jan \(pick(huge)) 00:00:00 GMT",
                                            "yesterday", "Fri, 27 Nov 2026 05:22:16 GMT", String(repeating: "9", count: random(1...400))]))
        }
        if random(0...2) == 0 { headers.append("Retry-After: " + pick(huge + ["120", "Wed, 21 Oct 2015 07:28:00 GMT", String(repeating: "7", count: 300)])) }
        if random(0...2) == 0 { headers.append("Upload-Offset: " + pick(huge + ["0", "4096", "1073741825", " 12", "12 "])) }
        if random(0...4) == 0 { headers.append("Content-Type: " + pick(["application/json", "text/html", "application/json; charset=gb2312", "\u{1}"])) }
        if random(0...6) == 0 { headers.append("ETag: \"" + String(repeating: "v", count: random(0...200)) + "\"") }
        return headers
    }

    private func hostileBody() -> [UInt8] {
        let values = ["null", "true", "-1", "1e308", "9223372036854775808", "\"\"", "\"\\u0000\\u001b[2J\"", "[]", "{}", "\"" + String(repeating: "长", count: random(0...3000)) + "\"",
                      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "{\"a\":" + String(repeating: "[", count: 600)]
        switch random(0...5) {
        case 0: return []
        case 1: return (0..<random(1...2000)).map { _ in UInt8(random(0...255)) }
        case 2:
            // JSON with the API's names, every one of the wrong kind (never a case number a submission could take).
            let fields = ["case_number", "status", "detail", "reference", "found", "certificate_types", "error", "code", "accepted_at", "version"]
            let members = (0..<random(1...6)).map { _ in "\"\(pick(fields))\": \(pick(values))" }
            return Array("{\(members.joined(separator: ","))}".utf8)
        case 3: return Array("{\"status\":\"\(pick(["受理", "办结", "退回", "已办好", ""]))\",\"case_number\":\(pick(values)),\"detail\":\(pick(values))}".utf8)
        case 4: return Array(String(repeating: "{", count: random(1...5000)).utf8)
        default: return Array(pick(values).utf8)
        }
    }

    private func response(_ status: Int, _ headers: [String], _ body: [UInt8]) -> [UInt8] {
        let lengthLies = random(0...9) == 0
        let length = lengthLies ? body.count + random(-5...5) : body.count
        let head = (["HTTP/1.1 \(status) Hostile", "Content-Length: \(length)", "Connection: close"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
        return Array(head.utf8) + body
    }
}

@Suite("The platform's answers fuzzed", .serialized, .timeLimit(.minutes(6)))
struct PlatformFuzzTests {
    static let answers = 10_000

    @Test("every documented call answered at random and with hostility, 10,000 answers: no trap, no hang, and nothing acknowledged that the platform did not acknowledge")
    func hostileAnswers() async throws {
        let platform = try HostilePlatform(seed: 20261207)
        platform.start()
        defer { platform.stop() }
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil, timeout: .milliseconds(800))
        let folder = temporaryDirectory("fuzz")
        let outbox = try openOutbox(folder + "/outbox")
        var settings = Forwarder.Settings()
        settings.baseDelay = 0.001
        settings.maxDelay = 0.01
        settings.probeInitial = 0.001
        settings.probeCap = 0.01
        let log = LogRecord()
        let forwarder = Forwarder(outbox: outbox, platform: client, settings: settings, logger: log.logger)
        var tracking: [TrackingNumber] = []
        for _ in 0..<8 { tracking.append(try await outbox.enqueue(submission(pages: 1, pageBytes: 512))) }
        let caseNumbers = Mutex<[String]>([])
        var calls = 0
        // Each call reaches the platform at least once unless the client gives up before it connects.
        while platform.answers < Self.answers, calls < 4 * Self.answers {
            calls += 1
            switch calls % 12 {
            case 0: _ = try? await client.clock()
            case 1: _ = try? await client.append(key: "k\(calls)", index: 0, offset: 0, total: 10, chunk: Data(repeating: 7, count: 10))
            case 2: if let number = try? await client.submit(key: "k\(calls)", body: Data(#"{"tracking_number":"x"}"#.utf8)) { caseNumbers.withLock { $0.append(number) } }
            case 3: _ = try? await client.events(station: "340104001", after: Int64(calls % 3), limit: 100)
            case 4: _ = try? await client.rate(caseNumber: "AH1", satisfaction: 2, reasons: ["操作简单"], sealedComment: nil, commentID: nil, ratedAt: "20261207T120000")
            case 5: _ = try? await client.catalogue(region: "340104001", current: "2026.11.1")
            case 6: _ = try? await client.lookupECertificates(consent: Array("{}".utf8), consentID: "c\(calls)", types: ["户口簿"])
            case 7: _ = try? await client.reserve(serviceCode: "0500008000", date: "2026-12-08", missing: ["户口簿"], sealedContact: Array("{}".utf8), contactID: "r\(calls)")
            case 8: _ = try? await client.submitConsultation(kind: "咨询", title: "咨询：养老", content: "养老金", sealedContact: nil, contactID: "q\(calls)")
            case 9: _ = try? await client.heartbeat(Data("{}".utf8))
            default:
                // The forwarder's whole round against the same platform: uploads, submissions, statuses, ratings.
                for number in tracking { await forwarder.forward(number) }
                await forwarder.syncEvents()
            }
        }
        #expect(platform.answers >= Self.answers, "\(calls) calls reached the platform only \(platform.answers) times: the client gave up before connecting")
        // What the client took as an acceptance, and what the outbox holds as acknowledged, the platform gave.
        for number in caseNumbers.withLock({ $0 }) { #expect(platform.accepted.contains(number), "\(number) was taken as a case number the platform never gave") }
        for number in tracking {
            if let acknowledged = try outbox.application(number)?.caseNumber {
                #expect(platform.accepted.contains(acknowledged), "\(number.value) acknowledged with \(acknowledged), which the platform never gave")
            }
        }
        // The platform's words reach the journal, and from there kioskctl logs: never an escape sequence.
        let lines = log.lines.withLock { $0 }
        let raw = lines.filter { $0.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } }
        #expect(raw.isEmpty, "\(raw.count) log lines with the platform's control characters, as \(raw.prefix(2).map { $0.prefix(300) })")
        print("platform fuzz: \(platform.answers) answers to \(calls) calls; \(caseNumbers.withLock { $0.count }) submissions and " +
              "\(try tracking.filter { try outbox.application($0)?.caseNumber != nil }.count) of \(tracking.count) applications acknowledged, each with a number the platform gave; \(lines.count) log lines, none with a control character")
        try outbox.close()
        await client.shutdown()
    }
}
