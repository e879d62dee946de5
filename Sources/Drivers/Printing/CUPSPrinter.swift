import CCups
import Foundation
import KioskCore
import Logging
import Synchronization
import SystemIO

/// A CUPS print queue as `kioskctl` and `/healthz` see it.
public struct CUPSQueue: Sendable, Hashable {
    /// The queue's name (`cups:NAME`).
    public var name: String
    /// Whether it is the system's default destination.
    public var isDefault: Bool
    /// `idle`, `processing` or `stopped`.
    public var state: String
    /// `printer-state-reasons`, without `none`.
    public var reasons: [String]
    /// `printer-state-message`, if any.
    public var message: String?
    /// Whether it takes new jobs (`cupsaccept` / `cupsreject`).
    public var acceptingJobs: Bool
}

/// How a job ended, as far as kioskd can know: CUPS's "completed" means the
/// spooler handed the job on, not that paper came out.
public enum CUPSJobOutcome: Sendable, Hashable {
    /// The spooler accepted and processed the job (not proof of paper).
    case acceptedBySpooler(jobID: Int32)
    /// The job waits: the queue is stopped or the printer reports a problem; the reason says which.
    case waiting(jobID: Int32, reason: String)
}

/// The A4 printer: a CUPS queue driven through libcups. Jobs are streamed to
/// the spooler (no file with residents' data is written on the kiosk), their
/// state polled to completion, and the queue's state and
/// `printer-state-reasons` (media-empty, door-open, paused, …) published as
/// the device's status.
public final class CUPSPrinter: DocumentPrinter {
    /// The queue's name.
    public let queue: String
    public let identity: DeviceIdentity
    private let broadcaster = StatusBroadcaster(DeviceStatus(.noDevice, message: "not checked yet"))
    private let commands: DeviceCommandQueue
    private let pollInterval: Duration
    private let logger: Logger
    private let stopped = Mutex(false)

    /// Creates a printer for `queue`.
    /// How long a resident's document may wait in the spooler before it is canceled (``printDocument(_:title:)``).
    public let documentTimeout: Duration

    public init(queue: String, model: String = "CUPS", pollInterval: Duration = .seconds(5), documentTimeout: Duration = .seconds(60),
                logger: Logger = Logger(label: "kioskd.a4")) {
        self.queue = queue
        self.documentTimeout = documentTimeout
        identity = DeviceIdentity(kind: .documentPrinter, model: model, port: .cups(queue: queue))
        commands = DeviceCommandQueue(device: "A4 printer")
        self.pollInterval = pollInterval
        var logger = logger
        logger[metadataKey: "device"] = "a4_printer"
        self.logger = logger
    }

    public var status: DeviceStatus { broadcaster.current }
    public func statusChanges() -> AsyncStream<DeviceStatus> { broadcaster.changes() }

    public func run() async {
        while !Task.isCancelled, !stopped.withLock({ $0 }) {
            _ = await refreshStatus()
            try? await Task.sleep(for: pollInterval)
        }
    }

    public func shutdown(grace: Duration) async {
        stopped.withLock { $0 = true }
        await commands.shutdown(grace: grace)
        broadcaster.update(DeviceStatus(.offline, message: "kioskd stopped"))
        broadcaster.finish()
    }

    // MARK: Queues

    /// Every queue CUPS knows. Throws when CUPS cannot be reached.
    public static func queues() throws(DeviceError) -> [CUPSQueue] {
        var destinations: UnsafeMutablePointer<cups_dest_t>?
        let count = cupsGetDests2(nil, &destinations)
        defer { cupsFreeDests(count, destinations) }
        if count == 0, cupsLastError().rawValue > IPP_STATUS_OK_CONFLICTING.rawValue, cupsLastError() != IPP_STATUS_ERROR_NOT_FOUND {
            throw DeviceError(.offline, "CUPS cannot be reached (\(String(cString: cupsLastErrorString()))): is cupsd running?")
        }
        guard let destinations else { return [] }
        return (0..<Int(count)).map { index in
            let destination = destinations[index]
            func option(_ name: String) -> String? {
                cupsGetOption(name, destination.num_options, destination.options).map { String(cString: $0) }
            }
            let state = switch option("printer-state") {
            case "4": "processing"
            case "5": "stopped"
            default: "idle"
            }
            let reasons = (option("printer-state-reasons") ?? "").split(separator: ",").map(String.init).filter { $0 != "none" && !$0.isEmpty }
            let name = String(cString: destination.name)
            return CUPSQueue(
                name: name, isDefault: destination.is_default != 0, state: state, reasons: reasons,
                // The destination list leaves out the message (why an administrator stopped
                // the queue, what the backend said): ask for it when there is something to explain.
                message: state == "idle" && reasons.isEmpty ? nil : stateMessage(of: name),
                acceptingJobs: option("printer-is-accepting-jobs") != "false")
        }
    }

    /// `printer-state-message` by an IPP Get-Printer-Attributes request.
    static func stateMessage(of queue: String) -> String? {
        guard let request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES) else { return nil }
        let uri = "ipp://localhost/printers/\(queue)"
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, uri)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", nil, "printer-state-message")
        guard let response = cupsDoRequest(nil, request, "/") else { return nil }  // frees the request
        defer { ippDelete(response) }
        guard let attribute = ippFindAttribute(response, "printer-state-message", IPP_TAG_TEXT), let text = ippGetString(attribute, 0, nil) else { return nil }
        let message = String(cString: text)
        return message.isEmpty ? nil : message
    }

    /// Reads the queue's state now and publishes it.
    public func refreshStatus() async -> DeviceStatus {
        let queue = self.queue
        let status: DeviceStatus
        do {
            let queues = try await onIOThread { () throws -> [CUPSQueue] in try Self.queues() }
            if let found = queues.first(where: { $0.name == queue }) {
                status = Self.status(of: found)
            } else {
                status = DeviceStatus(.noDevice, message: "CUPS has no queue \(queue): `lpstat -p` lists the queues; fix devices.a4_printer.port")
            }
        } catch let error as DeviceError {
            status = DeviceStatus(.offline, message: error.message)
        } catch {
            status = DeviceStatus(.offline, message: "\(error)")
        }
        broadcaster.update(status)
        return status
    }

    /// A queue's state as a device status, worded for whoever must act.
    static func status(of queue: CUPSQueue) -> DeviceStatus {
        let reasons = Set(queue.reasons.map { $0.replacingOccurrences(of: "-error", with: "").replacingOccurrences(of: "-warning", with: "").replacingOccurrences(of: "-report", with: "") })
        let detail = queue.reasons.isEmpty ? "" : " (\(queue.reasons.joined(separator: ", ")))"
        if reasons.contains("media-empty") || reasons.contains("media-needed") {
            return DeviceStatus(.userError, conditions: [.paperOut], message: "the A4 printer is out of paper: load paper\(detail)")
        }
        if reasons.contains("media-jam") {
            return DeviceStatus(.userError, conditions: [.paperJam], message: "paper is jammed in the A4 printer: open it and remove the sheet\(detail)")
        }
        if reasons.contains("door-open") || reasons.contains("cover-open") {
            return DeviceStatus(.userError, conditions: [.coverOpen], message: "the A4 printer's door is open: close it\(detail)")
        }
        if queue.state == "stopped" {
            return DeviceStatus(.offline, message: "the CUPS queue \(queue.name) is stopped\(detail): fix the printer, then run `cupsenable \(queue.name)`" + (queue.message.map { "; CUPS says: \($0)" } ?? ""))
        }
        if !queue.acceptingJobs {
            return DeviceStatus(.offline, message: "the CUPS queue \(queue.name) refuses jobs: run `cupsaccept \(queue.name)`")
        }
        if reasons.contains("offline") {
            return DeviceStatus(.offline, message: "the A4 printer is offline\(detail): check that it is on and connected")
        }
        if reasons.contains("media-low") || reasons.contains("toner-low") {
            return DeviceStatus(.online, conditions: reasons.contains("media-low") ? [.paperLow] : [], message: "the A4 printer needs attention soon\(detail)")
        }
        return .online
    }

    // MARK: Jobs

    /// Sends a PDF as a job and returns the job's id once the spooler has it.
    public func submit(pdf: [UInt8], title: String) async throws(DeviceError) -> Int32 {
        let queue = self.queue
        do {
            return try await onIOThread { () throws -> Int32 in
                let job = cupsCreateJob(nil, queue, title, 0, nil)
                guard job > 0 else {
                    throw DeviceError(.offline, "CUPS refused a job for \(queue): \(String(cString: cupsLastErrorString()))")
                }
                guard cupsStartDocument(nil, queue, job, title, "application/pdf", 1) == HTTP_STATUS_CONTINUE else {
                    throw DeviceError(.offline, "CUPS refused the document for job \(job): \(String(cString: cupsLastErrorString()))")
                }
                let written = pdf.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { cupsWriteRequestData(nil, $0, buffer.count) }
                }
                guard written == HTTP_STATUS_CONTINUE, cupsFinishDocument(nil, queue) == IPP_STATUS_OK else {
                    throw DeviceError(.offline, "sending job \(job) to CUPS failed: \(String(cString: cupsLastErrorString()))")
                }
                return job
            }
        } catch let error as DeviceError {
            throw error
        } catch {
            throw DeviceError(.internalError, "\(error)")
        }
    }

    /// A job's IPP state: 3 pending, 4 held, 5 processing, 6 stopped, 7 canceled, 8 aborted, 9 completed; nil if unknown.
    public func jobState(_ jobID: Int32) async -> Int32? {
        let queue = self.queue
        return try? await onIOThread { () -> Int32? in
            var jobs: UnsafeMutablePointer<cups_job_t>?
            let count = cupsGetJobs2(nil, &jobs, queue, 0, CUPS_WHICHJOBS_ALL)
            defer { cupsFreeJobs(count, jobs) }
            guard let jobs else { return nil }
            return (0..<Int(count)).first { jobs[$0].id == jobID }.map { Int32(jobs[$0].state.rawValue) }
        }
    }

    /// Cancels a job.
    public func cancel(_ jobID: Int32) async throws(DeviceError) {
        let queue = self.queue
        let status = (try? await onIOThread { cupsCancelJob2(nil, queue, jobID, 0).rawValue }) ?? IPP_STATUS_ERROR_INTERNAL.rawValue
        guard status <= IPP_STATUS_OK_CONFLICTING.rawValue else {
            throw DeviceError(.offline, "CUPS could not cancel job \(jobID): \(String(cString: cupsLastErrorString()))")
        }
    }

    /// Waits until the spooler has finished with the job, or reports why it waits.
    public func waitForJob(_ jobID: Int32, timeout: Duration) async throws(DeviceError) -> CUPSJobOutcome {
        let deadline = ContinuousClock.now + timeout
        while true {
            switch await jobState(jobID) {
            case 9?: return .acceptedBySpooler(jobID: jobID)
            case 7?: throw DeviceError(.canceled, "job \(jobID) was canceled")
            case 8?: throw DeviceError(.hardwareError, "CUPS aborted job \(jobID): the printer or its filter failed; see `lpstat -l -p \(queue)`")
            default: break
            }
            let queueStatus = await refreshStatus()
            if queueStatus.state != .online, ContinuousClock.now + .milliseconds(500) >= deadline || queueStatus.state == .offline {
                return .waiting(jobID: jobID, reason: queueStatus.message ?? queueStatus.state.rawValue)
            }
            if ContinuousClock.now >= deadline {
                return .waiting(jobID: jobID, reason: "the job is still queued after \(timeout.formatted)")
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Prints a document (a receipt on A4, a form) and waits for the spooler.
    public func print(_ document: PrintDocument, title: String, timeout: Duration = .seconds(60)) async throws(DeviceError) -> CUPSJobOutcome {
        // Without the outline font Chinese still prints, as images: readable on paper, not as text.
        let outlines = try? TrueTypeFont.shared()
        let pdf = PDFWriter().render(document, font: try BitmapFont.shared(), outlines: outlines)
        let completion = await commands.run("print \(title)", timeout: timeout + .seconds(5)) {
            let job = try await self.submit(pdf: pdf, title: title)
            self.logger.info("job \(job) sent to \(self.queue)")
            return try await self.waitForJob(job, timeout: timeout)
        }
        return try completion.get()
    }

    /// Prints a resident's document (a guide, a form for signature). One the spooler does not finish in
    /// time is canceled, never left to print later for whoever stands at the printer then: it throws
    /// ``DeviceError/Code/canceled`` once canceled (nothing will print), anything else when it may still.
    public func printDocument(_ document: PrintDocument, title: String) async throws(DeviceError) {
        switch try await print(document, title: title, timeout: documentTimeout) {
        case .acceptedBySpooler: return
        case .waiting(let job, let reason):
            do { try await cancel(job) } catch {
                throw DeviceError(.hardwareError, "the A4 printer holds job \(job) (\(reason)) and CUPS could not cancel it: \(error.message); cancel it with `cancel \(job)`")
            }
            throw DeviceError(.canceled, "the A4 printer did not print job \(job) (\(reason)); it was canceled and will not print later")
        }
    }

    /// Whether CUPS keeps printed documents in its spool (its `PreserveJobFiles`, a day by default); nil when
    /// its settings cannot be read. The package sets it to No, and the health check holds it there.
    public static func keepsJobFiles() -> Bool? {
        var count: Int32 = 0
        var settings: UnsafeMutablePointer<cups_option_t>?
        guard cupsAdminGetServerSettings(nil, &count, &settings) == 1 else { return nil }
        defer { cupsFreeOptions(count, settings) }
        guard let value = cupsGetOption("PreserveJobFiles", count, settings) else { return true }
        return !["no", "off", "false", "0"].contains(String(cString: value).lowercased())
    }

    // MARK: Health

    public func healthCheck(_ level: HealthCheckLevel) async -> HealthReport {
        switch level {
        case .internal:
            let noop = await commands.run("health check", timeout: .seconds(2)) { () }
            return HealthReport(device: identity, level: .internal, items: [
                .init("command queue", noop.outcome == "success" ? .passed : .failed, noop.outcome),
            ])
        case .external:
            let status = await refreshStatus()
            let keeps = (try? await onIOThread { Self.keepsJobFiles() }) ?? nil
            return HealthReport(device: identity, level: .external, items: [
                .init("CUPS queue \(queue)", status.state == .online ? .passed : .failed, status.message ?? "ready"),
                .init("printed documents not kept", keeps == false ? .passed : .failed,
                      keeps == false ? "CUPS keeps no job files (PreserveJobFiles No)"
                          : keeps == nil ? "CUPS's settings cannot be read; run `cupsctl PreserveJobFiles=No` as root to be sure"
                          : "CUPS keeps each printed document in its spool (a form holds the resident's name, ID number and address): run `cupsctl PreserveJobFiles=No` as root"),
            ])
        case .interactive:
            let item: HealthReport.Item
            do {
                let outcome = try await print(ReceiptLayout.document(ESCPOSPrinter.testReceipt(id: "a4-selftest"), columns: 80), title: "kioskd test page")
                item = switch outcome {
                case .acceptedBySpooler(let job): .init("print a test page", .passed, "job \(job) accepted by the spooler: check that the page came out")
                case .waiting(let job, let reason): .init("print a test page", .failed, "job \(job) waits: \(reason)")
                }
            } catch {
                item = .init("print a test page", .failed, error.message)
            }
            return HealthReport(device: identity, level: .interactive, items: [item])
        }
    }
}
