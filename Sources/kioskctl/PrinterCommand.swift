import ArgumentParser
import Drivers
import Foundation
import KioskCore
import Logging

struct PrinterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "printer",
        abstract: "Work with a printer directly (when kioskd is stopped): an ESC/POS receipt printer or a cups: queue.",
        subcommands: [Test.self, Status.self])

    struct Options: ParsableArguments {
        @Option(help: "The printer's port: tcp:HOST:9100, usb:VID:PID, serial:PATH, or cups:QUEUE for the A4 printer.") var port: String
        @Option(help: "The receipt printer model: \(ESCPOSProfile.known.map(\.name).joined(separator: ", ")).") var model = ESCPOSProfile.generic80.name

        func profile() throws -> ESCPOSProfile {
            guard let profile = ESCPOSProfile.named(model) else {
                complain("kioskctl: unknown model \"\(model)\"; known: \(ESCPOSProfile.known.map(\.name).joined(separator: ", "))")
                throw ExitCode(64)
            }
            return profile
        }
    }

    /// A logger that stays silent: kioskctl reports for itself.
    static var quiet: Logger {
        var logger = Logger(label: "kioskctl")
        logger.logLevel = .critical
        return logger
    }

    /// Opens a receipt printer on `port` and waits until it is connected.
    static func receiptPrinter(_ port: DevicePort, profile: ESCPOSProfile) async throws -> (ESCPOSPrinter, Task<Void, Never>) {
        var settings = ESCPOSPrinter.Settings()
        settings.profile = profile
        settings.statusInterval = .seconds(3600)
        let connection = DeviceConnection(identity: DeviceIdentity(kind: .receiptPrinter, model: profile.name, port: port), logger: quiet)
        let printer = ESCPOSPrinter(connection: connection, settings: settings, logger: quiet)
        let running = Task { await printer.run() }
        for _ in 0..<50 where !connection.isConnected { try? await Task.sleep(for: .milliseconds(100)) }
        guard connection.isConnected else {
            running.cancel()
            complain("kioskctl: \(port): \(connection.lastError?.message ?? "the printer did not open")")
            throw ExitCode.failure
        }
        return (printer, running)
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a test receipt (Chinese text, a QR code, a cut) and report the printer's status.")

        @OptionGroup var options: Options

        func run() async throws {
            let port = try parsePort(options.port)
            let receipt = ESCPOSPrinter.testReceipt(id: "kioskctl-test-\(Int(Date().timeIntervalSince1970))")
            if case .cups(let queue) = port {
                let a4 = CUPSPrinter(queue: queue, logger: PrinterCommand.quiet)
                do {
                    switch try await a4.print(ReceiptLayout.document(receipt, columns: 80), title: "kioskd test page", timeout: .seconds(30)) {
                    case .acceptedBySpooler(let job): print("\(port): job \(job) accepted by the spooler (check that the page came out)")
                    case .waiting(let job, let reason):
                        complain("kioskctl: \(port): job \(job) waits: \(reason)")
                        throw ExitCode.failure
                    }
                } catch let error as DeviceError {
                    complain("kioskctl: \(port): \(error.message)")
                    throw ExitCode.failure
                }
                return
            }
            let (printer, running) = try await PrinterCommand.receiptPrinter(port, profile: try options.profile())
            defer { running.cancel() }
            do {
                let outcome = try await printer.printReceipt(receipt)
                print("\(port): test receipt printed" + (outcome.warnings.isEmpty ? "" : "; \(printer.status.message ?? "")"))
            } catch {
                complain("kioskctl: \(port): \(error.message)")
                throw ExitCode.failure
            }
            await printer.shutdown(grace: .milliseconds(500))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the printer for its status (DLE EOT, or the CUPS queue's state and reasons).")

        @OptionGroup var options: Options
        @Flag(help: "Print JSON.") var json = false

        struct Report: Encodable {
            var port: String
            var state: String
            var conditions: [String]
            var message: String?
        }

        func run() async throws {
            let port = try parsePort(options.port)
            let status: DeviceStatus
            if case .cups(let queue) = port {
                status = await CUPSPrinter(queue: queue, logger: PrinterCommand.quiet).refreshStatus()
            } else {
                let (printer, running) = try await PrinterCommand.receiptPrinter(port, profile: try options.profile())
                status = await printer.refreshStatus()
                await printer.shutdown(grace: .milliseconds(200))
                running.cancel()
            }
            if json {
                try printJSON(Report(port: port.description, state: status.state.rawValue, conditions: status.conditions.map(\.rawValue).sorted(), message: status.message))
            } else {
                print("\(port): \(status)")
            }
            if status.state != .online { throw ExitCode.failure }
        }
    }
}
