import ArgumentParser
import Drivers
import Foundation
import KioskCore
import SystemIO

@main
enum KioskctlMain {
    static func main() async {
        ExitWithoutDestructors.install()
        await Kioskctl.main()
    }
}

/// The maintainer's command line.
struct Kioskctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskctl",
        abstract: "Maintainer's tool for kioskd: devices, ports, the ID-card reader, printers, the scanner, the outbox, versions.",
        version: KioskVersion.current,
        subcommands: [StatusCommand.self, DevicesCommand.self, SelftestCommand.self, LogsCommand.self, MetricsCommand.self, ScreenURLCommand.self, ConfigCommand.self, Port.self, IDCardCommand.self, PrinterCommand.self, ScanCommand.self, QueueCommand.self, AuditCommand.self, CatalogueCommand.self, AgentCommand.self, SpeechCommand.self, Version.self])
}

/// Prints `value` as JSON on standard output.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Writes a message on standard error.
func complain(_ message: String) {
    FileHandle.standardError.write(Data((terminalSafe(message) + "\n").utf8))
}

/// Parses a port string given on the command line; a bad one exits 64 with the reason.
func parsePort(_ text: String) throws -> DevicePort {
    do {
        return try DevicePort(parsing: text)
    } catch {
        complain("kioskctl: \(error.description)")
        throw ExitCode(64)
    }
}

/// Devices attached to this machine (USB through libusb, serial ports, CUPS
/// queues, SANE scanners), seen without kioskd: `kioskctl devices --attached`.
/// With none of usb, serial, cups, sane: all.
struct AttachedDevices {
    var usb = false
    var serial = false
    var cups = false
    var sane = false
    var json = false

    struct Listing: Encodable {
        var usb: [USBEntry]?
        var serial: [String]?
        var cups: [CUPSEntry]?
        var sane: [SANEEntry]?
    }

    struct SANEEntry: Encodable {
        var port: String
        var vendor: String
        var model: String
        var type: String
    }

    struct CUPSEntry: Encodable {
        var port: String
        var state: String
        var reasons: [String]
        var message: String?
    }

    struct USBEntry: Encodable {
        var bus: Int
        var address: Int
        var id: String
        var port: String
        var manufacturer: String?
        var product: String?
        var serial: String?
    }

    func run() async throws {
        let both = !usb && !serial && !cups && !sane
        var listing = Listing()
        if usb || both {
            do {
                listing.usb = try USBDevices.list().map {
                    USBEntry(bus: Int($0.bus), address: Int($0.address), id: "\(hex4($0.vendorID)):\(hex4($0.productID))",
                             port: $0.portString, manufacturer: $0.manufacturer, product: $0.product, serial: $0.serialNumber)
                }
            } catch {
                complain("kioskctl: \(error.message)")
                throw ExitCode.failure
            }
        }
        if serial || both { listing.serial = DeviceProbe.serialPorts() }
        if cups || both {
            do {
                listing.cups = try CUPSPrinter.queues().map { CUPSEntry(port: "cups:\($0.name)", state: $0.state, reasons: $0.reasons, message: $0.message) }
            } catch {
                if cups {
                    complain("kioskctl: \(error.message)")
                    throw ExitCode.failure
                }
            }
        }
        if sane || both {
            listing.sane = ((try? await SANEScanner.devices()) ?? []).map { SANEEntry(port: "sane:\($0.name)", vendor: $0.vendor, model: $0.model, type: $0.type) }
        }
        if json { return try printJSON(listing) }
        if let entries = listing.usb {
            print("USB devices (\(entries.count)):")
            if entries.isEmpty { print("  none attached") }
            for entry in entries {
                let name = [entry.manufacturer, entry.product].compactMap { $0 }.joined(separator: " ")
                print("  bus \(entry.bus) address \(entry.address)  \(entry.id)  \(name.isEmpty ? "(name not readable)" : name)  port: \(entry.port)")
            }
        }
        if let ports = listing.serial {
            print("Serial ports (\(ports.count)):")
            if ports.isEmpty { print("  none found") }
            for port in ports { print("  serial:\(port)") }
        }
        if let scanners = listing.sane {
            print("SANE scanners (\(scanners.count)):")
            if scanners.isEmpty { print("  none (SANE_CONFIG_DIR chooses the backends)") }
            for scanner in scanners { print("  \(scanner.port)  \(scanner.vendor) \(scanner.model) (\(scanner.type))") }
        }
        if let queues = listing.cups {
            print("CUPS queues (\(queues.count)):")
            if queues.isEmpty { print("  none") }
            for queue in queues {
                print("  \(queue.port)  \(queue.state)" + (queue.reasons.isEmpty ? "" : " (\(queue.reasons.joined(separator: ", ")))") + (queue.message.map { ": \($0)" } ?? ""))
            }
        }
    }
}

struct Port: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with a device port directly (when kioskd is stopped).",
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a port string and report whether a device is there.",
            discussion: "Examples: serial:/dev/ttyUSB0?baud=115200, usb:10c4:ea60, tcp:192.168.1.50:9100")

        @Argument(help: "The port string.") var port: String
        @Option(help: "Seconds to wait for a TCP connection.") var timeout: Double = 3

        func run() async throws {
            let parsed = try parsePort(port)
            do {
                let transport = try await Transports.open(parsed, connectTimeout: .milliseconds(Int(timeout * 1000)))
                let connected = await transport.isConnected()
                transport.close()
                guard connected else {
                    complain("kioskctl: \(parsed) opened but hung up at once: check the device")
                    throw ExitCode.failure
                }
                print("\(parsed): ok, the port opens and the device is there")
            } catch let error as DeviceError {
                complain("kioskctl: \(parsed): \(error.message)")
                throw ExitCode.failure
            }
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version of kioskd and the system libraries it uses.")

    func run() {
        print("kioskd \(KioskVersion.current)")
        for (name, version) in SystemLibraries.versions { print("\(name) \(version)") }
    }
}
