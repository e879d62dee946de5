import Foundation
import KioskCore
import NIOHTTP1

/// The station's case events (docs/platform-api.yaml, `CaseEventPage`), read and checked.
extension HTTPPlatformClient {
    /// `GET /v1/stations/{station}/events`: the station's case events after `after`, at most `limit`.
    /// The page must hold together (ids increasing, after `after`, none past `last`; `last` not
    /// before `after`), or it is refused whole and asked for again; within it, an event that does
    /// not read is flawed: flagged and skipped by the outbox, never a stall.
    public func events(station: String, after: Int64, limit: Int) async throws(PlatformFailure) -> CaseEventPage {
        let (status, headers, body) = try await send(.GET, "/v1/stations/\(station)/events?after=\(after)&limit=\(limit)", limit: Limit.events)
        guard status == 200 else { throw failure(status, headers, body) }
        guard let page = try? JSONDecoder().decode(EventPageWire.self, from: Data(body)) else {
            throw .misbehaved(kind: "garbage", reason: "the event answer is not the JSON the API describes (events, last, more)")
        }
        guard page.events.count <= limit, page.last >= after else {
            throw .misbehaved(kind: "garbage", reason: "the event answer holds \(page.events.count) events for \(limit) asked, or ends at \(page.last), before the \(after) asked after")
        }
        var previous = after
        var events: [CaseEvent] = [], flawed: [(id: Int64?, flaw: CaseEventFlaw)] = []
        for wire in page.events {
            if let id = wire.id {
                guard id > previous, id <= page.last else {
                    throw .misbehaved(kind: "garbage", reason: "event \(id) is out of order in the answer (after \(previous), up to \(page.last))")
                }
                previous = id
            }
            switch wire.event {
            case .success(let event): events.append(event)
            case .failure(let flaw): flawed.append((wire.id, flaw))
            }
        }
        return CaseEventPage(events: events, flawed: flawed, last: page.last, more: page.more)
    }
}

/// The event stream's answer as it came: every event read on its own, so one that does not read is one flaw, not a lost page.
private struct EventPageWire: Decodable {
    var events: [EventWire]
    var last: Int64
    var more: Bool
}

private struct EventWire: Decodable {
    var id: Int64?
    var event: Result<CaseEvent, CaseEventFlaw>

    enum Key: String, CodingKey {
        case id, trackingNumber = "tracking_number", caseNumber = "case_number", kind, at, detail, requested, emsNumber = "ems_number", feeFen = "fee_fen"
    }

    init(from decoder: any Decoder) {
        guard let fields = try? decoder.container(keyedBy: Key.self) else {
            (id, event) = (nil, .failure(CaseEventFlaw("it is not a JSON object")))
            return
        }
        id = try? fields.decode(Int64.self, forKey: .id)
        func text(_ key: Key) -> String? { try? fields.decode(String.self, forKey: key) }
        guard let id else {
            event = .failure(CaseEventFlaw("it has no id that is a whole number"))
            return
        }
        guard let tracking = text(.trackingNumber), let caseNumber = text(.caseNumber), let kind = text(.kind), let at = text(.at) else {
            event = .failure(CaseEventFlaw("it lacks one of tracking_number, case_number, kind and at, or one is not text"))
            return
        }
        // An optional field of the wrong type is a flaw too, not a field left out.
        let present = { (key: Key) in fields.contains(key) && !((try? fields.decodeNil(forKey: key)) ?? false) }
        let detail = text(.detail), ems = text(.emsNumber)
        let requested = try? fields.decode([String].self, forKey: .requested)
        let fee = try? fields.decode(Int.self, forKey: .feeFen)
        if (present(.detail) && detail == nil) || (present(.emsNumber) && ems == nil) || (present(.requested) && requested == nil) || (present(.feeFen) && fee == nil) {
            event = .failure(CaseEventFlaw("one of detail, requested, ems_number and fee_fen is not of the type the API gives it"))
            return
        }
        event = Result { () throws(CaseEventFlaw) in
            try CaseEvent(id: id, trackingNumber: tracking, caseNumber: caseNumber, kind: kind, at: at, detail: detail, requested: requested ?? [],
                          emsNumber: ems, feeFen: fee)
        }
    }
}
