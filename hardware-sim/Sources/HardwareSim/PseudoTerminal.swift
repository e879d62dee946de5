import Synchronization
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal pair whose slave side is what a driver opens as a
/// serial port, reachable through a stable symlink (`var/sim/idcard`).
///
/// The simulator keeps the master. ``close()`` plays an unplug: the master
/// and the simulator's slave handle close and the link is removed, so the
/// driver's reads end with a hang-up and a reopen finds nothing. ``open()``
/// plays the replug: a new pair behind the same link.
public final class PseudoTerminal: Sendable {
    /// Where the slave is linked; nil when unlinked.
    public let linkPath: String?

    private struct Pair: Sendable {
        var master: PollingDescriptor
        var slaveFD: Int32
        var slavePath: String
    }
    private let pair = Mutex<Pair?>(nil)

    /// Opens a pair in raw mode and links its slave at `linkPath`.
    public init(linkPath: String?) throws(IOFailure) {
        self.linkPath = linkPath
        try open()
    }

    deinit { close() }

    /// The slave device path (`/dev/pts/N`); nil while closed.
    public var slavePath: String? { pair.withLock { $0?.slavePath } }

    /// The master end, for the simulator's reads and writes; nil while closed.
    public var master: PollingDescriptor? { pair.withLock { $0?.master } }

    /// Opens a new pair (a replug). Does nothing when already open.
    public func open() throws(IOFailure) {
        if pair.withLock({ $0 }) != nil { return }
        var master: Int32 = -1
        var slave: Int32 = -1
        var raw = termios()
        cfmakeraw(&raw)
        var name = [CChar](repeating: 0, count: 128)
        guard openpty(&master, &slave, &name, &raw, nil) == 0 else { throw .from(errnoFor: errno) }
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let descriptor: PollingDescriptor
        do {
            descriptor = try PollingDescriptor(fd: master, isSocket: false, label: "hardware-sim pty \(slavePath)")
        } catch {
            Glibc.close(master)
            Glibc.close(slave)
            throw error
        }
        if let linkPath {
            // Replace the link atomically so a driver never sees a half-made one.
            let temporary = linkPath + ".new"
            unlink(temporary)
            guard symlink(slavePath, temporary) == 0, rename(temporary, linkPath) == 0 else {
                let code = errno
                descriptor.close()
                Glibc.close(slave)
                throw .system(code, "cannot link \(linkPath) to \(slavePath): \(errnoText(code))")
            }
        }
        pair.withLock { $0 = Pair(master: descriptor, slaveFD: slave, slavePath: slavePath) }
    }

    /// Closes the pair and removes the link (an unplug).
    public func close() {
        guard let current = pair.withLock({ pair in defer { pair = nil }; return pair }) else { return }
        if let linkPath { unlink(linkPath) }
        current.master.close()
        Glibc.close(current.slaveFD)
    }
}

extension IOFailure {
    static func from(errnoFor code: Int32) -> IOFailure { .system(code, errnoText(code)) }
}
