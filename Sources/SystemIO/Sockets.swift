#if canImport(Glibc)
import Glibc
#endif

/// Why a TCP connect failed.
public enum ConnectFailure: Error, Sendable {
    /// The host name did not resolve.
    case unresolved(String)
    /// Nothing listens at the address.
    case refused
    /// No answer before the deadline.
    case timedOut
    /// Any other error.
    case other(String)
}

/// Connects a non-blocking TCP socket to `host:port` before `deadline`, trying each address.
public func connectTCP(host: String, port: UInt16, deadline: ContinuousClock.Instant) throws(ConnectFailure) -> Int32 {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let first = list else { throw .unresolved(String(cString: gai_strerror(status))) }
    defer { freeaddrinfo(list) }
    var failure = ConnectFailure.refused
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let info = entry {
        entry = info.pointee.ai_next
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { continue }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        var code: Int32 = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 ? 0 : errno
        if code == EINPROGRESS {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&pfd, 1, milliseconds(until: deadline)) <= 0 {
                code = ETIMEDOUT
            } else {
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            }
        }
        if code == 0 { return fd }
        Glibc.close(fd)
        failure = switch code {
        case ECONNREFUSED: .refused
        case ETIMEDOUT: .timedOut
        default: .other(errnoText(code))
        }
    }
    throw failure
}

/// A TCP socket bound to `host:port` (IPv4; port 0 lets the system choose), not yet listening:
/// the descriptor and the port it has. With `sharingPort`, another socket of this user may bind
/// the same port beside it (SO_REUSEPORT), as ``TCPPortHold`` does.
private func boundTCPSocket(host: String, port: UInt16, sharingPort: Bool) throws(IOFailure) -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .from(errno: errno) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    if sharingPort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
        Glibc.close(fd)
        throw .system(EINVAL, "\(host) is not an IPv4 address")
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else {
        let code = errno
        Glibc.close(fd)
        throw .system(code, "cannot listen on \(host):\(port): \(errnoText(code))")
    }
    var actual = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &actual) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, UInt16(bigEndian: actual.sin_port))
}

/// A listening TCP socket on a loopback or given address.
public final class TCPListeningSocket: Sendable {
    /// The listening descriptor.
    public let fd: Int32
    /// The port it listens on (the one the system chose, when asked for 0).
    public let port: UInt16
    /// The address it listens on.
    public let host: String

    /// Binds and listens on `host:port` (IPv4); port 0 lets the system choose. With `sharingPort`,
    /// a ``TCPPortHold`` may keep the port while this socket is closed and another one made.
    public init(host: String = "127.0.0.1", port: UInt16, sharingPort: Bool = false) throws(IOFailure) {
        let (fd, actual) = try boundTCPSocket(host: host, port: port, sharingPort: sharingPort)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        guard listen(fd, 8) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system(code, "cannot listen on \(host):\(actual): \(errnoText(code))")
        }
        self.fd = fd
        self.port = actual
        self.host = host
    }

    /// Waits for a connection until `deadline`; nil on timeout.
    public func accept(deadline: ContinuousClock.Instant) throws(IOFailure) -> Int32? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, milliseconds(until: deadline))
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .from(errno: errno)
        }
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            if errno == EAGAIN || errno == EINTR || errno == ECONNABORTED { return nil }
            throw .from(errno: errno)
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return client
    }

    /// Stops listening.
    public func close() { Glibc.close(fd) }
}

/// A port kept bound and not listening, so a connection to it is refused and nothing else is
/// given it meanwhile: no other socket's bind, and no connection's own end (an ephemeral port,
/// or a connection to the port itself, which Linux can join to itself). What a simulated network
/// device holds while it is away, to come back on the same port.
public final class TCPPortHold: Sendable {
    private let fd: Int32

    /// Binds `host:port` beside a ``TCPListeningSocket`` made with `sharingPort`.
    public init(host: String, port: UInt16) throws(IOFailure) {
        fd = try boundTCPSocket(host: host, port: port, sharingPort: true).fd
    }

    /// Gives the port up.
    public func close() { Glibc.close(fd) }
}

/// A listening Unix-domain stream socket at a path (a control or admin socket).
public final class UnixListeningSocket: Sendable {
    /// The listening descriptor.
    public let fd: Int32
    /// The socket's path.
    public let path: String

    /// Binds at `path` (replacing a stale socket file) with the given permission bits.
    public init(path: String, mode: mode_t = 0o600) throws(IOFailure) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .system(ENAMETOOLONG, "socket path \(path) is longer than \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes: choose a shorter one")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .from(errno: errno) }
        unlink(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, mode) == 0, listen(fd, 8) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system(code, "cannot listen on \(path): \(errnoText(code))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
        self.path = path
    }

    /// Waits for a connection until `deadline`; nil on timeout.
    public func accept(deadline: ContinuousClock.Instant) throws(IOFailure) -> Int32? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, milliseconds(until: deadline))
        if ready <= 0 {
            if ready < 0, errno != EINTR { throw .from(errno: errno) }
            return nil
        }
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            if errno == EAGAIN || errno == EINTR || errno == ECONNABORTED { return nil }
            throw .from(errno: errno)
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return client
    }

    /// Stops listening and removes the socket file.
    public func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

/// Connects to a Unix-domain stream socket.
public func connectUnix(path: String) throws(IOFailure) -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .system(ENAMETOOLONG, "socket path too long") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .from(errno: errno) }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else {
        let code = errno
        Glibc.close(fd)
        throw .system(code, "cannot connect to \(path): \(errnoText(code))")
    }
    return fd
}

/// Whether `host` is this machine: localhost, or a loopback address read as one
/// (127.0.0.0/8, ::1), never a name that merely starts like one (`127.attacker.example`).
public func isLoopbackHost(_ host: String) -> Bool {
    if host == "localhost" || host == "::1" || host == "[::1]" { return true }
    return isIPv4Address(host) && host.hasPrefix("127.")
}

/// Whether `host` is a dotted-quad IPv4 address (`192.168.1.20`), not a name that looks like one.
public func isIPv4Address(_ host: some StringProtocol) -> Bool {
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { part in
        !part.isEmpty && part.count <= 3 && part.utf8.allSatisfy { (48...57).contains($0) } && (Int(part) ?? 256) <= 255
    }
}

/// Who is at the other end of a Unix socket, as the kernel saw them connect:
/// Linux's `struct ucred` (SO_PEERCRED), which Glibc's module leaves out.
public struct PeerCredentials: Sendable {
    public var pid: pid_t = 0
    public var uid: uid_t = 0
    public var gid: gid_t = 0

    public init() {}

    /// `getsockopt`'s level and name for it.
    public static let level = SOL_SOCKET
    public static let option = SO_PEERCRED
}

/// The process's limit on open file descriptors (RLIMIT_NOFILE).
public enum DescriptorLimit {
    /// Raises the soft limit to the hard one (systemd's default soft limit is
    /// 1,024, kept for old select() users; kioskd uses none) and returns it.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
