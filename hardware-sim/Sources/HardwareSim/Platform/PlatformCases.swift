import Foundation
import Synchronization

/// The handling office behind the platform: each accepted case's events, in
/// one ordered log per platform that each station reads its part of
/// (`GET /v1/stations/{station}/events`, docs/platform-api.yaml). A case
/// moves by hand (the `status`, `return`, `post`, `fee` controls) or, with
/// `handling MS`, by itself: 受理 → 办理中 → 办结, a step every MS.
///
/// Written from the platform's side with its own words for the kinds, apart
/// from the station's reading of them (KioskCore's CaseEvent).
extension PlatformSimulator {
    /// An event as the platform keeps it: its place in the log, whose station it is, its JSON as served.
    struct LoggedEvent {
        var sequence: Int64
        var station: String
        var json: [UInt8]
    }

    /// The kinds of the document and the status each leaves the case in (nil: a fee, the status stays).
    static let eventKinds: [String: String?] = [
        "accepted": "受理", "in_progress": "办理中", "concluded": "办结", "returned": "退回", "not_accepted": "不予受理",
        "ready_for_collection": "待领取", "posted": "已寄出", "fee_due": nil, "fee_paid": nil,
    ]

    /// The most events one answer holds (the document's `limit` maximum).
    static let eventPageLimit = 5000

    /// Records an event of `tracking`'s case, as the handling office would; `kind` is one of the document's,
    /// or a status word (受理 … 已寄出) for its kind. Anything else is served as given (a platform that lies).
    @discardableResult
    public func recordEvent(_ tracking: String, kind: String, detail: String? = nil, requested: [String] = [], emsNumber: String? = nil,
                            feeFen: Int? = nil) -> Int64? {
        state.withLock { state in Self.record(&state, tracking, kind: kind, detail: detail, requested: requested, emsNumber: emsNumber, feeFen: feeFen) }
    }

    /// Sets a case's status (受理, 办理中, 办结, 退回, 不予受理, 待领取, 已寄出), as the handling office would: an event.
    public func setStatus(_ tracking: String, _ status: String, detail: String? = nil) {
        recordEvent(tracking, kind: status, detail: detail)
    }

    /// Makes `tracking`'s events from now on name `caseNumber` (a platform that mixes its cases up).
    public func setCaseNumber(_ tracking: String, _ caseNumber: String) {
        state.withLock { $0.cases[tracking]?.caseNumber = caseNumber }
    }

    /// Appends an event as given, `fields` and all, to `station`'s stream, with the next id unless `withID` is false.
    public func recordRawEvent(station: String, _ fields: [String: Any], withID: Bool = true) {
        state.withLock { state in Self.append(&state, station: station, fields, withID: withID) }
    }

    /// Appends `fields` to the log as `station`'s next event, with its place as `id` unless `withID` is false.
    @discardableResult
    private static func append(_ state: inout State, station: String, _ fields: [String: Any], withID: Bool = true) -> Int64 {
        let sequence = Int64(state.events.count + 1)
        var fields = fields
        if withID { fields["id"] = sequence }
        let json = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map(Array.init) ?? Array("{}".utf8)
        state.events.append(LoggedEvent(sequence: sequence, station: station, json: json))
        return sequence
    }

    /// The events of `station`'s stream, as served (for a test to count them).
    public func eventCount(station: String) -> Int { state.withLock { $0.events.count { $0.station == station } } }

    /// How many events of each case changed its status or its detail (a fee's leave them; the 受理 of
    /// an acceptance repeats what the acceptance said), by tracking number: what the station's audit
    /// trail should hold once each, however often it was killed while applying them.
    public var statusEventCounts: [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            var last: [String: (status: String, detail: String?)] = [:]
            for event in state.events {
                guard let fields = (try? JSONSerialization.jsonObject(with: Data(event.json))) as? [String: Any],
                      let tracking = fields["tracking_number"] as? String, let kind = fields["kind"] as? String,
                      let status = Self.eventKinds[kind] ?? nil else { continue }
                let now = (status, fields["detail"] as? String)
                let before = last[tracking] ?? ("受理", nil)
                if now.0 != before.status || now.1 != before.detail { counts[tracking, default: 0] += 1 }
                last[tracking] = now
            }
            return counts
        }
    }

    /// Every case's status, by tracking number: what the station should show once it has read its stream.
    public var caseStatuses: [String: String] { state.withLock { $0.cases.mapValues(\.status) } }

    @discardableResult
    static func record(_ state: inout State, _ tracking: String, kind given: String, detail: String?, requested: [String], emsNumber: String?,
                       feeFen: Int?) -> Int64? {
        guard let found = state.cases[tracking] else { return nil }
        let kind = eventKinds.keys.contains(given) ? given : eventKinds.first { $0.value == given }?.key ?? given
        if let status = eventKinds[kind] ?? nil {
            state.cases[tracking]?.status = status
            state.cases[tracking]?.detail = detail
        }
        var fields: [String: Any] = ["tracking_number": tracking, "case_number": found.caseNumber, "kind": kind, "at": timestamp()]
        if let detail { fields["detail"] = detail }
        if !requested.isEmpty { fields["requested"] = requested }
        if let emsNumber { fields["ems_number"] = emsNumber }
        if let feeFen { fields["fee_fen"] = feeFen }
        return append(&state, station: String(tracking.prefix { $0 != "-" }), fields)
    }

    /// `GET /v1/stations/{station}/events?after=N&limit=M`: what follows `after` in the station's stream.
    func events(_ request: HTTPRequest, station: String) throws(PlatformContract.Broken) -> HTTPAction {
        try PlatformContract.check(station, PlatformContract.stationCode, "the station code")
        let after = try request.query["after"].map { text throws(PlatformContract.Broken) in try PlatformContract.wholeNumber(text, "after", in: 0...Int(Int64.max / 2), digits: 19) } ?? 0
        let limit = try request.query["limit"].map { text throws(PlatformContract.Broken) in try PlatformContract.wholeNumber(text, "limit", in: 1...Self.eventPageLimit, digits: 19) } ?? 1000
        if tls != nil, station != request.clientCommonName {
            return .respond(status: 403, headers: [("Content-Type", "application/json")],
                            body: Array(#"{"error":"the station's certificate is for another station"}"#.utf8))
        }
        let (page, more) = state.withLock { state -> ([LoggedEvent], Bool) in
            // The log is in order: find where `after` ends by bisection, then walk the station's.
            var low = 0, high = state.events.count
            while low < high {
                let middle = (low + high) / 2
                if state.events[middle].sequence <= Int64(after) { low = middle + 1 } else { high = middle }
            }
            var page: [LoggedEvent] = []
            for event in state.events[low...] where event.station == station {
                guard page.count < limit else { return (page, true) }
                page.append(event)
            }
            return (page, false)
        }
        var body = Array(#"{"events":["#.utf8)
        for (index, event) in page.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += event.json
        }
        body += Array(#"],"last":\#(page.last?.sequence ?? Int64(after)),"more":\#(more)}"#.utf8)
        return .respond(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    /// Moves every open case a step (受理 → 办理中 → 办结) every `step`, until ``stopHandling()``.
    public func startHandling(step: Duration) {
        stopHandling()
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: step)
                guard let self else { return }
                self.state.withLock { state in
                    for (tracking, found) in state.cases.sorted(by: { $0.key < $1.key }) {
                        switch found.status {
                        case "受理": Self.record(&state, tracking, kind: "in_progress", detail: "窗口正在审核", requested: [], emsNumber: nil, feeFen: nil)
                        case "办理中": Self.record(&state, tracking, kind: "concluded", detail: "结果已送达本站", requested: [], emsNumber: nil, feeFen: nil)
                        default: break
                        }
                    }
                }
            }
        }
        handling.withLock { $0 = task }
    }

    /// Cases move only by hand again.
    public func stopHandling() {
        handling.withLock { task in
            task?.cancel()
            task = nil
        }
    }
}
