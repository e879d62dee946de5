import Foundation

/// The platform simulator's control-socket commands (docs/hardware-sim.md).
extension PlatformSimulator {
    /// Carries out one control command; nil when it is not one of the platform's.
    public func control(_ words: [Substring]) async -> String? {
        let w = words.map(String.init)
        func percent(_ text: String) -> Int? { Int(text).flatMap { (0...100).contains($0) ? $0 : nil } }
        switch w.first {
        case "refuse":
            stop()
            return "ok: connections are refused"
        case "accept":
            do {
                try start()
                return "ok: listening at \(url)"
            } catch {
                return "error: cannot listen: \(error)"
            }
        case "fail" where w.count >= 3:
            guard let p = percent(w[1]), let status = Int(w[2]), status == 500 || status == 503 else { return "error: fail P 500|503 [RETRY-AFTER]" }
            state.withLock {
                $0.faults.failPercent = p
                $0.faults.failStatus = status
                $0.faults.failRetryAfter = w.count > 3 ? Int(w[3]) : nil
            }
            return "ok: \(p)% of requests answer \(status)"
        case "throttle" where w.count >= 2:
            guard let p = percent(w[1]) else { return "error: throttle P [RETRY-AFTER]" }
            state.withLock {
                $0.faults.throttlePercent = p
                $0.faults.throttleRetryAfter = w.count > 2 ? Int(w[2]) : nil
            }
            return "ok: \(p)% of requests answer 429"
        case "reset" where w.count == 2:
            guard let p = percent(w[1]) else { return "error: reset P" }
            state.withLock { $0.faults.resetPercent = p }
            return "ok: \(p)% of upload chunks are cut half-way"
        case "drop-after-commit" where w.count == 2:
            guard let p = percent(w[1]) else { return "error: drop-after-commit P" }
            state.withLock { $0.faults.dropAfterCommitPercent = p }
            return "ok: \(p)% of accepted applications get no answer"
        case "garbage" where w.count == 2:
            guard let p = percent(w[1]) else { return "error: garbage P" }
            state.withLock { $0.faults.garbagePercent = p }
            return "ok: \(p)% of answers are garbage"
        case "slow" where w.count == 2:
            guard let ms = Int(w[1]) else { return "error: slow MS" }
            state.withLock { $0.faults.slow = .milliseconds(ms) }
            return "ok: every answer waits \(ms) ms"
        case "redirect" where w.count >= 3:
            guard let status = Int(w[1]), [301, 302, 303, 304, 307, 308].contains(status), w[2].hasPrefix("http"), let p = w.count > 3 ? percent(w[3]) : 100 else {
                return "error: redirect 301|302|303|304|307|308 URL [P]"
            }
            state.withLock {
                $0.faults.redirect = (status, w[2])
                $0.faults.redirectPercent = p
            }
            return "ok: \(p)% of requests answer \(status) to \(w[2])"
        case "offset" where w.count >= 2:
            guard let lie = Faults.OffsetLie(rawValue: w[1]), let p = w.count > 2 ? percent(w[2]) : 100 else { return "error: offset negative|too-large|stuck [P]" }
            state.withLock {
                $0.faults.offsetLie = lie
                $0.faults.offsetLiePercent = p
            }
            return "ok: \(p)% of upload answers claim a \(lie.rawValue) offset"
        case "drip" where w.count >= 2:
            guard let ms = Int(w[1]), ms > 0, let p = w.count > 2 ? percent(w[2]) : 100 else { return "error: drip MS [P]" }
            state.withLock {
                $0.faults.drip = .milliseconds(ms)
                $0.faults.dripPercent = p
            }
            return "ok: \(p)% of answers come a byte every \(ms) ms"
        case "oversize" where w.count <= 2:
            guard let p = w.count > 1 ? percent(w[1]) : 100 else { return "error: oversize [P]" }
            state.withLock { $0.faults.oversizePercent = p }
            return "ok: \(p)% of answers carry 2 MB more than they should"
        case "tls" where w.count == 2:
            guard let wanted = HTTPServer.Presentation(rawValue: w[1]) else { return "error: tls genuine|impostor|legacy" }
            guard tls != nil else { return "error: this platform serves plain HTTP; start it with --tls DIR" }
            presentation.withLock { $0 = wanted }
            guard server.withLock({ $0?.present(wanted) }) ?? true else { return "error: no impostor certificate in the TLS folder" }
            return switch wanted {
            case .impostor: "ok: new connections see a certificate from another CA"
            case .legacy: "ok: new connections are offered only TLS 1.0 and 1.1"
            case .genuine: "ok: new connections see the platform's own certificate"
            }
        case "clear":
            state.withLock { $0.faults = Faults() }
            return "ok: faults cleared"
        case "faults":
            let f = state.withLock { $0.faults }
            func after(_ seconds: Int?) -> String { seconds.map { " (Retry-After \($0) s)" } ?? "" }
            let armed = [
                server.withLock({ $0 }) == nil ? "connections refused" : nil,
                f.failPercent > 0 ? "\(f.failPercent)% answer \(f.failStatus)\(after(f.failRetryAfter))" : nil,
                f.throttlePercent > 0 ? "\(f.throttlePercent)% answer 429\(after(f.throttleRetryAfter))" : nil,
                f.resetPercent > 0 ? "\(f.resetPercent)% of upload chunks cut" : nil,
                f.dropAfterCommitPercent > 0 ? "\(f.dropAfterCommitPercent)% of accepted applications unanswered" : nil,
                f.garbagePercent > 0 ? "\(f.garbagePercent)% garbage answers" : nil,
                f.slow > .zero ? "every answer waits \(f.slow)" : nil,
                f.redirectPercent > 0 ? f.redirect.map { "\(f.redirectPercent)% answer \($0.status) to \($0.location)" } : nil,
                f.offsetLiePercent > 0 ? f.offsetLie.map { "\(f.offsetLiePercent)% of upload answers claim a \($0.rawValue) offset" } : nil,
                f.dripPercent > 0 ? f.drip.map { "\(f.dripPercent)% of answers dripped a byte every \($0)" } : nil,
                f.oversizePercent > 0 ? "\(f.oversizePercent)% of answers 2 MB too large" : nil,
            ].compactMap { $0 }
            return ControlServer.faultsReply(armed)
        case "status" where w.count >= 3:
            guard recordEvent(w[1], kind: w[2], detail: w.count > 3 ? w[3...].joined(separator: " ") : nil) != nil else { return "error: no case \(w[1])" }
            return "ok: \(w[1]) is \(w[2])"
        case "return" where w.count >= 4:
            // return TRACKING MATERIAL[,MATERIAL…] REASON…: 退回补正, asking for those materials.
            guard recordEvent(w[1], kind: "returned", detail: w[3...].joined(separator: " "), requested: w[2].split(separator: ",").map(String.init)) != nil else {
                return "error: no case \(w[1])"
            }
            return "ok: \(w[1]) is returned for \(w[2])"
        case "post" where w.count == 3:
            guard recordEvent(w[1], kind: "posted", detail: "结果已通过EMS寄出", emsNumber: w[2]) != nil else { return "error: no case \(w[1])" }
            return "ok: \(w[1]) is posted, EMS \(w[2])"
        case "fee" where w.count == 3, "paid" where w.count == 3:
            guard let fen = Int(w[2]), recordEvent(w[1], kind: w[0] == "fee" ? "fee_due" : "fee_paid", feeFen: fen) != nil else { return "error: \(w[0]) TRACKING FEN" }
            return "ok: \(w[1]) \(w[0] == "fee" ? "owes" : "paid") \(fen) fen"
        case "handling" where w.count == 2:
            if w[1] == "off" {
                stopHandling()
                return "ok: cases move by hand"
            }
            guard let ms = Int(w[1]), ms > 0 else { return "error: handling MS|off" }
            startHandling(step: .milliseconds(ms))
            return "ok: every \(ms) ms each open case moves a step (受理 → 办理中 → 办结)"
        case "case-number" where w.count == 3:
            setCaseNumber(w[1], w[2])
            return "ok: the events of \(w[1]) name the case \(w[2])"
        case "catalogue" where w.count == 2:
            guard let data = FileManager.default.contents(atPath: w[1]) else { return "error: cannot read \(w[1])" }
            publishCatalogue(Array(data))
            return "ok: catalogue published"
        case "ecert" where w.count == 3:
            holdECertificates(w[2].split(separator: ",").map(String.init), for: w[1])
            return "ok: \(w[1].prefix(4))**** holds \(w[2])"
        case "date" where w.count >= 2:
            // The Date header of /v1/ping as given, whatever it says.
            let header = w[1...].joined(separator: " ")
            state.withLock { $0.dateHeader = header == "clock" ? nil : header }
            return header == "clock" ? "ok: the Date follows the platform's clock" : "ok: /v1/ping answers Date: \(header)"
        case "clock" where w.count == 2:
            guard let skew = Double(w[1]) else { return "error: clock SECONDS (how far the platform's clock is off)" }
            state.withLock { $0.clockSkew = skew }
            return "ok: the platform's clock is \(w[1]) s off"
        case "acceptances":
            // How many times each tracking number was accepted (more than once would be a duplicate case).
            let counts = state.withLock { $0.acceptances }
            return "ok: " + String(decoding: (try? JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        case "ratings":
            // Every rating recorded, its comment opened: what the 好差评 system would hold.
            let ratings = state.withLock { $0.ratingsReceived }.map { rating -> [String: Any] in
                var entry: [String: Any] = ["case_number": rating.caseNumber, "satisfaction": rating.satisfaction, "reasons": rating.reasons, "channel": rating.channel]
                entry["comment"] = rating.comment
                return entry
            }
            return "ok: " + String(decoding: (try? JSONSerialization.data(withJSONObject: ratings, options: [.sortedKeys])) ?? Data("[]".utf8), as: UTF8.self)
        case "consultations":
            // The 12345 messages received: kind and content (the sealed contact stays here).
            let received = state.withLock { $0.consultationsReceived }.map { ["kind": $0.kind, "content": $0.content] }
            return "ok: " + String(decoding: (try? JSONSerialization.data(withJSONObject: received, options: [.sortedKeys])) ?? Data("[]".utf8), as: UTF8.self)
        case "heartbeat":
            guard let body = state.withLock({ $0.lastHeartbeat }) else { return "ok: no heartbeat yet" }
            return "ok: " + String(decoding: body, as: UTF8.self)
        case "stats":
            let (accepted, requests) = state.withLock { ($0.acceptedCount, $0.requests) }
            return "ok: \(accepted) applications accepted, \(requests) requests"
        default:
            return nil
        }
    }
}
