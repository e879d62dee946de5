import Drivers
import Foundation
import KioskCore
import Logging
import Testing

/// Against a real cupsd with the cups-pdf queue KioskPDF, which `make test`
/// starts (scripts/start-cups.sh).
@Suite("A4 printing through a real CUPS", .serialized, .timeLimit(.minutes(2)))
struct CUPSPrinterTests {
    static let queue = "KioskPDF"
    static var outputFolder: String { FileManager.default.homeDirectoryForCurrentUser.path + "/PDF" }

    func printer() -> CUPSPrinter { CUPSPrinter(queue: Self.queue, pollInterval: .milliseconds(200), logger: Logger(label: "test")) }

    /// The PDF cups-pdf wrote for a job (its name ends in job_ID.pdf).
    func output(of job: Int32) async -> String? {
        let suffix = "job_\(job).pdf"
        var found: String?
        _ = await eventually(within: .seconds(20)) {
            found = (try? FileManager.default.contentsOfDirectory(atPath: Self.outputFolder))?.first { $0.hasSuffix(suffix) }
            return found != nil
        }
        return found.map { Self.outputFolder + "/" + $0 }
    }

    @Test("CUPS is running with the test queue (make test starts it)")
    func queueExists() throws {
        let queues = try CUPSPrinter.queues()
        #expect(queues.contains { $0.name == Self.queue }, "no \(Self.queue) among \(queues.map(\.name)): run scripts/start-cups.sh")
    }

    @Test("a receipt and an A4 form arrive as PDF files whose text has the tracking number; completion means accepted by the spooler")
    func printsPDFs() async throws {
        let a4 = printer()
        #expect(await a4.refreshStatus() == .online)
        let receipt = sampleReceipt()
        for (title, document) in [("receipt", ReceiptLayout.document(receipt, columns: 48)), ("form", sampleForm().document())] {
            let outcome = try await a4.print(document, title: "kioskd-test-\(title)", timeout: .seconds(30))
            guard case .acceptedBySpooler(let job) = outcome else {
                Issue.record("\(title): \(outcome)")
                continue
            }
            let path = try #require(await output(of: job), "cups-pdf wrote no file for job \(job) in \(Self.outputFolder)")
            let text = try runTool("/usr/bin/pdftotext", [path, "-"])
            #expect(text.output.contains(receipt.trackingNumber), "\(title): \(text.output)")
        }
    }

    @Test("a job to a stopped queue reports the queue's reason; cancel removes the job")
    func stoppedQueue() async throws {
        _ = try runTool("/usr/sbin/cupsdisable", ["-r", "kioskd test: printer switched off", Self.queue])
        defer { _ = try? runTool("/usr/sbin/cupsenable", [Self.queue]) }
        let a4 = printer()
        let status = await a4.refreshStatus()
        #expect(status.state == .offline)
        #expect(status.message?.contains("the CUPS queue KioskPDF is stopped") == true)
        #expect(status.message?.contains("cupsenable KioskPDF") == true)
        let outcome = try await a4.print(sampleForm().document(), title: "kioskd-test-stopped", timeout: .seconds(3))
        guard case .waiting(let job, let reason) = outcome else {
            Issue.record("a job to a stopped queue was reported \(outcome)")
            return
        }
        #expect(reason.contains("stopped"))
        #expect(reason.contains("paused"))
        #expect(reason.contains("printer switched off"))
        try await a4.cancel(job)
        #expect(await eventually { await a4.jobState(job) == 7 })
    }

    @Test("a resident's form the spooler does not finish is canceled, never left to print when the queue comes back; CUPS keeps no printed document")
    func formCanceled() async throws {
        _ = try runTool("/usr/sbin/cupsdisable", ["-r", "kioskd test: out of paper", Self.queue])
        defer { _ = try? runTool("/usr/sbin/cupsenable", [Self.queue]) }
        let a4 = CUPSPrinter(queue: Self.queue, pollInterval: .milliseconds(200), documentTimeout: .seconds(2), logger: Logger(label: "test"))
        let failure = await #expect(throws: DeviceError.self) { try await a4.printDocument(sampleForm().document(), title: "kioskd-test-held-form") }
        #expect(failure?.code == .canceled && failure?.message.contains("will not print later") == true, "\(failure?.message ?? "")")
        let held = try runTool("/usr/bin/lpstat", ["-o", Self.queue]).output
        #expect(!held.contains("KioskPDF-"), "a job still waits in the queue: \(held)")
        #expect(CUPSPrinter.keepsJobFiles() == false, "CUPS keeps printed documents (make test sets PreserveJobFiles=No, as the package does)")
        let report = await a4.healthCheck(.external)
        #expect(report.items.first { $0.name == "printed documents not kept" }?.outcome == .passed, "\(report.items)")
    }

    @Test("a queue CUPS does not have is noDevice, with how to find the right name")
    func missingQueue() async {
        let status = await CUPSPrinter(queue: "NoSuchQueue", logger: Logger(label: "test")).refreshStatus()
        #expect(status.state == .noDevice)
        #expect(status.message == "CUPS has no queue NoSuchQueue: `lpstat -p` lists the queues; fix devices.a4_printer.port")
    }
}
