import ArgumentParser
import Foundation
import KioskCore
import Outbox

/// `kioskctl queue`: the outbox as a maintainer needs it. It opens the
/// database beside a running kioskd (SQLite's WAL lets both in) and never
/// touches the sealed files.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "The applications waiting for the platform: counts, the oldest, the last error; show one; retry one; send them all now.",
        subcommands: [Summary.self, Show.self, Events.self, Retry.self, DrainCommand.self, AcceptLoss.self],
        defaultSubcommand: Summary.self)

    struct Location: ParsableArguments {
        @Option(name: .customLong("state-dir"), help: "kioskd's state directory (default: KIOSKD_STATE_DIR, or ./var).")
        var stateDirectory = ProcessInfo.processInfo.environment["KIOSKD_STATE_DIR"] ?? "./var"

        func open() throws -> Outbox {
            do {
                return try Outbox.attach(directory: stateDirectory + "/outbox")
            } catch {
                complain("kioskctl: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary",
            abstract: "Counts by state, the oldest waiting application, bytes waiting, the last error, and what waits.")

        @OptionGroup var location: Location
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "List at most this many waiting applications.") var limit = 20

        struct Report: Encodable {
            var queued: Int
            var acknowledged: Int
            var deadLetters: Int
            var missingFiles: Int
            var oldestQueuedSeconds: Int?
            var bytesWaiting: Int
            var lastError: String?
            var waiting: [Entry]
        }

        func run() async throws {
            let outbox = try location.open()
            defer { try? outbox.close() }
            let summary = try outbox.summary()
            let waiting = try outbox.unsettled(limit: limit)
            let report = Report(
                queued: summary.counts[.queued] ?? 0, acknowledged: summary.counts[.acknowledged] ?? 0, deadLetters: summary.counts[.deadLetter] ?? 0,
                missingFiles: summary.flagged, oldestQueuedSeconds: summary.oldestQueuedSeconds.map { Int($0) }, bytesWaiting: summary.bytesWaiting,
                lastError: summary.lastError, waiting: waiting.map(Entry.init))
            if json { return try printJSON(report) }
            print("outbox \(outbox.directory)")
            print("  queued         \(report.queued)" + (summary.oldestQueuedSeconds.map { ", oldest \(ageText(seconds: $0)) old" } ?? "")
                + ", \(ByteCountFormatter.string(fromByteCount: Int64(report.bytesWaiting), countStyle: .file)) waiting")
            print("  acknowledged   \(report.acknowledged)")
            print("  dead letters   \(report.deadLetters)" + (report.deadLetters > 0 ? "  (refused by the platform: fix the cause, then `kioskctl queue retry TRACKING`)" : ""))
            if report.missingFiles > 0 { print("  missing files  \(report.missingFiles)  (cannot be sent: `kioskctl queue show TRACKING`)") }
            if let error = report.lastError { print("  last error     \(error)") }
            guard !waiting.isEmpty else { return }
            print("waiting, oldest first:")
            let now = Date().timeIntervalSince1970
            for application in waiting {
                var line = "  \(application.trackingNumber)  \(application.state.rawValue)  \(application.serviceName)  \(application.applicantMasked)"
                line += "  \(ageText(seconds: now - application.createdAt)) old, \(application.attempts) attempt(s)"
                if application.state == .queued, let next = application.nextAttemptAt, next > now { line += ", next in \(ageText(seconds: next - now))" }
                if let problem = application.problem { line += "\n      problem: \(problem)" } else if let error = application.lastError { line += "\n      last error: \(error)" }
                print(line)
            }
        }
    }

    struct Entry: Encodable {
        var trackingNumber: String
        var state: String
        var serviceCode: String
        var serviceName: String
        var applicant: String
        var createdAt: String
        var attempts: Int
        var nextAttemptAt: String?
        var lastError: String?
        var caseNumber: String?
        var platformStatus: String?
        var platformStatusDetail: String?
        var bytes: Int
        var sealedPayloadOnKiosk: Bool
        var problem: String?

        init(_ application: QueuedApplication) {
            trackingNumber = application.trackingNumber.value
            state = application.state.rawValue
            serviceCode = application.serviceCode
            serviceName = application.serviceName
            applicant = application.applicantMasked
            createdAt = Self.timestamp(application.createdAt)
            attempts = application.attempts
            nextAttemptAt = application.state == .queued ? application.nextAttemptAt.map(Self.timestamp) : nil
            lastError = application.lastError
            caseNumber = application.caseNumber
            platformStatus = application.platformStatus
            platformStatusDetail = application.platformStatusDetail
            bytes = application.bytes
            sealedPayloadOnKiosk = application.sealedPayloadPresent
            problem = application.problem
        }

        static func timestamp(_ seconds: Double) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = .current
            return formatter.string(from: Date(timeIntervalSince1970: seconds))
        }
    }

    static func tracking(_ text: String) throws -> TrackingNumber {
        do {
            return try TrackingNumber(text)
        } catch {
            complain("kioskctl: \"\(text)\" is not a tracking number (as printed on the receipt, e.g. 340104001-20261126-0007-5): \(error)")
            throw ExitCode(64)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything the kiosk keeps in the clear about one application (nothing personal beyond a masked name).")

        @OptionGroup var location: Location
        @Argument(help: "The tracking number, as printed on the receipt.") var trackingNumber: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tracking = try QueueCommand.tracking(trackingNumber)
            let outbox = try location.open()
            defer { try? outbox.close() }
            guard let application = try outbox.application(tracking) else {
                complain("kioskctl: no application \(tracking) in \(outbox.directory) (it may be older than the retention, or from another station)")
                throw ExitCode.failure
            }
            let entry = Entry(application)
            if json { return try printJSON(entry) }
            print("\(entry.trackingNumber)  \(entry.state)")
            print("  service        \(entry.serviceName) (\(entry.serviceCode))")
            print("  applicant      \(entry.applicant)")
            print("  enqueued       \(entry.createdAt)")
            print("  attempts       \(entry.attempts)" + (entry.nextAttemptAt.map { ", next at \($0)" } ?? ""))
            if let error = entry.lastError { print("  \(application.state == .deadLetter ? "refused       " : "last error    ") \(error)") }
            if let number = entry.caseNumber { print("  case number    \(number)") }
            if let status = entry.platformStatus { print("  status         \(status)" + (entry.platformStatusDetail.map { ": \($0)" } ?? "")) }
            if !application.requested.isEmpty { print("  to supply      \(application.requested.joined(separator: ", "))") }
            if let ems = application.emsNumber { print("  posted         EMS \(ems)") }
            if let fee = application.fee { print("  fee            \(fee.yuan)\(fee.paid ? ", paid" : ", not paid yet")") }
            print("  sealed data    \(ByteCountFormatter.string(fromByteCount: Int64(entry.bytes), countStyle: .file))"
                + (entry.sealedPayloadOnKiosk ? " on the kiosk" : ", purged (the platform has it)"))
            if let upload = try outbox.upload(tracking) {
                for attachment in upload.attachments {
                    print("  page \(attachment.position + 1)         \(attachment.bytes) bytes sealed, \(attachment.uploadedBytes) acknowledged by the platform")
                }
            }
            if let problem = entry.problem { print("  problem        \(problem)") }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The platform's case events the station keeps, newest first, and where its stream stands; --flagged: only those it could not apply, and why.")

        @OptionGroup var location: Location
        @Flag(help: "Only the events flagged and passed.") var flagged = false
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            let outbox = try location.open()
            defer { try? outbox.close() }
            print("case events applied up to \(try outbox.caseEventCursor())")
            for event in try outbox.caseEvents(flagged: flagged, limit: limit) {
                let about = [event.trackingNumber, event.kind].compactMap { $0 }.joined(separator: " ")
                print("  \(event.id)  \(event.state)  \(about)" + (event.problem.map { ": \($0)" } ?? ""))
            }
        }
    }

    struct AcceptLoss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept-loss",
            abstract: "After kioskd found the outbox behind the numbers it issued (lost or restored from an older copy): go on with numbers above them.",
            discussion: """
                kioskd refuses new applications when its outbox holds less than the tracking numbers \
                the station issued (STATE_DIR/issued), so that no number is given to two residents. \
                Restore the outbox if a newer copy exists. If none does, this takes every number \
                issued as used, notes it in the audit trail, and kioskd takes applications again \
                after a restart; the lost applications must be taken again.
                """)

        @OptionGroup var location: Location

        func run() async throws {
            do {
                print(try Outbox.acceptLoss(directory: location.stateDirectory + "/outbox", issuedMarkPath: location.stateDirectory + "/issued"))
            } catch {
                complain("kioskctl: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a dead-lettered application again once the cause is fixed, or a queued one now.")

        @OptionGroup var location: Location
        @Argument(help: "The tracking number, as printed on the receipt.") var trackingNumber: String

        func run() async throws {
            let tracking = try QueueCommand.tracking(trackingNumber)
            let outbox = try location.open()
            defer { try? outbox.close() }
            guard let application = try outbox.application(tracking) else {
                complain("kioskctl: no application \(tracking) in \(outbox.directory)")
                throw ExitCode.failure
            }
            guard try outbox.retry(tracking) else {
                if application.state == .acknowledged {
                    complain("kioskctl: \(tracking) needs no retry: the platform has it (case \(application.caseNumber ?? "unknown"))")
                } else {
                    complain("kioskctl: \(tracking) cannot be sent: \(application.problem ?? "its sealed data is gone"). The resident has to apply again")
                }
                throw ExitCode.failure
            }
            print("\(tracking): queued again\(application.state == .deadLetter ? " (it was refused: \(application.lastError ?? "no reason"))" : ""); kioskd sends it within a minute")
        }
    }
}
