import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How an I/O wait ended other than with data. The caller turns it into its
/// own error type, naming its port.
public enum IOFailure: Error, Sendable, Hashable {
    /// The deadline passed first.
    case timedOut
    /// The calling task was canceled.
    case canceled
    /// ``PollingDescriptor/close()`` was called.
    case closed
    /// The far end went away: EOF, a hang-up, a reset. The text says which.
    case hungUp(String)
    /// Any other system error.
    case system(Int32, String)

    static func from(errno code: Int32) -> IOFailure {
        switch code {
        case EIO, ENXIO, ENODEV, EPIPE, ECONNRESET, EBADF, ENOTCONN:
            .hungUp(String(cString: strerror(code)))
        default:
            .system(code, String(cString: strerror(code)))
        }
    }
}

/// A non-blocking file descriptor (a tty, a pty master or slave, a socket)
/// with reads and writes that take a deadline.
///
/// Each operation runs on the descriptor's own dispatch queue, never on
/// Swift's cooperative threads, and waits in `poll` on the descriptor and a
/// wake pipe, so a cancel or ``close()`` ends a wait at once rather than at
/// its deadline. The descriptor is closed on that queue, after the operation
/// in progress has seen the wake-up, so its number is never reused under it.
public final class PollingDescriptor: Sendable {
    /// The descriptor; owned by this object.
    public let fd: Int32
    private let isSocket: Bool
    private let wake: WakePipe
    private let io: DispatchQueue
    private let closedFlag = Atomic<Bool>(false)

    /// Takes ownership of `fd` and makes it non-blocking.
    public init(fd: Int32, isSocket: Bool, label: String) throws(IOFailure) {
        self.wake = try WakePipe()
        self.fd = fd
        self.isSocket = isSocket
        self.io = DispatchQueue(label: label)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if !closedFlag.load(ordering: .acquiring) {
            Glibc.close(fd)
            wake.close()
        }
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Writes all of `bytes` before `deadline`.
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(IOFailure) {
        try await blocking { token throws(IOFailure) in try self.writeAll(bytes, deadline: deadline, token: token) }
    }

    /// Returns 1 to `maxCount` bytes, waiting until `deadline` for the first.
    public func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws(IOFailure) -> [UInt8] {
        precondition(maxCount > 0)
        return try await blocking { token throws(IOFailure) in try self.readSome(maxCount: maxCount, deadline: deadline, token: token) }
    }

    /// Discards input that has arrived and not been read.
    public func flushInput() async throws(IOFailure) {
        try await blocking { _ throws(IOFailure) in try self.discardInput() }
    }

    /// Discards unread input, writes `request` and returns the first 1 to
    /// `maxCount` bytes of the answer, in one turn on the descriptor's queue:
    /// a device polled many times a second costs one hand-over a poll, not three.
    public func exchange(_ request: [UInt8], replyMaxCount maxCount: Int, deadline: ContinuousClock.Instant) async throws(IOFailure) -> [UInt8] {
        precondition(maxCount > 0)
        return try await blocking { token throws(IOFailure) in
            try self.discardInput()
            try self.writeAll(request, deadline: deadline, token: token)
            return try self.readSome(maxCount: maxCount, deadline: deadline, token: token)
        }
    }

    /// Sends `request` every `interval` for as long as the device answers
    /// exactly `idleAnswer`, all in one turn on the descriptor's queue: a
    /// device polled many times a second then costs kioskd one wake-up a poll
    /// instead of a dozen task and queue hand-overs. Returns the first bytes of
    /// an answer that differs (the caller's codec reads the rest), or nil when
    /// the next request would fall after `until` or `giveWay` (asked between
    /// polls) says someone else waits for the port. Each answer must begin
    /// within `replyTimeout` of its request.
    public func poll(
        sending request: [UInt8], every interval: Duration, whileAnswer idleAnswer: [UInt8],
        until: ContinuousClock.Instant, giveWay: @escaping @Sendable () -> Bool, replyTimeout: Duration
    ) async throws(IOFailure) -> [UInt8]? {
        precondition(!idleAnswer.isEmpty)
        return try await blocking { token throws(IOFailure) -> [UInt8]? in
            try self.discardInput()  // once: an idle answer leaves nothing behind, and stray bytes show as another answer
            while true {
                let deadline = ContinuousClock.now + replyTimeout
                try self.writeAll(request, deadline: deadline, token: token)
                var answer: [UInt8] = []
                while answer.count < idleAnswer.count {
                    answer += try self.readSome(maxCount: idleAnswer.count - answer.count, deadline: deadline, token: token)
                    if !idleAnswer.starts(with: answer) { return answer }
                }
                let next = ContinuousClock.now + interval
                if next >= until || giveWay() { return nil }
                do throws(IOFailure) {
                    try self.wait(for: 0, deadline: next, token: token)  // only a hang-up, a cancel or a close ends it early
                } catch .timedOut {
                    continue
                }
            }
        }
    }

    // On the descriptor's queue only.

    private func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant, token: CancelToken) throws(IOFailure) {
        var offset = 0
        while offset < bytes.count {
            if token.isCanceled { throw .canceled }
            if isClosed { throw .closed }
            let written = bytes[offset...].withUnsafeBytes { buffer in
                isSocket
                    ? Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
                    : Glibc.write(fd, buffer.baseAddress, buffer.count)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EAGAIN {
                try wait(for: Int16(POLLOUT), deadline: deadline, token: token)  // only when the device is behind
            } else if written < 0, errno != EINTR {
                throw .from(errno: errno)
            }
        }
    }

    private func readSome(maxCount: Int, deadline: ContinuousClock.Instant, token: CancelToken) throws(IOFailure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxCount)
        while true {
            try wait(for: Int16(POLLIN), deadline: deadline, token: token)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maxCount) }
            if count > 0 {
                buffer.removeLast(maxCount - count)
                return buffer
            }
            if count == 0 { throw .hungUp("end of file") }
            if errno != EAGAIN, errno != EINTR { throw .from(errno: errno) }
        }
    }

    private func discardInput() throws(IOFailure) {
        if !isSocket { tcflush(fd, TCIFLUSH) }
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        while true {
            let count = withUnsafeMutableBytes(of: &scratch) { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 { continue }
            if count == 0 { throw .hungUp("end of file") }
            if errno == EAGAIN || errno == EINTR { return }
            throw .from(errno: errno)
        }
    }

    /// Whether the far end has hung up, without consuming input.
    public func hasHungUp() async -> Bool {
        guard !isClosed else { return true }
        let hungUp = try? await blocking { _ throws(IOFailure) in
            // Asking for no input events still reports hang-ups and errors;
            // POLLRDHUP adds "the peer shut its side" for sockets.
            var pfd = pollfd(fd: self.fd, events: self.isSocket ? pollReadHangUp : 0, revents: 0)
            guard Glibc.poll(&pfd, 1, 0) >= 0 else { return true }
            return pfd.revents & (Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL) | pollReadHangUp) != 0
        }
        return hungUp ?? true
    }

    /// Closes the descriptor. Operations in progress end with ``IOFailure/closed``.
    public func close() {
        guard !closedFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        io.async { [fd, wake] in
            Glibc.close(fd)
            wake.close()
        }
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable (CancelToken) throws(IOFailure) -> T) async throws(IOFailure) -> T {
        let token = CancelToken()
        let result: Result<T, IOFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                io.async {
                    continuation.resume(returning: Result { () throws(IOFailure) -> T in try body(token) })
                }
            }
        } onCancel: {
            token.cancel()
            wake.signal()
        }
        return try result.get()
    }

    private func wait(for events: Int16, deadline: ContinuousClock.Instant, token: CancelToken) throws(IOFailure) {
        while true {
            if token.isCanceled { throw .canceled }
            if isClosed { throw .closed }
            let timeout = milliseconds(until: deadline)
            if timeout == 0, ContinuousClock.now >= deadline { throw .timedOut }
            var fds = (
                pollfd(fd: fd, events: events | (isSocket ? pollReadHangUp : 0), revents: 0),
                pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)
            )
            let ready = withUnsafeMutableBytes(of: &fds) { Glibc.poll($0.baseAddress?.assumingMemoryBound(to: pollfd.self), 2, timeout) }
            if ready < 0 {
                if errno == EINTR { continue }
                throw .from(errno: errno)
            }
            if fds.1.revents != 0 { wake.drain() }
            let revents = fds.0.revents
            if revents & events != 0 { return }
            // Waiting without POLLIN, a peer's shutdown shows only as POLLRDHUP.
            let hangUps = Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL) | (events & Int16(POLLIN) == 0 ? pollReadHangUp : 0)
            if revents & hangUps != 0 {
                throw .hungUp("hang-up")
            }
        }
    }
}

/// POLLRDHUP is a GNU extension the Glibc module does not export.
let pollReadHangUp: Int16 = 0x2000

/// Milliseconds from now until `deadline`, rounded up, for `poll`.
public func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
    let remaining = ContinuousClock.now.duration(to: deadline)
    if remaining <= .zero { return 0 }
    let (seconds, attoseconds) = remaining.components
    let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: ms)
}

/// Runs blocking work (open, connect, accept) off the cooperative thread pool.
public func onIOThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// The text of the current `errno`.
public func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Set once when the operation it belongs to is canceled.
final class CancelToken: Sendable {
    private let flag = Atomic<Bool>(false)
    var isCanceled: Bool { flag.load(ordering: .acquiring) }
    func cancel() { flag.store(true, ordering: .releasing) }
}

/// A pipe whose only job is to wake a `poll`.
final class WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws(IOFailure) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw .from(errno: errno) }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(writeEnd, &byte, 1)
    }

    func drain() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ Glibc.read(readEnd, $0.baseAddress, 64) }) > 0 {}
    }

    func close() {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }
}
