import Foundation
import KioskCore
import Synchronization
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

// Helpers shared by the test targets. No production code depends on this.

/// A fresh folder under the system's temporary directory, named after the test.
/// (Nearly every suite calls this, so it also makes the test process exit
/// without library destructors: see ExitWithoutDestructors.)
public func temporaryDirectory(_ name: String = #function) -> String {
    ExitWithoutDestructors.install()
    let base = FileManager.default.temporaryDirectory.path + "/kioskd-tests"
    let path = base + "/" + name.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString.prefix(8)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Waits up to `timeout` for `condition`, checking every 10 ms.
public func eventually(within timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A Unix datagram socket standing in for systemd's notification socket.
/// A path starting with "@" is an abstract socket.
public final class DatagramSocket {
    let fd: Int32

    public init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
    }

    deinit { close(fd) }

    /// The next datagram, or nil if none arrives within `timeout`.
    public func receive(within timeout: Duration = .seconds(2)) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = timeout.components
        guard poll(&pfd, 1, Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }
}

/// Runs a command-line tool and returns its exit status and standard output.
public func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// What zbarimg reads from the QR code(s) in an image, one per line.
public func decodeQR(_ imagePath: String) throws -> String {
    try runTool("/usr/bin/zbarimg", ["--raw", "-q", imagePath]).output.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A listening socket on a free loopback port, to learn a port number.
public final class TCPListening {
    public let port: UInt16
    private let socket: TCPListeningSocket
    public init() throws {
        socket = try TCPListeningSocket(port: 0)
        port = socket.port
    }
    public func close() { socket.close() }

    private static let handedOut = Mutex<Set<UInt16>>([])

    /// A loopback port nobody listens on right now, and handed to no other test of this run.
    /// It is below Linux's ephemeral range (32768–60999), where a server or a connection
    /// asking for any port could take it before the test binds it (suites run in parallel).
    public static func unusedPort() -> UInt16 {
        while true {
            let port = UInt16.random(in: 20_000...32_767)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if let listener = try? TCPListeningSocket(port: port) {
                listener.close()
                return port
            }
        }
    }
}

/// The writing pad as kioskd makes it: `reader` with the stroke orders shipped in ui/.
public func shippedWritingPad(_ reader: any HandwritingReader) throws -> WritingPad {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ui").appendingPathComponent(StrokeOrders.file).path
    return WritingPad(reader: reader, orders: try StrokeOrders(json: Array(FileManager.default.contents(atPath: file) ?? Data()), file: file))
}

/// A clock tests move by hand.
public final class TestClock: Sendable {
    private let value: Mutex<Double>
    public init(start: Double) { value = Mutex(start) }
    public var now: Double { value.withLock { $0 } }
    public func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
}
