import Drivers
import Foundation
import HardwareSim
import KioskCore
import Logging
import Synchronization
import Testing

/// The ESC/POS driver on a real wire (TCP or a pty) with the printer simulator at the far end.
final class PrinterRig: Sendable {
    let wire: any DeviceWire
    let simulator: ReceiptPrinterSimulator
    let printer: ESCPOSPrinter
    let folder: String
    private let tasks: Mutex<[Task<Void, Never>]>

    init(pty: Bool = false, profile: ESCPOSProfile = .generic80) throws {
        folder = temporaryDirectory("printer")
        wire = pty ? try PtyWire(link: folder + "/printer") : try TCPWire(port: 0)
        simulator = try ReceiptPrinterSimulator(dotsPerLine: profile.dotsPerLine, outputDirectory: folder + "/out")
        let wire = self.wire
        simulator.onVanish { wire.unplug() }
        var settings = ESCPOSPrinter.Settings()
        settings.profile = profile
        settings.statusInterval = .milliseconds(200)
        // A status byte comes in microseconds; a second allows for a machine busy with every other suite.
        settings.statusTimeout = .seconds(1)
        printer = ESCPOSPrinter(
            connection: DeviceConnection(
                identity: DeviceIdentity(kind: .receiptPrinter, model: profile.name, port: try DevicePort(parsing: wire.portString)),
                policy: ReconnectPolicy(probeInterval: .milliseconds(50), retryInitial: .milliseconds(20), retryMax: .milliseconds(100)),
                logger: Logger(label: "test")),
            settings: settings, logger: Logger(label: "test"))
        let (simulator, printer) = (simulator, printer)
        tasks = Mutex([Task { await wire.serve(simulator) }, Task { await printer.run() }])
    }

    func ready() async -> Bool { await eventually { self.printer.connection.isConnected } }

    func stop() async {
        await printer.shutdown(grace: .milliseconds(100))
        wire.stop()
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }
}

@Suite("ESC/POS printer against the simulator", .serialized, .timeLimit(.minutes(2)))
struct ESCPOSPrinterTests {
    @Test("a receipt prints with every field, and its QR code decodes to the tracking URL", arguments: [false, true])
    func prints(overPty: Bool) async throws {
        let rig = try PrinterRig(pty: overPty)
        #expect(await rig.ready())
        let receipt = sampleReceipt()
        let outcome = try await rig.printer.printReceipt(receipt)
        #expect(!outcome.reprint)
        #expect(await eventually { rig.simulator.receipts.count == 1 })
        let printed = try #require(rig.simulator.receipts.first)
        #expect(printed.complete)
        for fragment in ["申请回执", receipt.stationName, "办件编号：\(receipt.trackingNumber)", "办理事项：\(receipt.serviceName)", "申请人：王*国",
                         "代办人：李*", receipt.submittedAt, "居民身份证（电子证照）", "承诺办结日期：2026年12月8日", "结果领取：到本站领取", "咨询电话：0551-12345"] {
            #expect(printed.text.contains(fragment), "missing \(fragment)")
        }
        #expect(try decodeQR(try #require(printed.imagePath)) == receipt.trackingURL)
        await rig.stop()
    }

    @Test("paper out before a job: the job is refused with what to do, and nothing prints")
    func paperOutBefore() async throws {
        let rig = try PrinterRig()
        #expect(await rig.ready())
        rig.simulator.paperOut()
        do {
            _ = try await rig.printer.printReceipt(sampleReceipt())
            Issue.record("printed without paper")
        } catch {
            #expect(error.code == .userError)
            #expect(error.message == "the receipt printer cannot print now: the receipt printer is out of paper: load a new roll and press Retry")
        }
        #expect(rig.simulator.receipts.isEmpty)
        #expect(rig.printer.status.conditions.contains(.paperOut))
        await rig.stop()
    }

    @Test("paper out mid-job: the receipt is unprinted; after a new roll the retry prints it once, marked 重印; a third print is refused")
    func paperOutMidJob() async throws {
        let rig = try PrinterRig()
        #expect(await rig.ready())
        rig.simulator.paperOut(afterLines: 5)
        let receipt = sampleReceipt()
        do {
            _ = try await rig.printer.printReceipt(receipt)
            Issue.record("a receipt cut short by paper out was reported printed")
        } catch {
            #expect(error.message.contains("did not finish printing"))
            #expect(error.message.contains("重印"))
        }
        #expect(await eventually { rig.printer.status.conditions.contains(.paperOut) })
        rig.simulator.loadPaper()
        let retry = try await rig.printer.printReceipt(receipt)
        #expect(retry.reprint)
        #expect(await eventually { rig.simulator.receipts.filter(\.complete).count == 1 })
        let complete = rig.simulator.receipts.filter(\.complete)
        #expect(complete.count == 1)
        #expect(complete.first?.text.hasPrefix("【重印 REPRINT】") == true)
        do {
            _ = try await rig.printer.printReceipt(receipt)
            Issue.record("the same receipt printed twice without being asked for a reprint")
        } catch {
            #expect(error.code == .refused)
        }
        let copy = try await rig.printer.printReceipt(receipt.reprinted)
        #expect(copy.reprint)
        #expect(await eventually { rig.simulator.receipts.filter(\.complete).count == 2 })
        await rig.stop()
    }

    @Test("cover open and a jammed cutter are reported with what to do", arguments: ["cover", "cutter"])
    func faults(_ fault: String) async throws {
        let rig = try PrinterRig()
        #expect(await rig.ready())
        if fault == "cover" { rig.simulator.cover(open: true) } else { rig.simulator.cutter(jammed: true) }
        let status = await rig.printer.refreshStatus()
        if fault == "cover" {
            #expect(status.state == .userError)
            #expect(status.conditions == [.coverOpen])
            #expect(status.message == "the receipt printer's cover is open: close it and press Retry")
        } else {
            #expect(status.state == .hardwareError)
            #expect(status.conditions == [.cutterError])
        }
        await #expect(throws: DeviceError.self) { _ = try await rig.printer.printReceipt(sampleReceipt()) }
        if fault == "cover" { rig.simulator.cover(open: false) } else { rig.simulator.cutter(jammed: false) }
        #expect(await rig.printer.refreshStatus() == .online)
        await rig.stop()
    }

    @Test("paper low is a warning: the receipt prints and the status says to load a roll soon")
    func paperLow() async throws {
        let rig = try PrinterRig()
        #expect(await rig.ready())
        rig.simulator.paperLow()
        let outcome = try await rig.printer.printReceipt(sampleReceipt())
        #expect(outcome.warnings == [.paperLow])
        #expect(rig.printer.status.state == .online)
        #expect(rig.printer.status.message == "paper is running low: load a new roll soon")
        await rig.stop()
    }

    @Test("a printer that stops answering status is refused with a clear error, not a hang")
    func silentStatus() async throws {
        let rig = try PrinterRig()
        #expect(await rig.ready())
        rig.simulator.status(silent: true)
        do {
            _ = try await rig.printer.printReceipt(sampleReceipt())
            Issue.record("printed without a status answer")
        } catch {
            #expect(error.message.contains("does not answer status requests"))
        }
        #expect(rig.simulator.receipts.isEmpty)
        await rig.stop()
    }

    @Test("a printer going away mid-job: the receipt is unprinted; when it is back the retry is a reprint")
    func vanishMidJob() async throws {
        let rig = try PrinterRig()
        #expect(await rig.ready())
        rig.simulator.vanish(afterBytes: 400)
        let receipt = sampleReceipt()
        await #expect(throws: DeviceError.self) { _ = try await rig.printer.printReceipt(receipt) }
        try rig.wire.replug()
        #expect(await rig.ready())
        let retry = try await rig.printer.printReceipt(receipt)
        #expect(retry.reprint)
        #expect(await eventually { rig.simulator.receipts.filter(\.complete).count == 1 })
        await rig.stop()
    }

    @Test("a name with a character the printer's font lacks prints as an image line, which the simulator draws")
    func rareCharacter() async throws {
        let rig = try PrinterRig(profile: .generic58)
        #expect(await rig.ready())
        _ = try await rig.printer.printReceipt(sampleReceipt(applicant: "刘䶮"))
        #expect(await eventually { rig.simulator.receipts.count == 1 })
        let lines = try #require(rig.simulator.receipts.first).text.split(separator: "\n").map(String.init)
        let service = try #require(lines.firstIndex { $0.hasPrefix("办理事项") })
        // The service name wraps on 58 mm paper; the applicant line follows as an image.
        let image = try #require(lines[service...].firstIndex { $0.hasPrefix("[image") })
        #expect(lines[image] == "[image 384x24]")
        #expect(!lines.contains { $0.contains("刘") }, "the line was not sent as text")
        #expect(lines[image + 1].hasPrefix("代办人"))
        await rig.stop()
    }
}
