import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("No resident's data in a core dump", .timeLimit(.minutes(1)))
struct CoreDumpTests {
    @Test("kioskd running as nobody is not dumpable and may write no core: its /proc belongs to root, its core limit is 0",
          .enabled(if: getuid() == 0, "needs root to run kioskd as another user"))
    func nonDumpable() async throws {
        // A folder nobody may enter, with a copy of kioskd it may run and a state folder it owns.
        let folder = temporaryDirectory("core-dumps")
        chmod(FileManager.default.temporaryDirectory.path + "/kioskd-tests", 0o755)
        chmod(folder, 0o755)
        try FileManager.default.copyItem(atPath: binDirectory + "/kioskd", toPath: folder + "/kioskd")
        chmod(folder + "/kioskd", 0o755)
        try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: false)
        chown(folder + "/state", 65534, 65534)
        let asNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        let listen = "127.0.0.1:\(freePort())"
        let kioskd = try Child("/usr/bin/setpriv", asNobody + [folder + "/kioskd", "run"], environment: [
            "KIOSKD_STATE_DIR": folder + "/state", "KIOSKD_HTTP_LISTEN": listen, "KIOSKD_DEVICES_IDCARD_READER_PORT": "none",
            "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "none", "KIOSKD_DEVICES_A4_PRINTER_PORT": "none", "KIOSKD_DEVICES_SCANNER_PORT": "none",
        ], directory: repositoryRoot)
        // The same way, a process that leaves itself dumpable: the check below can tell the two apart.
        let sleeper = try Child("/usr/bin/setpriv", asNobody + ["/bin/sleep", "60"])
        defer {
            kioskd.signal(SIGKILL)
            sleeper.signal(SIGKILL)
        }
        #expect(await eventually(within: .seconds(20)) { await health("http://\(listen)") != nil }, "kioskd did not start: \(kioskd.stderr)")

        func proc(_ pid: Int32) throws -> (uid: String?, owner: uid_t, coreLimit: String?) {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(whereSeparator: \.isWhitespace).dropFirst().first.map(String.init)
            var info = stat()
            stat("/proc/\(pid)/status", &info)
            let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
            let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
            return (uid, info.st_uid, core.map { $0.split(whereSeparator: \.isWhitespace).dropFirst(4).prefix(2).joined(separator: " ") })
        }
        let daemon = try proc(kioskd.process.processIdentifier)
        #expect(daemon.uid == "65534", "kioskd runs as nobody")
        #expect(daemon.owner == 0, "/proc/PID of a non-dumpable process belongs to root")
        #expect(daemon.coreLimit == "0 0", "core file size limit (soft, hard)")
        let other = try proc(sleeper.process.processIdentifier)
        #expect(other.uid == "65534" && other.owner == 65534, "a dumpable process owns its /proc")
    }
}
