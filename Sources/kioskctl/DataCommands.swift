import AgentAuth
import ArgumentParser
import Foundation
import KioskCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads a data file, or exits 66 saying why.
private func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        complain("kioskctl: cannot read \(path): does it exist, and may this user read it?")
        throw ExitCode(66)
    }
    return Array(data)
}

/// `kioskctl catalogue check FILE`: what kioskd would say about a catalogue or calendar file.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue",
        abstract: "Check a service catalogue or a holiday calendar file before installing it.",
        subcommands: [Check.self],
        defaultSubcommand: Check.self)

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Load a catalogue (or, with --calendar, a holiday calendar) as kioskd would; exit 65 with the item, field and line at fault.")

        @Argument(help: "The file (data/catalogue.json, data/holidays-cn.json).") var file: String
        @Flag(help: "The file is a holiday calendar.") var calendar = false

        func run() async throws {
            let bytes = try readFile(file)
            do {
                if calendar {
                    let loaded = try WorkingCalendar.load(json: bytes)
                    print("calendar ok: years \(loaded.coveredYears.map(String.init).joined(separator: ", ")); later dates are reported as unknown")
                } else {
                    let loaded = try Catalogue.load(json: bytes)
                    print("catalogue \(loaded.version) ok: \(loaded.items.count) items, \(loaded.bundles.count) bundles, \(loaded.departments.count) departments"
                        + (loaded.isSampleData ? " (sample data, not for a real station)" : ""))
                }
            } catch {
                complain("kioskctl: \(file): \(error)")
                throw ExitCode(65)
            }
        }
    }
}

/// `kioskctl agent`: the station's agents file.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Station agents (代办员): hash a PIN for agents.json, check the file.",
        subcommands: [HashPIN.self, Check.self])

    struct HashPIN: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-pin", abstract: "Read a PIN from standard input (not echoed on a terminal) and print the pin_hash for agents.json.")

        func run() async throws {
            let interactive = isatty(0) == 1
            var saved = termios()
            if interactive {
                FileHandle.standardError.write(Data("PIN (6–12 digits): ".utf8))
                tcgetattr(0, &saved)
                var quiet = saved
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(0, TCSANOW, &quiet)
            }
            let pin = readLine(strippingNewline: true) ?? ""
            if interactive {
                tcsetattr(0, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            if let problem = PINHasher.problem(with: pin) {
                complain("kioskctl: \(problem); nothing was printed")
                throw ExitCode(65)
            }
            print(try PINHasher.hash(pin: pin))
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Load an agents file as kioskd would; exit 65 with the agent and field at fault.")

        @Argument(help: "The agents file (session.agents_file).") var file: String

        func run() async throws {
            do {
                let directory = try AgentDirectory.load(json: try readFile(file))
                print("agents ok: \(directory.agents.map(\.masked).joined(separator: ", "))")
            } catch let error as DataFileError {
                complain("kioskctl: \(file): \(error)")
                throw ExitCode(65)
            }
        }
    }
}
