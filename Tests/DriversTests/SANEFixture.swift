import Foundation
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
