import ArgumentParser
import Drivers
import Foundation
import KioskCore
import Logging

struct IDCardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idcard",
        abstract: "Work with a GA 467 ID-card reader directly (when kioskd is stopped).",
        subcommands: [Read.self])

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait for a card, read it once and print the identity (masked unless --unmasked).",
            discussion: "Exit status: 0 read, 1 no card or a reader fault, 2 the card was read but fails its checks (e.g. expired).")

        @Option(help: "The reader's port, e.g. serial:/dev/ttyUSB0 or usb:0400:c35a.") var port: String
        @Option(help: "Seconds to wait for a card.") var timeout: Double = 15
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Print the name, number, birth date and address in full. Mind who is looking.") var unmasked = false

        func run() async throws {
            let parsed = try parsePort(port)
            var quiet = Logger(label: "kioskctl")
            quiet.logLevel = .critical
            let connection = DeviceConnection(
                identity: DeviceIdentity(kind: .idCardReader, model: "unknown", port: parsed),
                policy: ReconnectPolicy(probeInterval: .milliseconds(200), retryInitial: .milliseconds(100), retryMax: .milliseconds(500)),
                logger: quiet)
            let reader = GA467Reader(connection: connection, logger: quiet)
            let events = reader.cardEvents()
            let running = Task { await reader.run() }
            defer { running.cancel() }

            if !json { complain("waiting up to \(Int(timeout)) s for a card on \(parsed) …") }
            let outcome = await firstOutcome(events: events, connection: connection, port: parsed)
            await reader.shutdown(grace: .milliseconds(200))
            switch outcome {
            case .read(let resident, let problem):
                if json {
                    try printJSON(CardReport(resident, masked: !unmasked, problem: problem?.message))
                } else {
                    print(CardReport(resident, masked: !unmasked, problem: problem?.message).text)
                }
                if let problem {
                    complain("kioskctl: the card was read but \(problem.message)")
                    throw ExitCode(2)
                }
            case .failed(let message):
                complain("kioskctl: \(message)")
                throw ExitCode.failure
            }
        }

        enum Outcome {
            case read(ResidentIdentity, IdentityError?)
            case failed(String)
        }

        func firstOutcome(events: AsyncStream<CardEvent>, connection: DeviceConnection, port parsed: DevicePort) async -> Outcome {
            await withTaskGroup(of: Outcome?.self) { group in
                group.addTask {
                    for await event in events {
                        switch event {
                        case .presented(let resident): return .read(resident, nil)
                        case .refused(let resident, let error): return .read(resident, error)
                        case .unreadable(let error): return .failed(error.message)
                        case .removed: continue
                        }
                    }
                    return nil
                }
                group.addTask {
                    // A reader that cannot be opened fails at once with the reason.
                    try? await Task.sleep(for: .milliseconds(700))
                    if !connection.isConnected, let error = connection.lastError { return .failed("\(parsed): \(error.message)") }
                    try? await Task.sleep(for: .milliseconds(Int(timeout * 1000) - 700))
                    if connection.status.state == .hardwareError { return .failed(connection.status.message ?? "the reader reports a fault") }
                    return .failed(connection.isConnected
                        ? "no card was placed on the reader within \(Int(timeout)) s"
                        : "\(parsed): \(connection.lastError?.message ?? "the reader did not open")")
                }
                for await outcome in group {
                    if let outcome {
                        group.cancelAll()
                        return outcome
                    }
                }
                return .failed("the reader stopped")
            }
        }
    }
}

/// What `kioskctl idcard read` prints: masked unless asked otherwise.
struct CardReport: Encodable {
    var card: String
    var name: String
    var englishName: String?
    var gender: String
    var nation: String?
    var nationality: String?
    var birth: String
    var number: String
    var address: String?
    var authority: String
    var validFrom: String
    var validUntil: String
    var passNumber: String?
    var photoBytes: Int
    var problem: String?

    enum CodingKeys: String, CodingKey {
        case card, name, gender, nation, nationality, birth, number, address, authority, problem
        case englishName = "english_name"
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case passNumber = "pass_number"
        case photoBytes = "photo_bytes"
    }

    init(_ resident: ResidentIdentity, masked: Bool, problem: String?) {
        card = resident.cardType.rawValue
        name = masked ? resident.maskedName : resident.name
        englishName = resident.englishName.map { masked ? Masking.name($0) : $0 }
        gender = resident.gender.chineseName
        nation = resident.nation?.name
        nationality = resident.nationality
        birth = masked ? "\(resident.birthDate.year)-**-**" : resident.birthDate.description
        number = masked ? resident.maskedNumber : resident.number
        address = resident.address.map { masked ? String($0.prefix(6)) + "…" : $0 }
        authority = resident.issuingAuthority
        validFrom = resident.validFrom.description
        validUntil = switch resident.validUntil {
        case .longTerm: "长期"
        case .until(let date): date.description
        }
        passNumber = resident.passNumber.map { masked ? Masking.idNumber($0) : $0 }
        photoBytes = resident.photo.count
        self.problem = problem
    }

    var text: String {
        var lines = [
            ("card", card), ("name", name), ("english name", englishName), ("gender", gender), ("nation", nation),
            ("nationality", nationality), ("birth", birth), ("number", number), ("address", address), ("authority", authority),
            ("valid", "\(validFrom) – \(validUntil)"), ("pass number", passNumber),
            ("photo", "\(photoBytes) bytes (WLT, not decoded)"),
        ].compactMap { label, value in value.map { "\(label):" + String(repeating: " ", count: max(1, 14 - label.count)) + $0 } }
        if let problem { lines.append("problem:       \(problem)") }
        return lines.joined(separator: "\n")
    }
}
