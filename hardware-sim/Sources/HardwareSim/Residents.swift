import Foundation
import KioskCore
import SystemIO

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Simulated residents: whole visits played through the local API the
/// touchscreen uses (docs/local-api.md), with the ID-card reader and the
/// scanner driven through their simulators' control sockets — what a
/// maintainer runs to prove an installation, and what the soak test runs
/// for hours. Some residents finish, some walk away, some leave the kiosk to
/// time out, some come with an agent (代办).
public struct Residents: Sendable {
    public struct Options: Sendable {
        /// The kiosk's local API, e.g. http://127.0.0.1:8080.
        public var kiosk: String
        /// The simulators' folder (their control sockets): `hardware-sim station --dir`.
        public var simulators: String
        /// The file kioskd writes its screen key to; read for each request, as a restart makes a new key.
        public var screenKeyFile: String?
        public var count = 10
        public var seed: UInt64 = 1
        /// Resident card profiles to choose from (the simulator's `cards/` names).
        public var cards = ["wang-jianguo", "ma-jun", "liu-yan-rare-character"]
        /// An agent's card and PIN (registered in kioskd's agents file), or nil for no agents.
        public var agent: (card: String, pin: String)?
        /// Percent of visits that walk away part-way (`end`), that stop touching and let the kiosk time out, that come with the agent.
        public var abandonPercent = 15
        public var timeoutPercent = 5
        public var agentPercent = 15
        /// Percent of visits that come without one of the papers (the kiosk books a day to bring it).
        public var incompletePercent = 5
        /// How long a visit that lets the kiosk time out waits for the attract screen.
        public var idleTimeout: Double = 150
        /// Told each visit's outcome as it ends.
        public var report: @Sendable (Visit) -> Void = { _ in }

        public init(kiosk: String, simulators: String) {
            self.kiosk = kiosk
            self.simulators = simulators
        }
    }

    /// One visit and how it ended.
    public struct Visit: Sendable {
        public enum Outcome: Sendable, Equatable {
            /// Submitted: the tracking number on the receipt screen.
            case submitted(String)
            /// Incomplete materials: a day was booked to bring them.
            case booked
            case abandoned(atScreen: String)
            case timedOut(atScreen: String)
            /// Something the resident could not get past, in words.
            case failed(String)
        }
        public var number: Int
        public var byAgent: Bool
        public var service: String?
        public var outcome: Outcome
        public var seconds: Double
    }

    /// What kioskd's screen said when a visit could not go on.
    struct Stuck: Error, CustomStringConvertible {
        var description: String
    }

    let options: Options
    private let session: URLSession

    public init(_ options: Options) {
        self.options = options
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration)
    }

    /// Plays `count` visits one after another (one kiosk serves one resident at a time).
    public func run() async -> [Visit] {
        var random = SplitMix64(seed: options.seed)
        var visits: [Visit] = []
        for number in 1...max(1, options.count) {
            let started = Date()
            var visit = Visit(number: number, byAgent: false, service: nil, outcome: .failed("not started"), seconds: 0)
            do {
                visit.outcome = try await play(&visit, random: &random)
            } catch {
                visit.outcome = .failed("\(error)")
                // Leave the kiosk as the next resident expects it.
                _ = try? await touch(["type": "end"])
                if visit.byAgent { _ = try? await touch(["type": "agent_logout"]) }
            }
            _ = try? await reader("card", "remove")
            // A person takes the card away before the next one comes: the reader looks every 300 ms.
            try? await Task.sleep(for: .seconds(1))
            visit.seconds = Date().timeIntervalSince(started)
            options.report(visit)
            visits.append(visit)
        }
        return visits
    }

    // MARK: One visit

    private func play(_ visit: inout Visit, random: inout SplitMix64) async throws -> Visit.Outcome {
        var screen = try await current()
        if screen.name != "attract" {
            _ = try await touch(["type": "end"])
            if screen.name.hasPrefix("agent") || screen.agent { _ = try await touch(["type": "agent_logout"]) }
            screen = try await wait(for: ["attract"], seconds: options.idleTimeout)
        }
        let card = options.cards[random.below(options.cards.count)]
        let roll = random.below(100)
        let leaveAt = roll < options.abandonPercent + options.timeoutPercent ? 1 + random.below(6) : Int.max
        var timesOut = roll >= options.abandonPercent && roll < options.abandonPercent + options.timeoutPercent
        if let agent = options.agent, random.below(100) < options.agentPercent {
            // An agent's session has its own, longer timeout: agents walk away by logging out.
            timesOut = false
            visit.byAgent = true
            _ = try await reader("card", "put", agent.card)
            _ = try await wait(for: ["agent_pin"])
            _ = try await touch(["type": "agent_pin", "pin": agent.pin])
            _ = try await wait(for: ["agent_console"], seconds: 10)
            _ = try await reader("card", "swap", card)
            _ = try await wait(for: ["proxy_consent"])
            _ = try await touch(["type": "confirm_proxy_consent"])
        } else {
            _ = try await reader("card", "put", card)
        }
        screen = try await wait(for: ["home"])

        // Each step the resident might walk away at, counted from 1.
        var step = 0
        func leaving() async throws -> Visit.Outcome? {
            step += 1
            guard step == leaveAt else { return nil }
            let at = try await current().name
            if timesOut {
                // Touch nothing: the kiosk warns, then wipes the visit.
                _ = try await wait(for: visit.byAgent ? ["attract", "agent_console"] : ["attract"], seconds: options.idleTimeout)
                if visit.byAgent { try await agentLogout() }
                return .timedOut(atScreen: at)
            }
            _ = try await touch(["type": "end"])
            if visit.byAgent { try await agentLogout() }
            return .abandoned(atScreen: at)
        }

        // As residents find a service: 常用, or the list of a life event or of a department.
        let way = random.below(3)
        if way == 0 {
            screen = try await touch(["type": "menu", "menu": "popular"])
        } else {
            screen = try await touch(["type": "menu", "menu": way == 1 ? "life_events" : "departments"])
            guard !screen.categories.isEmpty else { throw Stuck(description: "the \(way == 1 ? "life events" : "departments") list is empty") }
            let category = screen.categories[random.below(screen.categories.count)]
            screen = try await touch(["type": "menu", "menu": category.kind, "value": category.id])
        }
        var items = screen.menu.filter { !$0.bundle }
        guard !items.isEmpty else { throw Stuck(description: "the menu is empty") }
        var item = items[random.below(items.count)]
        screen = try await touch(["type": "choose", "code": item.code])
        // One they may not apply for (a business's, or one their age or 户籍 rules out) is refused with the reason: they pick another.
        while screen.name != "guide", screen.message != nil || screen.name == "ineligible", items.count > 1 {
            items.removeAll { $0.code == item.code }
            item = items[random.below(items.count)]
            screen = try await touch(["type": "choose", "code": item.code])
        }
        visit.service = item.name
        if screen.name == "ineligible" {
            // Nothing else on this list they may apply for: they go home (and ask the agent).
            _ = try await touch(["type": "end"])
            if visit.byAgent { try await agentLogout() }
            return .abandoned(atScreen: "ineligible")
        }
        guard screen.name == "guide" else { throw Stuck(description: "choosing \(item.name) led to \(screen.name): \(screen.message ?? "")") }
        if let outcome = try await leaving() { return outcome }
        screen = try await touch(["type": "next"])

        if screen.name == "conditions" {
            // What the card cannot answer, they confirm: these residents came for something they are entitled to.
            for (index, standing) in screen.conditions.enumerated() where standing == "ask" {
                _ = try await touch(["type": "confirm_condition", "index": index, "met": true])
            }
            screen = try await touch(["type": "next"])
        }

        if screen.name == "form" {
            for attempt in 0..<3 {
                for field in screen.form where !field.locked && (field.value.isEmpty || field.problem != nil) && (field.required || field.problem != nil) {
                    _ = try await touch(["type": "set_field", "id": field.id, "value": Self.value(for: field, attempt: attempt, random: &random)])
                }
                if let outcome = try await leaving() { return outcome }
                screen = try await touch(["type": "next"])
                guard screen.name == "form" else { break }
            }
            guard screen.name != "form" else {
                throw Stuck(description: "the form of \(item.name) was refused: " + screen.form.compactMap { field in field.problem.map { "\(field.id): \($0)" } }.joined(separator: "; "))
            }
        }

        if screen.name == "materials" {
            // Some come without a paper: the first one they need stays at home.
            let forgotten = random.below(100) < options.incompletePercent ? screen.materials.first { $0.status == "needed" && !$0.platformMayObtain }?.id : nil
            for material in screen.materials where material.status == "needed" && material.id != forgotten {
                if material.platformMayObtain, random.below(2) == 0 {
                    screen = try await touch(["type": "leave_to_platform", "material": material.id])
                    continue
                }
                for _ in 0..<2 {
                    _ = try await touch(["type": "scan", "material": material.id])
                    screen = try await wait(for: ["materials"], seconds: 60)
                    if screen.materials.first(where: { $0.id == material.id })?.status == "scanned" { break }
                }
                if let outcome = try await leaving() { return outcome }
            }
            screen = try await touch(["type": "next"])
        }

        if screen.name == "incomplete" {
            guard let date = screen.reservationDates.first else { throw Stuck(description: "incomplete, and no day offered to come back") }
            _ = try await touch(["type": "reserve", "date": date])
            let booked = try await wait(for: ["reserved", "incomplete"], seconds: 30) { $0.name == "reserved" || $0.message?.contains("预约") == true }
            _ = try await touch(["type": "end"])
            if visit.byAgent { try await agentLogout() }
            // Booking needs the platform: when it cannot be reached the kiosk says so, and the resident goes home.
            return booked.name == "reserved" ? .booked : .abandoned(atScreen: "incomplete (\(booked.message ?? "no booking"))")
        }
        guard screen.name == "review" else { throw Stuck(description: "after the materials of \(item.name): \(screen.name) \(screen.message ?? "")") }
        if let outcome = try await leaving() { return outcome }
        _ = try await touch(["type": "submit"])
        screen = try await wait(for: ["receipt"], seconds: 60)
        guard let tracking = screen.trackingNumber else { throw Stuck(description: "a receipt screen without a tracking number") }

        screen = try await touch(["type": "next"])
        if screen.name == "rating" {
            let level = 1 + random.below(5)
            screen = try await touch(["type": "rate", "level": level, "reasons": [level >= 4 ? "等待时间长" : "操作简单"]])
            if screen.name == "rating" { screen = try await touch(["type": "skip_rating"]) }
        }
        _ = try await touch(["type": "end"])
        if visit.byAgent { try await agentLogout() }
        return .submitted(tracking)
    }

    private func agentLogout() async throws {
        _ = try await wait(for: ["agent_console", "attract"], seconds: 10)
        _ = try await touch(["type": "agent_logout"])
        _ = try await wait(for: ["attract"], seconds: 10)
    }

    /// A plausible value for a field the card does not fill; later attempts try other shapes.
    static func value(for field: Screen.Field, attempt: Int, random: inout SplitMix64) -> String {
        switch field.kind {
        case "phone": return "139" + String(format: "%08d", random.below(100_000_000))
        case "bank_account":
            // 6222 02 and 12 digits, then the Luhn check digit.
            var digits = [6, 2, 2, 2, 0, 2] + (0..<12).map { _ in random.below(10) }
            let sum = digits.reversed().enumerated().reduce(0) { sum, pair in
                let doubled = pair.offset % 2 == 0 ? pair.element * 2 : pair.element
                return sum + (doubled > 9 ? doubled - 9 : doubled)
            }
            digits.append((10 - sum % 10) % 10)
            return digits.map(String.init).joined()
        case "choice": return field.options.isEmpty ? "" : field.options[random.below(field.options.count)]
        case "number": return ["2", "1", "800"][attempt % 3]
        case "date": return ["2026-11-01", "2026-10-15", "2025-06-01"][attempt % 3]
        case "address": return "安徽省合肥市瑶海区幸福村\(1 + random.below(9))组\(1 + random.below(40))号"
        case "id_number":
            let body = "34010420251\(100 + random.below(20))\(100 + random.below(800))".prefix(17)
            return "0123456789X".map { String(body) + String($0) }.first { (try? ResidentIDNumber(typed: $0)) != nil } ?? String(body) + "0"
        default: return ["王小明", "李思远", "陈欣怡"][random.below(3)]
        }
    }

    // MARK: The local API and the simulators

    /// The few parts of kioskd's screen model a resident reads.
    struct Screen {
        struct Item { var code: String; var name: String; var bundle: Bool }
        struct Category { var kind: String; var id: String }
        struct Field { var id: String; var kind: String; var required: Bool; var locked: Bool; var value: String; var problem: String?; var options: [String] }
        struct Material { var id: String; var status: String; var platformMayObtain: Bool }
        var name: String
        var agent: Bool
        var message: String?
        var menu: [Item]
        var categories: [Category]
        var form: [Field]
        var materials: [Material]
        var reservationDates: [String]
        var trackingNumber: String?
        /// Where each of the item's conditions stands (`checked`, `ask`, `confirmed` …).
        var conditions: [String]

        init(_ json: [String: Any]) {
            name = json["screen"] as? String ?? "?"
            agent = json["agent"] != nil
            message = json["message"] as? String
            menu = (json["menu"] as? [[String: Any]] ?? []).map { Item(code: $0["code"] as? String ?? "", name: $0["name"] as? String ?? "", bundle: $0["bundle"] as? Bool ?? false) }
            categories = (json["categories"] as? [[String: Any]] ?? []).map { Category(kind: $0["kind"] as? String ?? "", id: $0["id"] as? String ?? "") }
            form = (json["form"] as? [[String: Any]] ?? []).map {
                Field(id: $0["id"] as? String ?? "", kind: $0["kind"] as? String ?? "text", required: $0["required"] as? Bool ?? false,
                      locked: $0["locked"] as? Bool ?? false, value: $0["value"] as? String ?? "", problem: $0["problem"] as? String,
                      options: $0["options"] as? [String] ?? [])
            }
            materials = (json["materials"] as? [[String: Any]] ?? []).map {
                Material(id: $0["id"] as? String ?? "", status: $0["status"] as? String ?? "", platformMayObtain: $0["platform_may_obtain"] as? Bool ?? false)
            }
            reservationDates = json["reservation_dates"] as? [String] ?? []
            trackingNumber = (json["receipt"] as? [String: Any])?["tracking_number"] as? String
            conditions = ((json["service"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []).map { $0["standing"] as? String ?? "" }
        }
    }

    func current() async throws -> Screen {
        let (data, _) = try await exchange(URLRequest(url: URL(string: options.kiosk + "/api/screen")!))
        return Screen((try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// One request to kioskd; a kioskd that does not answer is said in words.
    private func exchange(_ request: URLRequest) async throws -> (Data, URLResponse) {
        var request = request
        if let file = options.screenKeyFile, let key = try? String(contentsOfFile: file, encoding: .utf8) {
            request.setValue("Bearer " + key.trimmingCharacters(in: .whitespacesAndNewlines), forHTTPHeaderField: "Authorization")
        }
        do {
            return try await session.data(for: request)
        } catch let error as URLError {
            throw Stuck(description: "kioskd did not answer at \(options.kiosk) (\(error.code == .cannotConnectToHost ? "connection refused" : error.localizedDescription))")
        }
    }

    /// A touch; answers the screen after it.
    func touch(_ touch: [String: Any]) async throws -> Screen {
        var request = URLRequest(url: URL(string: options.kiosk + "/api/touch")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: touch)
        let (data, response) = try await exchange(request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw Stuck(description: "kioskd refused \(touch["type"] ?? "?"): \(json["error"] ?? String(decoding: data, as: UTF8.self))")
        }
        return Screen(json)
    }

    /// Waits until the screen is one of `names` (and, given, `until` holds for it).
    func wait(for names: Set<String>, seconds: Double = 15, until: (Screen) -> Bool = { _ in true }) async throws -> Screen {
        let deadline = Date().addingTimeInterval(seconds)
        var screen = try await current()
        while !names.contains(screen.name) || !until(screen) {
            guard Date() < deadline else {
                throw Stuck(description: "waited \(Int(seconds)) s for \(names.sorted().joined(separator: " or ")), the screen is \(screen.name)" + (screen.message.map { ": \($0)" } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(100))
            screen = try await current()
        }
        return screen
    }

    /// A command to the ID-card reader simulator.
    func reader(_ words: String...) async throws -> String {
        let path = options.simulators + "/idcard_reader.control"
        let reply = try await ControlClient.send(words.joined(separator: " "), to: path)
        if reply.hasPrefix("error") { throw Stuck(description: "\(path): \(reply)") }
        return reply
    }
}

extension SplitMix64 {
    /// A number from 0 below `bound` (`--seed` replays the same residents).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
}
