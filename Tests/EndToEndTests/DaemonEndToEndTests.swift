import Crypto
import CryptoExtras
import Foundation
import GRDB
import HardwareSim
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("kioskd, kioskctl and hardware-sim as a maintainer runs them", .serialized, .timeLimit(.minutes(3)))
struct DaemonEndToEndTests {
    @Test("make demo's script serves /healthz with every component within 5 s, devices online; an unplug shows and heals; Ctrl-C stops it cleanly")
    func demo() async throws {
        let state = temporaryDirectory()
        let listen = "127.0.0.1:\(freePort())"
        let demo = try Child(
            repositoryRoot + "/scripts/demo.sh", [],
            environment: ["STATE_DIR": state, "DEMO_LISTEN": listen, "DEMO_PRINTER_PORT": String(freePort()), "DEMO_SCANNER_LISTEN": "127.0.0.1:\(freePort())",
                          "DEMO_PLATFORM_LISTEN": "127.0.0.1:\(freePort())"])
        let base = "http://\(listen)"
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await eventually(within: .seconds(5)) { await health(base) != nil }, "no /healthz within 5 s: \(demo.stderr)")
        let firstAnswer = clock.now - start
        let listed = await health(base)
        #expect(listed?.components.map(\.name) == ["http", "state_dir", "systemd", "services", "outbox", "platform", "speech", "handwriting", "idcard_reader", "receipt_printer", "a4_printer", "scanner"])
        let online = await eventually(within: .seconds(8)) { await health(base)?.status == "ok" }
        let components = await health(base)?.components.map { "\($0.name) \($0.status) \($0.detail ?? "")" } ?? []
        #expect(online, "devices did not come online: \(components) \(demo.stderr)")
        #expect(firstAnswer < .seconds(5))

        #expect(await health(base)?.components.first { $0.name == "outbox" }?.detail?.hasPrefix("0 queued") == true)

        // A maintainer unplugs the simulated reader through its control socket…
        let control = binDirectory + "/hardware-sim"
        let unplug = try await run(control, ["control", "--socket", state + "/sim/idcard_reader.control", "unplug"])
        #expect(unplug.status == 0)
        #expect(unplug.stdout.contains("ok: unplugged"))
        #expect(await eventually(within: .seconds(5)) { await health(base)?.status(of: "idcard_reader") == "noDevice" })
        // …and plugs it back: kioskd picks it up without a restart.
        let replug = try await run(control, ["control", "--socket", state + "/sim/idcard_reader.control", "replug"])
        #expect(replug.status == 0)
        #expect(await eventually(within: .seconds(5)) { await health(base)?.status(of: "idcard_reader") == "online" })

        // A resident taps a card: kioskd reads it and logs it masked, nothing more.
        let put = try await run(control, ["control", "--socket", state + "/sim/idcard_reader.control", "card", "put", "wang-jianguo"])
        #expect(put.stdout.contains("ok: card wang-jianguo placed"), "\(put.stderr)")
        #expect(await eventually(within: .seconds(5)) { demo.stderr.contains("card presented: resident_id 3401**********0519") }, "\(demo.stderr)")
        for secret in ["王建国", "340104195803120519", "幸福村", "19580312"] {
            #expect(!demo.stderr.contains(secret) && !demo.stdout.contains(secret), "personal data in kioskd's output: \(secret)")
        }

        demo.signal(SIGINT, group: true)  // what Ctrl-C in the terminal sends
        let status = await demo.exitStatus(within: .seconds(15))
        #expect(status == 0, "demo exited \(String(describing: status)): \(demo.stderr)")
        #expect(demo.stderr.contains("kioskd stopped cleanly"))
        #expect(!FileManager.default.fileExists(atPath: state + "/sim/idcard"), "the simulator left its pty link behind")
    }

    @Test("under systemd: READY=1 once serving, WATCHDOG=1 keep-alives, STOPPING=1 and a clean exit on SIGTERM")
    func systemd() async throws {
        let folder = temporaryDirectory()
        let socketPath = folder + "/notify"
        let receiver = try DatagramSocket(path: socketPath)
        let listen = "127.0.0.1:\(freePort())"
        let kioskd = try Child(
            binDirectory + "/kioskd", ["run", "--state-dir", folder + "/state", "--listen", listen],
            environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "200000", "KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"])
        let ready = receiver.receive(within: .seconds(5))
        #expect(ready?.contains("READY=1") == true, "the first notification must be READY=1, got \(String(describing: ready)); \(kioskd.stderr)")
        #expect(await health("http://\(listen)") != nil, "READY=1 came before /healthz answered")
        var keepAlives = 0
        let until = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < until, let message = receiver.receive(within: .milliseconds(500)) {
            if message == "WATCHDOG=1" { keepAlives += 1 }
        }
        #expect(keepAlives >= 3, "WATCHDOG_USEC=200000 asks for a keep-alive every 100 ms; got \(keepAlives) in a second")

        kioskd.signal(SIGTERM)
        var stopping = false
        while let message = receiver.receive(within: .seconds(2)) {
            if message.contains("STOPPING=1") {
                stopping = true
                break
            }
        }
        #expect(stopping)
        #expect(await kioskd.exitStatus(within: .seconds(15)) == 0)
        #expect(kioskd.stderr.contains("kioskd stopped cleanly"))
    }

    @Test("a config file with a misspelled key or a bad value is refused at start (exit 78) with the key, the value and what is expected")
    func badConfigRefused() async throws {
        let folder = temporaryDirectory()
        let file = folder + "/kioskd.yaml"
        try "http:\n  listen: 127.0.0.1:8080\ndevices:\n  receipt_printer:\n    port: tcp:10.0.0.9:99999\n  idcard_reader:\n    baud: 9600\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await run(binDirectory + "/kioskd", ["run", "--config", file, "--state-dir", folder + "/state"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("line 7: unknown key \"devices.idcard_reader.baud\""))
        #expect(result.stderr.contains("devices.receipt_printer.port (\(file) line 5): port \"tcp:10.0.0.9:99999\": port \"99999\" must be a number from 1 to 65535"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/state"), "a refused configuration must not start anything")
    }

    @Test("a second kioskd on the same state directory, or on a busy address, is refused with what to do")
    func oneKioskdPerStation() async throws {
        let folder = temporaryDirectory()
        let listen = "127.0.0.1:\(freePort())"
        let noDevices = ["KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"]
        let first = try Child(binDirectory + "/kioskd", ["run", "--state-dir", folder + "/state", "--listen", listen], environment: noDevices)
        #expect(await eventually(within: .seconds(5)) { await health("http://\(listen)") != nil })

        let sameState = try await run(binDirectory + "/kioskd", ["run", "--state-dir", folder + "/state", "--listen", "127.0.0.1:\(freePort())"], environment: noDevices)
        #expect(sameState.status == 1)
        #expect(sameState.stderr.contains("another kioskd (pid \(first.process.processIdentifier)) is already running"))

        let sameAddress = try await run(binDirectory + "/kioskd", ["run", "--state-dir", folder + "/other", "--listen", listen], environment: noDevices)
        #expect(sameAddress.status == 1)
        #expect(sameAddress.stderr.contains("cannot listen on \(listen): the address is in use"))

        first.signal(SIGTERM)
        #expect(await first.exitStatus(within: .seconds(15)) == 0)
    }

    @Test("kioskctl devices --usb lists USB devices (possibly none); a USB port naming a missing device gives a clear error")
    func kioskctlUSB() async throws {
        let listing = try await run(binDirectory + "/kioskctl", ["devices", "--usb"])
        if listing.status == 0 {
            #expect(listing.stdout.hasPrefix("USB devices ("))
        } else {
            #expect(listing.stderr.contains("libusb could not start"))
        }
        let json = try await run(binDirectory + "/kioskctl", ["devices", "--usb", "--json"])
        if json.status == 0 {
            let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(decoded?["usb"] is [Any])
        }
        let missing = try await run(binDirectory + "/kioskctl", ["port", "check", "usb:dead:beef"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no USB device dead:beef is attached") || missing.stderr.contains("libusb could not start"))
        #expect(!missing.stderr.contains("Fatal error"))
    }

    @Test("kioskctl idcard read reads a card from the simulated reader: masked, --unmasked, --json; expired and no card are clear failures")
    func kioskctlIDCard() async throws {
        let folder = temporaryDirectory()
        let link = folder + "/idcard"
        let simulator = try Child(binDirectory + "/hardware-sim", ["idcard", "--port", "pty", "--link", link, "--card", "li-xiuying", "--cards", repositoryRoot + "/hardware-sim/cards"])
        #expect(await eventually(within: .seconds(5)) { FileManager.default.fileExists(atPath: link + ".control") })
        let port = "serial:\(link)?baud=115200"

        let masked = try await run(binDirectory + "/kioskctl", ["idcard", "read", "--port", port, "--timeout", "5"])
        #expect(masked.status == 0, "\(masked.stderr)")
        #expect(masked.stdout.contains("name:          李*英"))
        #expect(masked.stdout.contains("number:        3411**********0027"))
        #expect(masked.stdout.contains("birth:         1985-**-**"))
        #expect(!masked.stdout.contains("李秀英") && !masked.stdout.contains("341122198511070027"))

        // The card stays on the reader: a second program reads it too.
        let json = try await run(binDirectory + "/kioskctl", ["idcard", "read", "--port", port, "--json", "--unmasked", "--timeout", "5"])
        #expect(json.status == 0, "\(json.stderr)")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(decoded?["number"] as? String == "341122198511070027")
        #expect(decoded?["name"] as? String == "李秀英")
        #expect(decoded?["valid_until"] as? String == "2035-06-01")

        let control = ["control", "--socket", link + ".control"]
        _ = try await run(binDirectory + "/hardware-sim", control + ["card", "put", "zhang-guilan-expired"])
        let expired = try await run(binDirectory + "/kioskctl", ["idcard", "read", "--port", port, "--timeout", "5"])
        #expect(expired.status == 2)
        #expect(expired.stderr.contains("this card expired on 2024年7月15日"))

        _ = try await run(binDirectory + "/hardware-sim", control + ["card", "remove"])
        let none = try await run(binDirectory + "/kioskctl", ["idcard", "read", "--port", port, "--timeout", "1"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no card was placed on the reader within 1 s"))

        _ = try await run(binDirectory + "/hardware-sim", control + ["sam", "fault", "60"])
        let fault = try await run(binDirectory + "/kioskctl", ["idcard", "read", "--port", port, "--timeout", "2"])
        #expect(fault.status == 1)
        #expect(fault.stderr.contains("power-cycle the ID-card reader"))

        let missing = try await run(binDirectory + "/kioskctl", ["idcard", "read", "--port", "serial:\(folder)/nothing", "--timeout", "3"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nothing is attached at \(folder)/nothing"))
        simulator.signal(SIGTERM)
        #expect(await simulator.exitStatus(within: .seconds(5)) == 0)
    }

    @Test("kioskctl printer test prints a test receipt on the simulated printer (QR readable); status reports paper out with what to do")
    func kioskctlPrinter() async throws {
        let folder = temporaryDirectory()
        let port = "tcp:127.0.0.1:\(freePort())"
        let simulator = try Child(binDirectory + "/hardware-sim", ["printer", "--port", port, "--out", folder + "/out", "--control", folder + "/printer.control"])
        #expect(await eventually(within: .seconds(5)) { FileManager.default.fileExists(atPath: folder + "/printer.control") })

        let test = try await run(binDirectory + "/kioskctl", ["printer", "test", "--port", port])
        #expect(test.status == 0, "\(test.stderr)")
        #expect(test.stdout.contains("test receipt printed"))
        #expect(await eventually(within: .seconds(5)) { FileManager.default.fileExists(atPath: folder + "/out/receipt-0001.png") })
        #expect(try decodeQR(folder + "/out/receipt-0001.png") == "https://kioskd.example/printer-test")
        let text = try String(contentsOfFile: folder + "/out/receipt-0001.txt", encoding: .utf8)
        #expect(text.contains("中文字体测试：受理回执 办件编号"))

        _ = try await run(binDirectory + "/hardware-sim", ["control", "--socket", folder + "/printer.control", "paper", "out"])
        let status = try await run(binDirectory + "/kioskctl", ["printer", "status", "--port", port])
        #expect(status.status == 1)
        #expect(status.stdout.contains("userError [paper_out]: the receipt printer is out of paper: load a new roll and press Retry"))
        let refused = try await run(binDirectory + "/kioskctl", ["printer", "test", "--port", port])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("out of paper"))

        let a4 = try await run(binDirectory + "/kioskctl", ["printer", "status", "--port", "cups:KioskPDF"])
        #expect(a4.status == 0, "\(a4.stdout) \(a4.stderr)")
        simulator.signal(SIGTERM)
        #expect(await simulator.exitStatus(within: .seconds(5)) == 0)
    }

    @Test("kioskctl scan writes pages from SANE's test backend, and reports a jam on the eSCL simulator with the page to feed again")
    func kioskctlScan() async throws {
        let folder = temporaryDirectory()
        let saneConfig = folder + "/sane.d"
        let port = freePort()
        try FileManager.default.createDirectory(atPath: saneConfig, withIntermediateDirectories: true)
        try "test\nairscan\n".write(toFile: saneConfig + "/dll.conf", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: "/etc/sane.d/test.conf", toPath: saneConfig + "/test.conf")
        try "[devices]\n\"Kiosk Scanner\" = http://127.0.0.1:\(port)/eSCL, eSCL\n[options]\ndiscovery = disable\n"
            .write(toFile: saneConfig + "/airscan.conf", atomically: true, encoding: .utf8)
        let environment = ["SANE_CONFIG_DIR": saneConfig]

        let pages = try await run(binDirectory + "/kioskctl", ["scan", "--device", "sane:test:0", "--pages", "3", "--resolution", "75", "--out", folder + "/out"], environment: environment)
        #expect(pages.status == 0, "\(pages.stderr)")
        for number in 1...3 {
            #expect(FileManager.default.fileExists(atPath: folder + "/out/page-\(number).jpg"))
            #expect(pages.stdout.contains("page-\(number).jpg: "))
        }
        #expect(pages.stdout.contains("3 pages in"))

        let simulator = try Child(binDirectory + "/hardware-sim", ["scanner", "--listen", "127.0.0.1:\(port)", "--control", folder + "/scanner.control",
                                                                  "--pages", repositoryRoot + "/hardware-sim/pages"])
        #expect(await eventually(within: .seconds(10)) { FileManager.default.fileExists(atPath: folder + "/scanner.control") })
        let listing = try await run(binDirectory + "/kioskctl", ["devices", "--sane"], environment: environment)
        #expect(listing.stdout.contains("sane:airscan:e0:Kiosk Scanner"))
        _ = try await run(binDirectory + "/hardware-sim", ["control", "--socket", folder + "/scanner.control", "jam", "at", "3"])
        let jam = try await run(binDirectory + "/kioskctl", ["scan", "--device", "sane:airscan:e0:Kiosk Scanner", "--pages", "3", "--resolution", "75", "--out", folder + "/jam"], environment: environment)
        #expect(jam.status == 1)
        #expect(jam.stdout.contains("2 pages in"))
        #expect(jam.stderr.contains("paper jammed: open the cover"))
        #expect(jam.stderr.contains("pages 1–2 were scanned and kept: feed page 3 and the rest again"))
        simulator.signal(SIGTERM)
        #expect(await simulator.exitStatus(within: .seconds(5)) == 0)
    }

    @Test("hardware-sim --help lists its simulators; kioskctl port check finds an echo plug on a pty")
    func simulatorHelpAndPortCheck() async throws {
        let help = try await run(binDirectory + "/hardware-sim", ["--help"])
        #expect(help.status == 0)
        for name in ["station", "idcard", "printer", "scanner", "platform", "echo", "control"] { #expect(help.stdout.contains(name)) }

        let link = temporaryDirectory() + "/plug"
        let echo = try Child(binDirectory + "/hardware-sim", ["echo", "--port", "pty", "--link", link])
        #expect(await eventually(within: .seconds(5)) { FileManager.default.fileExists(atPath: link) })
        let check = try await run(binDirectory + "/kioskctl", ["port", "check", "serial:\(link)?baud=9600"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("ok"))
        echo.signal(SIGTERM)
        #expect(await echo.exitStatus(within: .seconds(5)) == 0)
        #expect(!FileManager.default.fileExists(atPath: link))
    }

    @Test("kioskctl catalogue check and agent hash-pin: what a maintainer runs before installing data files")
    func kioskctlData() async throws {
        let ctl = binDirectory + "/kioskctl"
        let good = try await run(ctl, ["catalogue", "check", "data/catalogue.json"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("catalogue 2026.11.1 ok: 24 items, 3 bundles, 9 departments (sample data, not for a real station)"))
        let folder = temporaryDirectory()
        let text = try String(contentsOfFile: "data/catalogue.json", encoding: .utf8).replacingOccurrences(of: "\"visits\": 1", with: "\"visits\": 3")
        try text.write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try await run(ctl, ["catalogue", "check", folder + "/bad.json"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("item 2000001000 城乡居民基本养老保险参保登记, field visits: must be a whole number from 0 to 1, not 3"), "\(bad.stderr)")
        let calendar = try await run(ctl, ["catalogue", "check", "--calendar", "data/holidays-cn.json"])
        #expect(calendar.stdout.contains("calendar ok: years 2025, 2026"))

        let hashed = try await run("/bin/sh", ["-c", "echo 246810 | \(ctl) agent hash-pin"])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        let hash = hashed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("scrypt$15$8$1$") && !hash.contains("246810"))
        try #"{"agents": [{"id": "agent01", "name": "王建国", "card_number": "340104198001010311", "pin_hash": "\#(hash)"}]}"#
            .write(toFile: folder + "/agents.json", atomically: true, encoding: .utf8)
        let agents = try await run(ctl, ["agent", "check", folder + "/agents.json"])
        #expect(agents.stdout.contains("agents ok: agent01 王*国"), "\(agents.stderr)")
        let weak = try await run("/bin/sh", ["-c", "echo 111111 | \(ctl) agent hash-pin"])
        #expect(weak.status == 65 && weak.stderr.contains("one repeated digit") && weak.stdout.isEmpty)
    }

    @Test("kioskctl queue: counts and the platform's reason for dead letters; show one; retry it once the cause is fixed and it goes")
    func kioskctlQueue() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        let ctl = binDirectory + "/kioskctl"
        // The station was given a key the platform no longer holds: every application is refused (422).
        let stationKey = Curve25519.KeyAgreement.PrivateKey(), otherKey = Curve25519.KeyAgreement.PrivateKey()
        try stationKey.publicKey.pemRepresentation.write(toFile: folder + "/platform.pem", atomically: true, encoding: .utf8)
        let port = UInt16(freePort())
        var platform = try PlatformSimulator(privateKey: .x25519(otherKey), outputDirectory: folder + "/platform", port: port)
        try platform.start()
        let environment = ["KIOSKD_PLATFORM_URL": platform.url, "KIOSKD_PLATFORM_PUBLIC_KEY": folder + "/platform.pem"]
        let churn = try await run(binDirectory + "/kioskd", ["churn", "--state-dir", state, "--applications", "3", "--max-page-bytes", "5000", "--drain"],
                                  environment: environment)
        #expect(churn.status == 0, "\(churn.stderr)")
        let tracking = try #require(churn.stdout.split(separator: "\n").first?.split(separator: " ").dropFirst().first.map(String.init))

        let summary = try await run(ctl, ["queue", "--state-dir", state])
        #expect(summary.status == 0, "\(summary.stderr)")
        #expect(summary.stdout.contains("queued         0"))
        #expect(summary.stdout.contains("dead letters   3  (refused by the platform: fix the cause, then `kioskctl queue retry TRACKING`)"), "\(summary.stdout)")
        #expect(summary.stdout.contains("last error     the platform refused it (422): the envelope does not open with the platform's key"))
        #expect(summary.stdout.contains("\(tracking)  dead_letter  城乡居民基本养老保险参保登记  测**民"))
        for secret in ["测试居民", "340104199001011234"] { #expect(!summary.stdout.contains(secret)) }

        let show = try await run(ctl, ["queue", "show", tracking, "--state-dir", state])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("\(tracking)  dead_letter"))
        #expect(show.stdout.contains("refused        the platform refused it (422)"))
        #expect(show.stdout.contains("on the kiosk"))

        // The platform operator restores the key; the maintainer retries one application.
        platform.stop()
        platform = try PlatformSimulator(privateKey: .x25519(stationKey), outputDirectory: folder + "/platform", port: port)
        try platform.start()
        defer { platform.stop() }
        let retry = try await run(ctl, ["queue", "retry", tracking, "--state-dir", state])
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.stdout.contains("\(tracking): queued again (it was refused: the platform refused it (422)"))
        let drain = try await run(binDirectory + "/kioskd", ["churn", "--state-dir", state, "--applications", "0", "--drain"], environment: environment)
        #expect(drain.status == 0, "\(drain.stderr)")
        #expect(platform.acceptances[tracking] == 1)

        let json = try await run(ctl, ["queue", "--state-dir", state, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(report?["acknowledged"] as? Int == 1)
        #expect(report?["deadLetters"] as? Int == 2)
        let acknowledged = try await run(ctl, ["queue", "show", tracking, "--state-dir", state])
        #expect(acknowledged.stdout.contains("\(tracking)  acknowledged"))
        #expect(acknowledged.stdout.contains("case number    AH"))
        #expect(acknowledged.stdout.contains("status         受理"))

        let again = try await run(ctl, ["queue", "retry", tracking, "--state-dir", state])
        #expect(again.status == 1)
        #expect(again.stderr.contains("needs no retry: the platform has it (case AH"))
        let typo = try await run(ctl, ["queue", "show", "340104001-20261126-0007-6", "--state-dir", state])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("is not a tracking number (as printed on the receipt"))
        let nowhere = try await run(ctl, ["queue", "--state-dir", folder + "/nowhere"])
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr.contains("there is no outbox in \(folder)/nowhere/outbox: is the state directory right (--state-dir), and has kioskd run there?"))

        // The audit trail holds the case's life, and tells when someone edited it.
        let history = try await run(ctl, ["audit", "show", "--case", tracking, "--state-dir", state])
        let actions = history.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true)[3] }
        #expect(actions == ["created", "dead_letter", "requeued", "forwarded", "acknowledged"], "\(history.stdout)")
        #expect(!history.stdout.contains("测试居民"))
        let verify = try await run(ctl, ["audit", "verify", "--state-dir", state])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("audit trail intact: "))
        let database = try DatabaseQueue(path: state + "/outbox/outbox.sqlite")
        try await database.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'nothing happened' WHERE sequence = 3")
        }
        try database.close()
        let broken = try await run(ctl, ["audit", "verify", "--state-dir", state])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("#3: entry 3 (") && broken.stderr.contains("was altered"), "\(broken.stderr)")
    }

    @Test("without the platform's key the attract screen says 暂停服务 with why and the station's phone, /healthz says why; installing the key resumes the kiosk by itself")
    func pausedWithoutPlatformKey() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        let keyFile = folder + "/platform.pem"
        let listen = "127.0.0.1:\(freePort())"
        let base = "http://\(listen)"
        let kioskd = try Child(binDirectory + "/kioskd", ["run", "--state-dir", state, "--listen", listen], environment: [
            "KIOSKD_PLATFORM_PUBLIC_KEY": keyFile, "KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"])
        defer { kioskd.signal(SIGKILL) }
        #expect(await eventually(within: .seconds(10)) { await health(base)?.status(of: "outbox") == "no_platform_key" }, "\(kioskd.stderr)")
        let detail = await health(base)?.components.first { $0.name == "outbox" }?.detail ?? ""
        #expect(detail.contains("new applications are refused") && detail.contains(keyFile), "\(detail)")
        let key = try #require(screenKey(state))
        func screen() async throws -> [String: Any] {
            let answer = try #require(await get(base + "/api/screen", key: key))
            return try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        }
        #expect(await eventually(within: .seconds(5)) { ((try? await screen())?["out_of_service"] as? String)?.contains("密钥") == true })
        let paused = try await screen()
        let said = paused["out_of_service"] as? String ?? ""
        #expect(said.contains("本机暂停服务") && said.contains("安装平台的密钥") && said.contains("电话"), "\(said)")
        #expect(paused["screen"] as? String == "attract")

        // The maintainer installs the key: within seconds the kiosk takes visits again, without a restart.
        try Curve25519.KeyAgreement.PrivateKey().publicKey.pemRepresentation.write(toFile: keyFile, atomically: true, encoding: .utf8)
        #expect(await eventually(within: .seconds(10)) { (try? await screen()).map { $0["out_of_service"] == nil } == true })
        #expect(await eventually(within: .seconds(5)) { await health(base)?.status(of: "outbox") == "ok" })
        #expect(kioskd.stderr.contains("the platform's public key is installed"), "\(kioskd.stderr)")
    }

    @Test("a state disk too full to save an application pauses the kiosk (暂停服务, /healthz state_dir full); freeing space resumes it", .enabled(if: getuid() == 0, "mounts a small tmpfs"))
    func pausedWhenDiskFull() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        #expect(try await run("/bin/mount", ["-t", "tmpfs", "-o", "size=96m", "tmpfs", state]).status == 0)
        defer { _ = try? runTool("/bin/umount", ["-l", state]) }
        try Curve25519.KeyAgreement.PrivateKey().publicKey.pemRepresentation.write(toFile: folder + "/platform.pem", atomically: true, encoding: .utf8)
        let listen = "127.0.0.1:\(freePort())"
        let base = "http://\(listen)"
        let kioskd = try Child(binDirectory + "/kioskd", ["run", "--state-dir", state, "--listen", listen], environment: [
            "KIOSKD_PLATFORM_PUBLIC_KEY": folder + "/platform.pem", "KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"])
        defer { kioskd.signal(SIGKILL) }
        #expect(await eventually(within: .seconds(10)) { await health(base)?.status(of: "state_dir") == "low_space" }, "\(kioskd.stderr)")
        let key = try #require(screenKey(state))
        func outOfService() async -> String? {
            guard let answer = try? await get(base + "/api/screen", key: key),
                  let model = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else { return "unreadable" }
            return model["out_of_service"] as? String
        }
        #expect(await outOfService() == nil)
        // Something else fills the disk.
        let filler = state + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(repeating: 1, count: 40 * 1024 * 1024)))
        #expect(await eventually(within: .seconds(5)) { await outOfService()?.contains("存储空间已满") == true })
        #expect(await health(base)?.status(of: "state_dir") == "full")
        let detail = await health(base)?.components.first { $0.name == "state_dir" }?.detail ?? ""
        #expect(detail.contains("the kiosk is paused") && detail.contains("free"), "\(detail)")
        try FileManager.default.removeItem(atPath: filler)
        #expect(await eventually(within: .seconds(5)) { await outOfService() == nil })
    }

    @Test("an outbox that cannot be opened (a file where its folder belongs) pauses the kiosk: the page, /api/screen and /healthz say why, SIGTERM stops it cleanly; once the outbox opens, kioskd starts by itself")
    func pausedWhileOutboxUnopened() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: state + "/outbox", contents: Data("restored by hand as a file".utf8))
        try Curve25519.KeyAgreement.PrivateKey().publicKey.pemRepresentation.write(toFile: folder + "/platform.pem", atomically: true, encoding: .utf8)
        let environment = ["KIOSKD_PLATFORM_PUBLIC_KEY": folder + "/platform.pem", "KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"]
        func start() throws -> (Child, String) {
            let listen = "127.0.0.1:\(freePort())"
            return (try Child(binDirectory + "/kioskd", ["run", "--state-dir", state, "--listen", listen], environment: environment), "http://\(listen)")
        }
        func outOfService(_ base: String) async -> String? {
            guard let key = screenKey(state), let answer = try? await get(base + "/api/screen", key: key),
                  let model = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else { return "unreadable" }
            return model["out_of_service"] as? String
        }

        let (first, firstBase) = try start()
        #expect(await eventually(within: .seconds(10)) { await health(firstBase)?.status(of: "outbox") == "cannot_open" }, "\(first.stderr)")
        let detail = await health(firstBase)?.components.first { $0.name == "outbox" }?.detail ?? ""
        #expect(detail.contains("cannot create the outbox folder") && detail.contains("starts by itself"), "\(detail)")
        let said = await outOfService(firstBase) ?? ""
        #expect(said.contains("本机暂停服务") && said.contains("无法打开") && said.contains("电话"), "\(said)")
        let page = try await get(firstBase + "/", key: screenKey(state))
        #expect(page?.status == 200 && String(decoding: page?.body ?? Data(), as: UTF8.self).contains("<html"), "the screen's page is served while paused")
        #expect(await get(firstBase + "/api/screen")?.status == 401, "the key is still asked for")
        first.signal(SIGTERM)
        #expect(await first.exitStatus(within: .seconds(15)) == 0, "\(first.stderr)")

        let (second, base) = try start()
        defer { second.signal(SIGKILL) }
        #expect(await eventually(within: .seconds(10)) { await outOfService(base)?.contains("无法打开") == true }, "\(second.stderr)")
        // The maintainer moves the file away: kioskd opens the outbox and starts as usual, on the same address.
        try FileManager.default.removeItem(atPath: state + "/outbox")
        #expect(await eventually(within: .seconds(15)) { await health(base)?.status(of: "outbox") == "ok" }, "\(second.stderr)")
        #expect(await outOfService(base) == nil)
        #expect(second.stderr.contains("the outbox opened: the kiosk is no longer paused"), "\(second.stderr)")
    }

    @Test("a damaged outbox database (a page overwritten, or not a database at all) is refused with exit 65, which the unit does not restart on, says how to recover, and is left byte for byte")
    func damagedDatabase() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        try Curve25519.KeyAgreement.PrivateKey().publicKey.pemRepresentation.write(toFile: folder + "/platform.pem", atomically: true, encoding: .utf8)
        let environment = ["KIOSKD_PLATFORM_PUBLIC_KEY": folder + "/platform.pem",
                           "KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"]
        let churned = try await run(binDirectory + "/kioskd", ["churn", "--state-dir", state, "--applications", "3", "--max-page-bytes", "2000"],
                                    environment: environment)
        #expect(churned.status == 0, "\(churned.stderr)")
        let database = state + "/outbox/outbox.sqlite"
        // Everything into the database file itself, as after any clean stop.
        let checkpoint = try DatabaseQueue(path: database)
        try await checkpoint.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try checkpoint.close()
        let unit = try String(contentsOfFile: repositoryRoot + "/deploy/systemd/kioskd.service", encoding: .utf8)
        #expect(unit.contains("RestartPreventExitStatus=78 65"))
        var original = try Data(contentsOf: URL(fileURLWithPath: database))
        #expect(original.count > 8192)
        // A page of the applications table overwritten, as a failing card would; then a file that is no database at all.
        original.replaceSubrange(4096..<8192, with: Data(repeating: 0x5A, count: 4096))
        for damaged in [original, Data((0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })] {
            try damaged.write(to: URL(fileURLWithPath: database))
            let refused = try await run(binDirectory + "/kioskd", ["run", "--state-dir", state, "--listen", "127.0.0.1:\(freePort())"], environment: environment)
            #expect(refused.status == 65, "\(refused.status): \(refused.stderr)")
            #expect(refused.stderr.contains("is damaged") && refused.stderr.contains("left it exactly as it is") && refused.stderr.contains("backup")
                    && refused.stderr.contains("kioskctl queue accept-loss"), "\(refused.stderr)")
            let after = try Data(contentsOf: URL(fileURLWithPath: database))
            #expect(after == damaged, "kioskd changed the damaged database: \(after.count) bytes, first difference at \(zip(after, damaged).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        }
    }

    @Test("an outbox that went back (restored from an older copy, then emptied): kioskd pauses instead of reusing numbers; accept-loss, and numbers go on above")
    func outboxWentBack() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        let key = Curve25519.KeyAgreement.PrivateKey()
        try key.publicKey.pemRepresentation.write(toFile: folder + "/platform.pem", atomically: true, encoding: .utf8)
        let platform = try PlatformSimulator(privateKey: .x25519(key), outputDirectory: folder + "/platform", port: UInt16(freePort()))
        try platform.start()
        defer { platform.stop() }
        let environment = ["KIOSKD_PLATFORM_URL": platform.url, "KIOSKD_PLATFORM_PUBLIC_KEY": folder + "/platform.pem",
                           "KIOSKD_DEVICES_IDCARD_READER_PORT": "none", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none"]
        func churn(_ count: Int) async throws -> (status: Int32, numbers: [String], stderr: String) {
            let result = try await run(binDirectory + "/kioskd", ["churn", "--state-dir", state, "--applications", String(count), "--max-page-bytes", "2000"],
                                       environment: environment)
            return (result.status, result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }, result.stderr)
        }
        let early = try await churn(1)
        #expect(early.status == 0, "\(early.stderr)")
        try FileManager.default.copyItem(atPath: state + "/outbox", toPath: folder + "/older-copy")
        let later = try await churn(2)
        #expect(later.status == 0, "\(later.stderr)")
        let issued = early.numbers + later.numbers
        #expect(issued.count == 3)

        // A maintainer restores last week's copy of the outbox.
        try FileManager.default.removeItem(atPath: state + "/outbox")
        try FileManager.default.copyItem(atPath: folder + "/older-copy", toPath: state + "/outbox")
        let listen = "127.0.0.1:\(freePort())"
        let kioskd = try Child(binDirectory + "/kioskd", ["run", "--state-dir", state, "--listen", listen], environment: environment)
        let base = "http://\(listen)"
        #expect(await eventually(within: .seconds(5)) { await health(base)?.status(of: "outbox") == "went_back" }, "\(kioskd.stderr)")
        let detail = await health(base)?.components.first { $0.name == "outbox" }?.detail ?? ""
        #expect(detail.contains("new applications are refused") && detail.contains("only up to 1") && detail.contains("kioskctl queue accept-loss"), "\(detail)")
        #expect(await health(base)?.status == "degraded")
        let screen = try #require(await get(base + "/api/screen", key: screenKey(state)))
        let model = try JSONSerialization.jsonObject(with: screen.body) as? [String: Any]
        #expect((model?["out_of_service"] as? String)?.contains("本机暂停服务") == true, "\(model ?? [:])")
        kioskd.signal(SIGTERM)
        #expect(await kioskd.exitStatus(within: .seconds(15)) == 0)

        // Nothing new is issued: not the restored copy's next number, which a resident already holds.
        let refused = try await churn(1)
        #expect(refused.status != 0 && refused.numbers.isEmpty, "\(refused.numbers)")
        #expect(refused.stderr.contains("Nothing new is accepted, so no tracking number is issued twice"), "\(refused.stderr)")

        // Emptied altogether: the same.
        try FileManager.default.removeItem(atPath: state + "/outbox")
        let emptied = try await churn(1)
        #expect(emptied.status != 0 && emptied.stderr.contains("holds no number of"), "\(emptied.stderr)")

        // No newer copy exists: the maintainer accepts the loss; numbers go on above every one issued.
        let accept = try await run(binDirectory + "/kioskctl", ["queue", "accept-loss", "--state-dir", state])
        #expect(accept.status == 0 && accept.stdout.contains("up to 3 are taken as issued"), "\(accept.stdout) \(accept.stderr)")
        let resumed = try await churn(1)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let next = try #require(resumed.numbers.first)
        #expect(!issued.contains(next) && next.split(separator: "-")[2] == "0004", "\(next) after \(issued)")
        let verify = try await run(binDirectory + "/kioskctl", ["audit", "verify", "--state-dir", state])
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}

