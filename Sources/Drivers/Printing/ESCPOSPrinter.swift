import KioskCore
import Logging
import Synchronization

/// An ESC/POS receipt printer on any transport (`tcp:` port 9100, `usb:`,
/// `serial:`). It asks the printer's real-time status (DLE EOT 1–4) before
/// and after every job and every few seconds while idle, refuses a job
/// while the printer is faulted, and keeps a journal of receipts so a retry
/// after a fault prints once, marked 重印.
public final class ESCPOSPrinter: ReceiptPrinter, ConnectionDriver {
    /// Settings.
    public struct Settings: Sendable {
        /// The printer model.
        public var profile = ESCPOSProfile.generic80
        /// How often an idle printer's status is asked.
        public var statusInterval = Duration.seconds(5)
        /// How long a status request may wait for its byte.
        public var statusTimeout = Duration.milliseconds(500)

        /// The defaults.
        public init() {}
    }

    /// The port and its supervision.
    public let connection: DeviceConnection
    private let settings: Settings
    private let encoder: ESCPOSEncoder
    private let journal: any ReceiptJournal
    private let logger: Logger
    private let stopped = Mutex(false)

    /// Creates a printer on `connection`.
    public init(connection: DeviceConnection, settings: Settings = Settings(), journal: any ReceiptJournal = MemoryReceiptJournal(), logger: Logger = Logger(label: "kioskd.printer")) {
        self.connection = connection
        self.settings = settings
        self.encoder = ESCPOSEncoder(profile: settings.profile)
        self.journal = journal
        var logger = logger
        logger[metadataKey: "device"] = "receipt_printer"
        self.logger = logger
    }


    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.connection.run() }
            group.addTask {
                while !Task.isCancelled, !self.stopped.withLock({ $0 }) {
                    if self.connection.isConnected { _ = await self.refreshStatus() }
                    try? await Task.sleep(for: self.settings.statusInterval)
                }
            }
        }
    }

    public func shutdown(grace: Duration) async {
        stopped.withLock { $0 = true }
        await connection.shutdown(grace: grace)
    }

    // MARK: Printing

    public func printReceipt(_ requested: Receipt) async throws(DeviceError) -> PrintOutcome {
        let receipt: Receipt
        switch journal.state(of: requested.id) {
        case .printed? where !requested.isReprint:
            throw DeviceError(.refused, "receipt \(requested.id) was printed already; print it as a reprint (marked 重印) if another copy is needed")
        case .unprinted?:
            receipt = requested.reprinted  // part of it may have come out
        default:
            receipt = requested
        }
        let bytes = try encoder.encode(ReceiptLayout.document(receipt, columns: settings.profile.columns))
        let journal = self.journal, id = receipt.id
        do {
            let warnings = try await send(bytes, "receipt", unfinished: "; it will print again, marked 重印", timedOut: " (the receipt will say 重印)",
                                          starting: { journal.record(id, .unprinted) }, finished: { journal.record(id, .printed) })
            logger.info("printed receipt \(id)\(receipt.isReprint ? " (reprint)" : "")")
            return PrintOutcome(receiptID: id, reprint: receipt.isReprint, warnings: warnings)
        } catch {
            logger.warning("receipt \(id) not printed: \(error.message)")
            throw error
        }
    }

    public func printNotice(_ notice: Notice) async throws(DeviceError) {
        let bytes = try encoder.encode(notice.document(columns: settings.profile.columns))
        do {
            _ = try await send(bytes, notice.title)
            logger.info("printed a \(notice.title)")
        } catch {
            logger.warning("a \(notice.title) not printed: \(error.message)")
            throw error
        }
    }

    /// One job: the status asked before (refused unless online), the bytes, the status after; the
    /// conditions worth telling (paper low). `starting` runs once the printer takes the job, `finished`
    /// once it has printed it whole.
    private func send(_ bytes: [UInt8], _ what: String, unfinished: String = "", timedOut: String = "",
                      starting: @escaping @Sendable () -> Void = {}, finished: @escaping @Sendable () -> Void = {}) async throws(DeviceError) -> Set<DeviceCondition> {
        let completion = await connection.perform("print \(what)", timeout: .seconds(30) + .milliseconds(bytes.count / 10)) { transport in
            let before = try await self.askStatus(on: transport)
            guard before.state == .online else { throw Self.refusal(before) }
            starting()
            // 11,520 bytes/s is a 115200-baud line; allow twice that time, and at least 5 s.
            try await transport.write(bytes, deadline: .now + .seconds(5) + .milliseconds(bytes.count / 6))
            let after = try await self.askStatus(on: transport)
            guard after.state == .online else {
                throw DeviceError(after.state == .hardwareError ? .hardwareError : .userError,
                                  "the \(what) did not finish printing: \(after.message ?? after.state.rawValue)\(unfinished)", resident: Self.residentPhrase(after))
            }
            finished()
            return after.conditions
        }.completion
        switch completion {
        case .success(let warnings): return warnings
        case .failed(let error): throw error
        case .timedOut(let after): throw DeviceError(.timedOut, "the receipt printer did not finish within \(after.formatted): check it and retry\(timedOut)")
        case .canceled: throw DeviceError(.canceled, "printing was canceled")
        }
    }

    private static func refusal(_ status: DeviceStatus) -> DeviceError {
        DeviceError(status.state == .hardwareError ? .hardwareError : .userError,
                    "the receipt printer cannot print now: \(status.message ?? status.state.rawValue)", resident: residentPhrase(status))
    }

    /// What a resident is told about the printer (the rest is a fault for the station agent).
    private static func residentPhrase(_ status: DeviceStatus) -> Phrase? {
        if status.conditions.contains(.paperOut) { return .receiptPrinterPaperOut }
        if status.conditions.contains(.coverOpen) { return .receiptPrinterCoverOpen }
        return nil
    }

    // MARK: Status

    public func refreshStatus() async -> DeviceStatus {
        let completion = await connection.perform("status", timeout: settings.statusTimeout * 10) { transport in
            try await self.askStatus(on: transport)
        }.completion
        if case .failed(let error) = completion, error.code != .noDevice, error.code != .disconnected {
            connection.report(DeviceStatus(.offline, message: error.message))
        }
        return connection.status
    }

    /// DLE EOT 1–4, one at a time, each reply checked against the 0xx1xx10
    /// pattern before the next is asked; publishes the result.
    func askStatus(on transport: any ByteTransport) async throws -> DeviceStatus {
        var replies: [ESCPOS.StatusKind: UInt8] = [:]
        for kind in ESCPOS.StatusKind.allCases {
            replies[kind] = try await statusByte(kind, on: transport)
        }
        let status = Self.decode(replies)
        connection.report(status)
        return status
    }

    private func statusByte(_ kind: ESCPOS.StatusKind, on transport: any ByteTransport) async throws -> UInt8 {
        for attempt in 1...2 {
            try await transport.flushInput()
            try await transport.write(ESCPOS.statusRequest(kind), deadline: .now + settings.statusTimeout)
            let reply: [UInt8]
            do {
                reply = try await transport.read(maxCount: 1, deadline: .now + settings.statusTimeout)
            } catch let error as DeviceError where error.code == .timedOut {
                if attempt == 2 {
                    throw DeviceError(.offline, "the receipt printer does not answer status requests (DLE EOT): check that it is switched on and speaks ESC/POS")
                }
                continue
            }
            if reply[0] & 0x93 == 0x12 { return reply[0] }
            logger.debug("status reply \(reply[0]) breaks the 0xx1xx10 pattern; asking again")
        }
        throw DeviceError(.protocolError, "the receipt printer's status replies are garbled: check the cable and the port settings")
    }

    /// What the four status bytes say, worded for whoever must act.
    static func decode(_ replies: [ESCPOS.StatusKind: UInt8]) -> DeviceStatus {
        let offlineCause = replies[.offlineCause] ?? 0x12
        let errorCause = replies[.errorCause] ?? 0x12
        let paper = replies[.paperSensor] ?? 0x12
        let paperOut = paper & 0x60 != 0 || offlineCause & 0x20 != 0
        let paperLow = paper & 0x0C != 0
        let coverOpen = offlineCause & 0x04 != 0
        let cutterError = errorCause & 0x08 != 0
        let unrecoverable = errorCause & 0x20 != 0
        if unrecoverable {
            return DeviceStatus(.hardwareError, message: "the receipt printer reports an unrecoverable error: switch it off and on; if it persists, call the maintainer")
        }
        if cutterError {
            return DeviceStatus(.hardwareError, conditions: [.cutterError], message: "the receipt printer's cutter is jammed: open the cover, clear the paper from the cutter, close it")
        }
        if coverOpen {
            return DeviceStatus(.userError, conditions: [.coverOpen], message: "the receipt printer's cover is open: close it and press Retry")
        }
        if paperOut {
            return DeviceStatus(.userError, conditions: [.paperOut], message: "the receipt printer is out of paper: load a new roll and press Retry")
        }
        if (replies[.printer] ?? 0x12) & 0x08 != 0 {
            return DeviceStatus(.offline, message: "the receipt printer is offline: check its panel")
        }
        if paperLow {
            return DeviceStatus(.online, conditions: [.paperLow], message: "paper is running low: load a new roll soon")
        }
        return .online
    }

    // MARK: Health

    public func healthCheck(_ level: HealthCheckLevel) async -> HealthReport {
        switch level {
        case .internal:
            return await connection.healthCheck(.internal)
        case .external:
            var report = await connection.healthCheck(.external)
            guard report.outcome == .passed else { return report }
            let status = await refreshStatus()
            let ok = status.state == .online
            report.items.append(HealthReport.Item("printer status", ok ? .passed : .failed, status.message ?? "ready"))
            return report
        case .interactive:
            let outcome: HealthReport.Item
            do {
                let printed = try await printReceipt(Self.testReceipt(id: "selftest-\(ContinuousClock.now)"))
                outcome = HealthReport.Item("print a test receipt", .passed, printed.warnings.contains(.paperLow) ? "printed; paper is running low" : "printed: check that it came out, cut, with the QR code")
            } catch {
                outcome = HealthReport.Item("print a test receipt", .failed, error.message)
            }
            return HealthReport(device: identity, level: .interactive, items: [outcome])
        }
    }

    /// The test receipt of `kioskctl printer test` and the interactive check: Chinese text, a QR code, a cut.
    public static func testReceipt(id: String) -> Receipt {
        Receipt(
            id: id, trackingNumber: "TEST-0000", stationName: "打印机测试 Printer test", serviceName: "测试回执（不是办件）",
            applicant: "测*试", submittedAt: "—", materials: [.init(name: "中文字体测试：受理回执 办件编号", how: "GB 18030")],
            promise: .immediately, delivery: "无", trackingURL: "https://kioskd.example/printer-test", enquiries: "kioskd \(KioskVersion.current)")
    }
}
