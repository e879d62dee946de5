import Foundation
import HardwareSim
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SANE reads SANE_CONFIG_DIR once, at its first call in the process: every
/// scanner test goes through here first. The folder enables SANE's `test`
/// backend (Debian's dll.conf comments it out) and sane-airscan, pointed at
/// the eSCL simulator's port.
enum SANEFixture {
    private static let state = Mutex<(directory: String, esclPort: UInt16)?>(nil)

    /// The eSCL scanner sane-airscan is configured to reach; runs for the whole test process.
    static let escl: ESCLScannerSimulator = {
        let port = configure()
        let pages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/hardware-sim/pages"
        let scanner = try! ESCLScannerSimulator(pages: try! PageDescription.loadAll(from: pages))
        let server = try! HTTPServer(port: port) { await scanner.handle($0) }
        Task.detached { await server.serve() }
        return scanner
    }()

    /// SANE's name for the simulated eSCL scanner (from airscan.conf).
    static let esclDevice = "airscan:e0:Kiosk Scanner"

    /// Sets up the config folder (once) and returns the eSCL simulator's port.
    @discardableResult
    static func configure() -> UInt16 {
        state.withLock { state in
            if let state { return state.esclPort }
            let directory = temporaryDirectory("sane-config")
            let port = UInt16(20000 + getpid() % 20000)
            try? "test\nairscan\n".write(toFile: directory + "/dll.conf", atomically: true, encoding: .utf8)
            if let testConf = try? String(contentsOfFile: "/etc/sane.d/test.conf", encoding: .utf8) {
                try? testConf.write(toFile: directory + "/test.conf", atomically: true, encoding: .utf8)
            }
            try? """
                [devices]
                "Kiosk Scanner" = http://127.0.0.1:\(port)/eSCL, eSCL
                [options]
                discovery = disable
                """.write(toFile: directory + "/airscan.conf", atomically: true, encoding: .utf8)
            setenv("SANE_CONFIG_DIR", directory, 1)
            state = (directory, port)
            return port
        }
    }
}
