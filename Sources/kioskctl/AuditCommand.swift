import ArgumentParser
import Foundation
import KioskCore
import Outbox

/// `kioskctl audit`: the station's hash-chained audit trail.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The audit trail (全过程留痕): verify its hash chain, or show entries.",
        subcommands: [Verify.self, Show.self],
        defaultSubcommand: Verify.self)

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the chain; exit 1 and say where when an entry was removed or altered.")

        @OptionGroup var location: QueueCommand.Location
        @Flag(help: "Print JSON.") var json = false

        struct Report: Encodable {
            var intact: Bool
            var entries: Int
            var headSequence: Int
            var head: String
            var problems: [Problem]
            struct Problem: Encodable {
                var sequence: Int
                var description: String
            }
        }

        func run() async throws {
            let outbox = try location.open()
            defer { try? outbox.close() }
            let result = try outbox.verifyAudit()
            if json {
                try printJSON(Report(intact: result.intact, entries: result.entries, headSequence: result.headSequence, head: result.head,
                                     problems: result.problems.map { .init(sequence: $0.sequence, description: $0.description) }))
            } else if result.intact {
                print("audit trail intact: \(result.entries) entries, newest #\(result.headSequence) \(result.head)")
                print("(a chain cannot show its newest entries were cut off: compare the newest entry with a copy kept elsewhere)")
            } else {
                complain("audit trail BROKEN at \(result.problems.count) place(s):")
                for problem in result.problems { complain("  #\(problem.sequence): \(problem.description)") }
                complain("the outbox database was changed outside kioskd: keep a copy of \(outbox.directory)/outbox.sqlite for the investigation before anything else")
            }
            if !result.intact { throw ExitCode.failure }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print entries, oldest first: all, or one case's.")

        @OptionGroup var location: QueueCommand.Location
        @Option(name: .customLong("case"), help: "Only this tracking number's entries.") var trackingNumber: String?
        @Option(help: "Print at most the newest this many entries.") var limit = 200

        func run() async throws {
            let outbox = try location.open()
            defer { try? outbox.close() }
            for entry in try outbox.auditEntries(trackingNumber: trackingNumber).suffix(limit) {
                let time = ChinaTime.iso8601(Double(entry.atMilliseconds) / 1000)
                print("#\(entry.sequence)  \(time)  \(entry.trackingNumber ?? "-")  \(entry.action)  \(entry.actor)  \(entry.detail)")
            }
        }
    }
}
