#if canImport(Glibc)
import Glibc
#endif

/// Makes `exit` end the process without running shared libraries'
/// destructors. Those run while other threads are still alive, and one of
/// them (p11-kit's, loaded through libcups and GnuTLS) waits for glibc's
/// locale lock: if any other thread holds it at that moment, the process
/// hangs in `exit` forever (seen in a test run). kioskd relies on no
/// destructor: files are fsynced and databases closed explicitly before
/// exit. stdio is flushed, and the exit status is kept.
public enum ExitWithoutDestructors {
    /// Installs the handler; call first thing in `main`. Safe to call twice.
    public static func install() {
        guard !installed else { return }
        installed = true
        // on_exit handlers run in reverse order of registration, before the
        // dynamic linker's destructors (registered at startup, so run last).
        on_exit({ status, _ in
            fflush(nil)
            _exit(status)
        }, nil)
    }

    nonisolated(unsafe) private static var installed = false
}
