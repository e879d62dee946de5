import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// kioskctl against a running kioskd (`make demo`'s script) through the admin socket.
@Suite("kioskctl over the admin socket", .serialized, .timeLimit(.minutes(3)))
struct AdminSocketTests {
    /// `make demo` on free ports, with kioskctl pointed at its socket.
    final class Demo: Sendable {
        let state: String
        let base: String
        let child: Child
        var socket: String { state + "/admin.sock" }
        var kioskctl: [String: String] { ["KIOSKD_ADMIN_SOCKET": socket] }

        init(state: String = temporaryDirectory("admin-demo-\(UUID().uuidString.prefix(8))"), environment: [String: String] = [:]) throws {
            self.state = state
            let listen = "127.0.0.1:\(freePort())"
            base = "http://\(listen)"
            child = try Child(
                repositoryRoot + "/scripts/demo.sh", [],
                environment: ["STATE_DIR": state, "KIOSKD_ADMIN_HEALTH_CHECK_SECONDS": "10", "DEMO_LISTEN": listen, "DEMO_PRINTER_PORT": String(freePort()),
                              "DEMO_SCANNER_LISTEN": "127.0.0.1:\(freePort())", "DEMO_PLATFORM_LISTEN": "127.0.0.1:\(freePort())"].merging(environment) { $1 })
        }

        func ready() async -> Bool { await eventually(within: .seconds(15)) { await health(base)?.status == "ok" } }

        func ctl(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await run(binDirectory + "/kioskctl", arguments, environment: kioskctl)
        }

        func simulator(_ device: String, _ words: String...) async throws -> String {
            try await run(binDirectory + "/hardware-sim", ["control", "--socket", "\(state)/sim/\(device).control"] + words).stdout
        }

        func stop() async {
            child.signal(SIGTERM, group: true)
            _ = await child.exitStatus(within: .seconds(15))
        }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("status, devices, logs and metrics answer through the socket (tables and --json); the socket is 0600 and gone after a clean stop")
    func statusDevicesLogs() async throws {
        let demo = try Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")

        var info = stat()
        #expect(stat(demo.socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "admin socket mode \(String(info.st_mode & 0o777, radix: 8))")
        #expect(info.st_mode & S_IFMT == S_IFSOCK)

        let status = try await demo.ctl("status", "--json")
        #expect(status.status == 0, "\(status.stderr)")
        let object = Self.json(status.stdout)
        #expect(object["health"] as? String == "ok")
        #expect(object["catalogue_version"] as? String == "2026.11.1")
        #expect((object["link"] as? [String: Any])?["up"] as? Bool == true)
        #expect((object["queue"] as? [String: Any])?["queued"] as? Int == 0)
        #expect((object["components"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.contains("receipt_printer") == true)
        let table = try await demo.ctl("status")
        #expect(table.stdout.contains("platform:  http://") && table.stdout.contains("— online"), "\(table.stdout)")
        #expect(table.stdout.contains("receipt_printer  online"), "\(table.stdout)")
        // The first heartbeat goes 2 s after start; status says how it went.
        #expect(await eventually(within: .seconds(6)) {
            (try? await demo.ctl("status"))?.stdout.split(separator: "\n").contains { $0.hasPrefix("heartbeat: ") && $0.hasSuffix(" sent") } == true
        })

        let devices = try await demo.ctl("devices", "--json")
        let listed = (try? JSONSerialization.jsonObject(with: Data(devices.stdout.utf8))) as? [[String: Any]] ?? []
        #expect(listed.compactMap { $0["name"] as? String } == ["idcard_reader", "receipt_printer", "a4_printer", "scanner"], "\(devices)")
        #expect(listed.allSatisfy { $0["status"] as? String == "online" && $0["model"] != nil && $0["port"] != nil })

        // The printer runs out of paper: kioskd's own periodic check (every 10 s here) finds it,
        // before anyone prints; devices shows it with the last error and the check, the fault is counted.
        #expect(try await demo.simulator("receipt_printer", "paper", "out").contains("ok"))
        #expect(await eventually(within: .seconds(15)) {
            (try? await demo.ctl("devices")).map { $0.stdout.contains("userError (paper_out)") && $0.stdout.contains("external failed") } == true
        })
        let after = try await demo.ctl("devices")
        #expect(after.stdout.contains("out of paper: load a new roll") && after.stdout.contains("external failed"), "\(after.stdout)")
        let metrics = try await demo.ctl("metrics")
        #expect(metrics.stdout.contains(#"kioskd_device_faults_total{device="receipt_printer",kind="paper_out"} 1"#), "\(metrics.stdout)")
        #expect(metrics.stdout.contains(#"kioskd_printer_paper{device="receipt_printer",paper="out"} 1"#), "\(metrics.stdout)")

        // logs: the last lines, then --follow sees a new one as it is written.
        let logs = try await demo.ctl("logs", "-n", "200")
        #expect(logs.stdout.contains("admin: devices"), "\(logs.stdout)")
        let follower = try Child(binDirectory + "/kioskctl", ["logs", "--follow", "-n", "0", "--json"], environment: demo.kioskctl)
        try await Task.sleep(for: .milliseconds(300))
        _ = try await demo.ctl("status")
        #expect(await eventually(within: .seconds(5)) { follower.stdout.contains(#""message":"admin: status""#) }, "follow: \(follower.stdout) \(follower.stderr)")
        follower.signal(SIGTERM)

        // Nothing administrative over TCP: the loopback host has no admin routes, not even for the screen.
        #expect(await get(demo.base + "/admin/selftest", key: screenKey(demo.state))?.status == 404)

        await demo.stop()
        #expect(!FileManager.default.fileExists(atPath: demo.socket), "the admin socket was left behind")
        let gone = try await demo.ctl("status")
        #expect(gone.status == 1 && gone.stderr.contains("kioskd is not running"), "\(gone)")
    }

    @Test("selftest passes in the demo; with the printer out of paper it fails naming the fix, exit 1; with paper back it passes again")
    func selftest() async throws {
        let demo = try Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")
        let passing = try await demo.ctl("selftest")
        #expect(passing.status == 0, "\(passing.stdout)\n\(passing.stderr)")
        #expect(passing.stdout.contains("self-test passed"))
        for check in ["print a test receipt", "scan a test page", "SAM status", "CUPS queue KioskPDF", "platform: link", "platform: clock", "audit: chain",
                      "PASS  speech: Mandarin voice", "PASS  handwriting: 王 written on the pad — read as 王"] {
            #expect(passing.stdout.contains(check), "no \(check) in \(passing.stdout)")
        }
        // Piped, progress is plain numbered lines, not a redrawn bar.
        #expect(passing.stdout.contains("[1/") && !passing.stdout.contains("\u{1B}[K"))
        #expect(try await demo.simulator("receipt_printer", "receipts").contains("1 receipts"), "the self-test's receipt was not printed")

        #expect(try await demo.simulator("receipt_printer", "paper", "out").contains("ok"))
        let failing = try await demo.ctl("selftest")
        #expect(failing.status == 1, "\(failing.stdout)")
        #expect(failing.stdout.contains("FAIL  receipt_printer: printer status — the receipt printer is out of paper"), "\(failing.stdout)")
        #expect(failing.stdout.contains("fix: load a new paper roll into the receipt printer"), "\(failing.stdout)")
        #expect(failing.stdout.contains("self-test FAILED"))
        let report = Self.json(try await demo.ctl("selftest", "--json").stdout)
        #expect(report["passed"] as? Bool == false)
        let failed = (report["items"] as? [[String: Any]] ?? []).filter { $0["outcome"] as? String == "failed" }
        #expect(!failed.isEmpty && failed.allSatisfy { $0["component"] as? String == "receipt_printer" && ($0["fix"] as? String)?.contains("paper roll") == true }, "\(failed)")

        #expect(try await demo.simulator("receipt_printer", "paper", "ok").contains("ok"))
        #expect(try await demo.ctl("selftest").status == 0)

        // The platform's clock says the station's is 10 minutes off: the clock check fails with how to set it.
        #expect(try await demo.simulator("platform", "clock", "600").contains("ok"))
        let skewed = try await demo.ctl("selftest")
        #expect(skewed.status == 1 && skewed.stdout.contains("FAIL  platform: clock") && skewed.stdout.contains("timedatectl set-ntp true"), "\(skewed.stdout)")

        // Someone at the kiosk: the self-test would print and scan in the middle of their visit, so it waits.
        _ = try await demo.simulator("idcard_reader", "card", "put", "wang-jianguo")
        #expect(await eventually(within: .seconds(5)) { (try? await demo.ctl("status", "--json")).map { Self.json($0.stdout)["screen"] as? String != "attract" } ?? false })
        let busy = try await demo.ctl("selftest")
        #expect(busy.status == 1 && busy.stderr.contains("someone is using the kiosk"), "\(busy)")

        // 呼叫工作人员: kioskctl status, the metric and the platform's heartbeat show it within 2 s; the visit's end clears it.
        _ = try await post(demo.base + "/api/touch", json: #"{"type": "call_staff"}"#, key: screenKey(demo.state))
        #expect(await eventually(within: .seconds(2)) {
            let status = (try? await demo.ctl("status", "--json")).map { Self.json($0.stdout) } ?? [:]
            return status["staff_called_seconds"] is Int
        }, "kioskctl status does not show the call for staff")
        #expect(try await demo.ctl("status").stdout.contains("STAFF CALLED"))
        #expect(try await demo.ctl("metrics").stdout.contains("kioskd_staff_called 1"))
        #expect(await eventually(within: .seconds(2)) { ((try? await demo.simulator("platform", "heartbeat")) ?? "").contains("staff_called_seconds") },
                "the heartbeat did not carry the call at once")
        _ = try await post(demo.base + "/api/touch", json: #"{"type": "end"}"#, key: screenKey(demo.state))
        #expect(await eventually(within: .seconds(2)) { (try? await demo.ctl("metrics").stdout.contains("kioskd_staff_called 0")) ?? false })

        // The heartbeat carried the same summary to the platform, nothing personal in it.
        let heartbeat = try await demo.simulator("platform", "heartbeat")
        #expect(heartbeat.contains(#""station":"340104001"#) && heartbeat.contains("receipt_printer") && heartbeat.contains(#""catalogue_version":"2026.11.1""#), "\(heartbeat)")
        for secret in ["王建国", "340104195803120519"] { #expect(!heartbeat.contains(secret)) }
        await demo.stop()
    }

    @Test("a handwriting model that is not one: kioskd serves without the pad, and /healthz, kioskctl status and the self-test say why and what to do")
    func brokenWritingPad() async throws {
        let state = temporaryDirectory("admin-demo-\(UUID().uuidString.prefix(8))")
        try "not a Zinnia model".write(toFile: state + "/damaged.model", atomically: true, encoding: .utf8)
        let demo = try Demo(state: state, environment: ["KIOSKD_HANDWRITING_MODEL": state + "/damaged.model"])
        #expect(await eventually(within: .seconds(15)) { await health(demo.base)?.status(of: "handwriting") == "error" }, "\(demo.child.stderr)")
        // The screen is told there is no pad (the page then shows no 手写 key); the rest of the kiosk serves.
        #expect(await get(demo.base + "/api/handwriting", key: screenKey(demo.state))?.status == 404)
        #expect(await eventually(within: .seconds(10)) {
            await health(demo.base).map { $0.status == "degraded" && $0.components.allSatisfy { ["ok", "online", "disabled"].contains($0.status) || $0.name == "handwriting" } } ?? false
        }, "the pad is not the only thing amiss")
        let status = try await demo.ctl("status")
        #expect(status.stdout.contains("handwriting") && status.stdout.contains("damaged.model") && status.stdout.contains("install tegaki-zinnia-simplified-chinese"), "\(status.stdout)")
        let selftest = try await demo.ctl("selftest")
        #expect(selftest.status == 1, "\(selftest.stdout)")
        #expect(selftest.stdout.contains("FAIL  handwriting: 王 written on the pad — no writing pad on the screen"), "\(selftest.stdout)")
        #expect(selftest.stdout.contains("fix: what the detail says, then restart kioskd"), "\(selftest.stdout)")
        #expect(selftest.stdout.contains("PASS  speech: Mandarin voice"), "\(selftest.stdout)")
        await demo.stop()
    }

    @Test("hardware-sim residents plays a visit through the local API; with the link down it queues, queue drain says why it waits, and sends it once the platform is back")
    func residentsAndDrain() async throws {
        let demo = try Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")
        #expect(try await demo.simulator("platform", "refuse").contains("ok"))
        let residents = try await run(binDirectory + "/hardware-sim", [
            "residents", "--kiosk", demo.base, "--simulators", demo.state + "/sim", "--count", "2", "--seed", "4",
            "--abandon-percent", "0", "--timeout-percent", "0", "--incomplete-percent", "0", "--agent-percent", "0",
        ])
        #expect(residents.status == 0, "\(residents.stdout)\n\(residents.stderr)")
        let receipts = residents.stdout.split(separator: "\n").filter { $0.contains("submitted, receipt 340104001-") }
        #expect(receipts.count == 2, "\(residents.stdout)")
        #expect(residents.stdout.contains("residents: 2 visits") && residents.stdout.contains("2 submitted"), "\(residents.stdout)")
        // Each receipt the residents saw on screen was printed by the printer simulator.
        let printed = (try? FileManager.default.contentsOfDirectory(atPath: demo.state + "/sim/receipts"))?.filter { $0.hasSuffix(".txt") }
            .compactMap { try? String(contentsOfFile: demo.state + "/sim/receipts/" + $0, encoding: .utf8) }.joined() ?? ""
        for line in receipts {
            let number = String(line.split(separator: " ").first { $0.hasPrefix("340104001-") } ?? "")
            #expect(!number.isEmpty && printed.contains(number), "\(number) not printed")
        }

        // Numbers from the socket are bounded: a timeout of 1e300 once crashed kioskd.
        for arguments in [["queue", "drain", "--timeout", "1e300"], ["logs", "--lines=-5"]] {
            let refused = try await run(binDirectory + "/kioskctl", arguments, environment: demo.kioskctl)
            #expect(refused.status == 1 && refused.stderr.contains("must be from"), "\(arguments): \(refused)")
        }
        #expect(await get(demo.base + "/healthz")?.status != nil, "kioskd did not survive the refused requests")
        let waiting = try await demo.ctl("queue", "drain", "--timeout", "2")
        #expect(waiting.status == 1, "\(waiting)")
        #expect(waiting.stderr.contains("2 of 2 still queued after 2 s: the platform does not answer"), "\(waiting.stderr)")
        #expect(try await demo.simulator("platform", "accept").contains("ok"))
        let drained = try await demo.ctl("queue", "drain", "--timeout", "60")
        #expect(drained.status == 0, "\(drained)")
        #expect(drained.stdout.contains("queue drained: 2 sent"), "\(drained.stdout)")
        let accepted = try await demo.simulator("platform", "acceptances")
        #expect(accepted.components(separatedBy: ":1").count - 1 == 2, "\(accepted)")
        await demo.stop()
    }

    @Test("a user who is not the socket's owner (nor in admin.group) is refused with what to do, by the socket's mode and again by who the kernel says is connecting", .enabled(if: getuid() == 0, "needs root to run kioskctl as another user"))
    func permissionRefused() async throws {
        let demo = try Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")
        // The build folder may not be readable by nobody: a copy of kioskctl it may run.
        let copy = temporaryDirectory("kioskctl-copy") + "/kioskctl"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: binDirectory + "/kioskctl", toPath: copy)
        chmod((copy as NSString).deletingLastPathComponent, 0o755)
        chmod(copy, 0o755)
        // The state directory is 0700: let nobody reach the socket file itself, so only the socket's own mode decides.
        chmod(demo.state, 0o711)
        let refused = try await run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", copy, "status", "--socket", demo.socket])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("permission denied on \(demo.socket)") && refused.stderr.contains("sudo"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        // A mode loosened by hand lets nobody connect; kioskd asks the kernel who it is and still refuses.
        chmod(demo.socket, 0o666)
        let loosened = try await run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", copy, "status", "--socket", demo.socket])
        #expect(loosened.status == 1, "\(loosened)")
        #expect(loosened.stderr.contains("may not administer this kiosk") && loosened.stderr.contains("sudo"), "\(loosened.stderr)")
        #expect(!loosened.stdout.contains("outbox"), "\(loosened.stdout)")
        let owner = try await demo.ctl("status")
        #expect(owner.status == 0)
        await demo.stop()
    }

    @Test("Another user on the machine cannot read the screen's key and gets 401 from the local API; the screen's address sets it as an HttpOnly cookie",
          .enabled(if: getuid() == 0, "needs root to run a client as another user"))
    func strangerRefused() async throws {
        let demo = try Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")
        let key = try #require(screenKey(demo.state))
        let url = try await demo.ctl("screen-url")
        #expect(url.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == demo.base + "/?key=" + key, "\(url)")
        let asNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        chmod(demo.state, 0o711)  // so that only the key file's own mode stands in the way
        let read = try await run("/usr/bin/setpriv", asNobody + ["/bin/cat", demo.state + "/screen-key"])
        #expect(read.status != 0 && read.stderr.contains("Permission denied"), "\(read)")
        for path in ["/", "/app.js", "/api/screen", "/api/speech", "/api/handwriting", "/api/receipt-qr.png", "/api/page/id_card/0", "/ws"] {
            let answer = try await run("/usr/bin/setpriv", asNobody + ["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", demo.base + path])
            #expect(answer.stdout == "401", "\(path): \(answer)")
        }
        let touch = try await run("/usr/bin/setpriv", asNobody + ["/usr/bin/curl", "-s", "-H", "Content-Type: application/json", "-d", #"{"type": "elderly_mode", "on": true}"#,
                                                                 demo.base + "/api/touch"])
        #expect(touch.stdout.contains("kioskctl screen-url"), "\(touch)")
        for path in ["/healthz", "/metrics"] {
            let answer = try await run("/usr/bin/setpriv", asNobody + ["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", demo.base + path])
            #expect(answer.stdout == "200", "\(path) stays open to tools: \(answer)")
        }
        // The screen's first load: a cookie the page's script cannot read, sent only to kioskd's own pages, and the key out of the address.
        let first = try await run("/usr/bin/curl", ["-s", "-D", "-", demo.base + "/?key=" + key])
        #expect(first.stdout.contains(#"http-equiv="refresh" content="0; url=/""#), "\(first.stdout)")
        #expect(first.stdout.hasPrefix("HTTP/1.1 200"), "\(first.stdout)")
        #expect(first.stdout.contains("kioskd_screen=\(key); Path=/; HttpOnly; SameSite=Strict"), "\(first.stdout)")
        let wrong = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", demo.base + "/?key=" + String(key.reversed())])
        #expect(wrong.stdout == "401")
        let withCookie = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", "kioskd_screen=" + key, demo.base + "/api/screen"])
        #expect(withCookie.stdout == "200")
        await demo.stop()
        // A new start makes a new key; the old one no longer opens anything.
        let again = try Demo(state: demo.state)
        #expect(await again.ready())
        #expect(screenKey(again.state) != key)
        #expect(await get(again.base + "/api/screen", key: key)?.status == 401)
        #expect(await get(again.base + "/api/screen", key: screenKey(again.state))?.status == 200)
        await again.stop()
    }

    @Test("kioskctl config check: the shipped example passes; a typo and a bad value fail with the key, the line and exit 78")
    func configCheck() async throws {
        let good = try await run(binDirectory + "/kioskctl", ["config", "check", repositoryRoot + "/config/kioskd.example.yaml"])
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout.contains("admin.socket: ./var/admin.sock (owner only)"), "\(good.stdout)")
        let file = temporaryDirectory() + "/kioskd.yaml"
        try "admin:\n  sockett: /tmp/x.sock\n  heartbeat_seconds: 2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try await run(binDirectory + "/kioskctl", ["config", "check", file])
        #expect(bad.status == 78, "\(bad)")
        #expect(bad.stderr.contains("admin.sockett") && bad.stderr.contains("admin.socket"), "\(bad.stderr)")
        #expect(bad.stderr.contains("admin.heartbeat_seconds") && bad.stderr.contains("seconds from 10 to 86400"), "\(bad.stderr)")
        let json = Self.json(try await run(binDirectory + "/kioskctl", ["config", "check", file, "--json"]).stdout)
        #expect((json["problems"] as? [String])?.count == 2)
    }
}
