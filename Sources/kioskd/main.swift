import ArgumentParser
import Foundation
import KioskCore
import KioskDaemon
import Logging
import Metrics
import Prometheus
import SystemIO

@main
enum KioskdMain {
    static func main() async {
        ExitWithoutDestructors.install()
        Allocator.configure()
        umask(0o077)  // what kioskd writes is its own: residents' applications, keys, the lookup salt
        // A pipe or socket whose far end went (a helper process stopped, a client gone) fails its write
        // with EPIPE, which each caller handles; as a signal it would end kioskd mid-visit.
        signal(SIGPIPE, SIG_IGN)
        if !CoreDumps.forbid() {
            FileHandle.standardError.write(Data("kioskd: could not turn off core dumps (prctl PR_SET_DUMPABLE, RLIMIT_CORE): a crash may leave residents' data in a core file\n".utf8))
        }
        await Kioskd.main()
    }
}

/// The kiosk controller daemon.
struct Kioskd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "Kiosk controller for village and community government-service stations.",
        discussion: """
            With no configuration file kioskd runs the embedded default: every device at the
            port where `hardware-sim station` serves its simulator, state under ./var, the
            touchscreen UI on http://127.0.0.1:8080. See docs/configuration.md.
            """,
        version: KioskVersion.current,
        subcommands: [Run.self, CheckConfig.self, ChurnCommand.self])
}

/// Exit status for a configuration error (sysexits.h EX_CONFIG); systemd's unit
/// does not restart on it, since a restart would fail the same way.
let exitConfigError: Int32 = 78

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon until SIGTERM or SIGINT.")

    @Option(name: .long, help: "YAML configuration file (default: the embedded default).")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "State directory, overriding the file and KIOSKD_STATE_DIR.")
    var stateDirectory: String?

    @Option(name: .long, help: "HOST:PORT for the UI and /healthz, overriding the file and KIOSKD_HTTP_LISTEN.")
    var listen: String?

    func run() async throws {
        let settings = try await loadAndStartLogging(file: config, stateDirectory: stateDirectory, listen: listen)
        do {
            // Libraries that speak swift-metrics land in the same exposition as kioskd's own.
            let metrics = KioskMetrics()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
            try await Daemon(config: settings, metrics: metrics).run()
        } catch let error as StartupError {
            FileHandle.standardError.write(Data("kioskd cannot start: \(error.description)\n".utf8))
            throw error.exitStatus.map { ExitCode($0) } ?? ExitCode.failure
        }
    }
}

/// Loads the configuration (exit 78 with the problems when it is bad) and starts logging at its level.
func loadAndStartLogging(file: String?, stateDirectory: String?, listen: String?) async throws -> KioskConfig {
    let settings: KioskConfig
    do {
        settings = try await ConfigLoader.load(file: file, stateDirectory: stateDirectory, listen: listen)
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(exitConfigError)
    }
    let level = settings.logLevel
    // Standard error (the journal) and the ring `kioskctl logs` reads.
    LoggingSystem.bootstrap { label in LogRing.handler(label: label, level: level) }
    return settings
}

/// The crash-safety harness's child (hidden: not for stations).
struct ChurnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Test tool: enqueue made-up applications while forwarding and purging; print each tracking number once durable.",
        discussion: "The crash-safety harness (Tests/EndToEndTests/CrashSafetyTests.swift) runs it and kills it with SIGKILL. Never on a station: it fills the outbox.",
        shouldDisplay: false)

    @Option(name: .long, help: "YAML configuration file (default: the embedded default).") var config: String?
    @Option(name: .customLong("state-dir"), help: "State directory.") var stateDirectory: String?
    @Option(help: "Stop after this many applications (default: never).") var applications: Int?
    @Option(name: .customLong("max-pages"), help: "At most this many pages per application.") var maxPages = 3
    @Option(name: .customLong("max-page-bytes"), help: "At most this many bytes per page.") var maxPageBytes = 400_000
    @Flag(help: "After the applications, wait until the platform has them all, then exit.") var drain = false
    @Option(name: .customLong("per-day"), help: "Date each further this many applications a day earlier (at most 99,999 tracking numbers a day).") var perDay: Int?

    func run() async throws {
        let settings = try await loadAndStartLogging(file: config, stateDirectory: stateDirectory, listen: nil)
        do {
            try await Churn.run(config: settings, applications: applications, maxPages: maxPages, maxPageBytes: max(1, maxPageBytes),
                                drain: drain, perDay: perDay, logger: Logger(label: "kioskd"))
        } catch let error as StartupError {
            FileHandle.standardError.write(Data("kioskd cannot start: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration file (and KIOSKD_* variables) without starting.")

    @Argument(help: "The YAML file to check.")
    var file: String

    func run() async throws {
        do {
            let settings = try await ConfigLoader.load(file: file)
            print("\(file): ok")
            print("  http.listen: \(settings.listen)")
            print("  state_dir: \(settings.stateDirectory)")
            for device in settings.devices {
                print("  \(device.kind.rawValue): \(device.port?.description ?? "none") (\(device.model))")
            }
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(exitConfigError)
        }
    }
}
