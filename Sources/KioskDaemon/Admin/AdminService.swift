import Foundation
import KioskCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import SystemIO

/// The admin socket: `kioskctl` connects, sends one JSON request line, and
/// reads JSON lines until one says `"end": true`. A Unix socket, never TCP:
/// who may administer the kiosk is decided by the file's owner, group and
/// mode (0600; 0660 with `admin.group`).
struct AdminService: KioskService {
    let path: String
    let group: String?
    let commands: AdminCommands
    let logger: Logger
    /// `admin.group`'s id (nil when it is not set or does not exist), for the peer check.
    private let groupID: gid_t?
    /// The connections open now, and those still to send their request line.
    private let connections = AdminConnections()
    /// How long a connection may take to send its request line.
    static let requestDeadline = TimeAmount.seconds(5)

    init(path: String, group: String?, commands: AdminCommands, logger: Logger) {
        self.path = path
        self.group = group
        self.commands = commands
        self.logger = logger
        groupID = group.flatMap { getgrnam($0)?.pointee.gr_gid }
    }

    func run() async throws {
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            // A socket left by a kioskd that was killed is removed (the state
            // directory's lock means no other kioskd is using it).
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Silent connections cannot use up kioskd's descriptors nor keep a maintainer out (AdminConnections).
                        try channel.pipeline.syncOperations.addHandler(RequestDeadline(Self.requestDeadline, connections: connections))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try restrict()
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("cannot create the admin socket \(path): \(error). Check that its folder exists and kioskd may write there (admin.socket)")
        }
        logger.info("admin socket for kioskctl on \(path)")
        await cancelWhenGracefulShutdown {
            try? await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        }
        unlink(path)
    }

    /// Socket files get their mode from the umask at bind; only the owner can
    /// write to (connect to) it with the usual 022, and from here on: 0600,
    /// or 0660 for the admin group.
    private func restrict() throws {
        var mode: mode_t = 0o600
        if let group {
            guard let groupID else { throw StartupError("admin.group \"\(group)\" does not exist: create it (groupadd \(group)) or leave admin.group empty") }
            guard chown(path, getuid(), groupID) == 0 else {
                throw StartupError("cannot give the admin socket to group \(group): \(String(cString: strerror(errno)))")
            }
            mode = 0o660
        }
        guard chmod(path, mode) == 0 else { throw StartupError("cannot set the admin socket's mode: \(String(cString: strerror(errno)))") }
    }

    /// The file's mode is the first gate; the second is who is really at the
    /// other end (`SO_PEERCRED`), so a mode loosened by hand, or a socket
    /// passed on, admits no one else: root, kioskd's own user, or a process
    /// in `admin.group`.
    private func refusal(_ channel: any Channel) async -> String? {
        guard let provider = channel as? SocketOptionProvider,
              let peer: PeerCredentials = try? await provider.unsafeGetSocketOption(level: SocketOptionLevel(PeerCredentials.level), name: SocketOptionName(PeerCredentials.option)).get()
        else { return "kioskd could not tell who is connecting to the admin socket, so it answers no one it cannot name" }
        if peer.uid == 0 || peer.uid == geteuid() { return nil }
        if let gid = groupID, peer.gid == gid || Self.groups(of: peer.uid, primary: peer.gid).contains(gid) { return nil }
        logger.warning("admin: refused a connection from uid \(peer.uid), which is neither kioskd's user nor in admin.group")
        return "user \(peer.uid) may not administer this kiosk: run kioskctl as kioskd's user or with sudo, or ask for a place in admin.group (\(group ?? "not set"))"
    }

    /// The groups a user belongs to, from the user database (kioskd may not
    /// see other users' processes in /proc: the unit sets ProtectProc).
    private static func groups(of uid: uid_t, primary: gid_t) -> [gid_t] {
        var entry = passwd(), found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else { return [] }
        var count: Int32 = 256
        var groups = [gid_t](repeating: 0, count: Int(count))
        guard getgrouplist(name, primary, &groups, &count) >= 0 else { return [] }
        return Array(groups.prefix(Int(count)))
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let refused = await refusal(connection.channel)
        try? await connection.executeThenClose { inbound, outbound in
            var pending = ByteBuffer()
            var line: String?
            for try await chunk in inbound {
                pending.writeImmutableBuffer(chunk)
                if let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    line = pending.readString(length: newline - pending.readerIndex)
                    break
                }
                if pending.readableBytes > 64 * 1024 { break }
            }
            let write: AdminCommands.Write = { object in
                var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                data.append(UInt8(ascii: "\n"))
                try await outbound.write(ByteBuffer(bytes: data))
            }
            if let refused {
                try await write(["end": true, "ok": false, "error": refused])
                return
            }
            guard let line, let request = try? JSONDecoder().decode(AdminRequest.self, from: Data(line.utf8)) else {
                try await write(["end": true, "ok": false, "error": "not a request: the admin socket takes one JSON object per line, e.g. {\"command\":\"status\"}"])
                return
            }
            logger.info("admin: \(request.command)")
            try await commands.handle(request, write: write)
        }
    }
}

/// The admin socket's connections. One that has not sent its request line yet is *silent*: past
/// ``silentLimit`` of them the oldest silent one is closed, so a process holding connections open
/// cannot keep a maintainer's `kioskctl` out (the newest gets in). Commands running (a `logs
/// --follow` among them) are at most ``openLimit`` with the silent ones; past it a new connection
/// is closed at once.
final class AdminConnections: Sendable {
    static let silentLimit = 16
    static let openLimit = 64

    private struct State {
        var silent: [ObjectIdentifier: (serial: Int, channel: any Channel)] = [:]
        var open = 0
        var serial = 0
    }

    private let state = Mutex(State())

    /// A new connection: false when it is to be closed at once; the oldest silent one is closed to make room.
    func opened(_ channel: any Channel) -> Bool {
        let (admitted, closing): (Bool, (any Channel)?) = state.withLock { state in
            guard state.open < Self.openLimit else { return (false, nil) }
            state.open += 1
            state.serial += 1
            state.silent[ObjectIdentifier(channel)] = (state.serial, channel)
            guard state.silent.count > Self.silentLimit, let oldest = state.silent.min(by: { $0.value.serial < $1.value.serial }) else { return (true, nil) }
            state.silent[oldest.key] = nil
            return (true, oldest.value.channel)
        }
        closing?.close(promise: nil)
        return admitted
    }

    /// Its request line came.
    func spoke(_ channel: any Channel) { _ = state.withLock { $0.silent.removeValue(forKey: ObjectIdentifier(channel)) } }

    /// It closed (after `opened` admitted it).
    func closed(_ channel: any Channel) {
        state.withLock {
            $0.silent[ObjectIdentifier(channel)] = nil
            $0.open -= 1
        }
    }
}

/// Closes a connection whose request line (up to its newline) has not come within the deadline, and
/// keeps ``AdminConnections``' count. After the line it only counts: a command that answers for long
/// (`logs --follow`) reads nothing more and must stay open.
final class RequestDeadline: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadline: TimeAmount
    private let connections: AdminConnections
    private var timer: Scheduled<Void>?
    private var admitted = false

    init(_ deadline: TimeAmount, connections: AdminConnections) {
        self.deadline = deadline
        self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        admitted = connections.opened(channel)
        guard admitted else {
            channel.close(promise: nil)
            return
        }
        timer = context.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if timer != nil, unwrapInboundIn(data).readableBytesView.contains(UInt8(ascii: "\n")) {
            timer?.cancel()
            timer = nil
            connections.spoke(context.channel)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if admitted {
            admitted = false
            connections.closed(context.channel)
        }
        context.fireChannelInactive()
    }
}
