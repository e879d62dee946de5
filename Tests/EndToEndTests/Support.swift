import Foundation
import Synchronization
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Where `swift build` put the binaries.
let binDirectory = repositoryRoot + "/.build/debug"

/// A child process whose output is collected while it runs.
final class Child: @unchecked Sendable {  // the pipes' handlers only append under the lock
    let process = Process()
    private let output = Output()

    final class Output: Sendable {
        let text = Mutex<(out: String, err: String)>(("", ""))
    }

    /// Starts `executable`. Foundation makes the child lead its own process
    /// group, so ``signal(_:group:)`` can reach everything it starts.
    /// `onStderr` sees each chunk of standard error as it arrives, on the pipe's queue.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
         onStderr: (@Sendable (String) -> Void)? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KIOSKD_") && $0.key != "NOTIFY_SOCKET" && $0.key != "WATCHDOG_USEC" }
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [output] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0.out += text }
        }
        err.fileHandleForReading.readabilityHandler = { [output] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0.err += text }
            onStderr?(text)
        }
        try process.run()
    }

    var stdout: String { output.text.withLock { $0.out } }
    var stderr: String { output.text.withLock { $0.err } }

    func signal(_ number: Int32, group: Bool = false) {
        kill(group ? -process.processIdentifier : process.processIdentifier, number)
    }

    /// Waits for the child to exit; nil if it is still running after `timeout`.
    func exitStatus(within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else { return nil }
        try? await Task.sleep(for: .milliseconds(50))  // let the pipes drain
        return process.terminationStatus
    }

    deinit {
        // Leave nothing behind, even when a test failed half-way.
        kill(-process.processIdentifier, SIGKILL)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs a command to completion and returns its status and output.
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try Child(executable, arguments, environment: environment)
    guard let status = await child.exitStatus(within: .seconds(60)) else {
        child.signal(SIGKILL)
        return (-1, child.stdout, child.stderr)
    }
    return (status, child.stdout, child.stderr)
}

/// A TCP port nobody listens on right now (TestSupport's, outside the ephemeral range).
func freePort() -> Int { Int(TCPListening.unusedPort()) }

/// The key kioskd made at its last start, which the local API asks of every client but the screen's browser.
func screenKey(_ state: String) -> String? {
    (try? String(contentsOfFile: state + "/screen-key", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// GET a URL (with the screen's key, if given); nil when nothing answers.
func get(_ url: String, key: String? = nil) async -> (status: Int, body: Data)? {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 2
    if let key { request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization") }
    guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, data)
}

/// POST a JSON body to a URL (with the screen's key, if given); nil when nothing answers.
func post(_ url: String, json: String, key: String? = nil) async throws -> (status: Int, body: Data)? {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = "POST"
    if let key { request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization") }
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(json.utf8)
    request.timeoutInterval = 5
    guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, data)
}

/// `/healthz` decoded loosely: component name → status.
struct Health: Decodable {
    struct Component: Decodable {
        var name: String
        var status: String
        var detail: String?
    }
    var status: String
    var components: [Component]

    func status(of name: String) -> String? { components.first { $0.name == name }?.status }
}

func health(_ base: String) async -> Health? {
    guard let (status, body) = await get(base + "/healthz"), status == 200 else { return nil }
    return try? JSONDecoder().decode(Health.self, from: body)
}
