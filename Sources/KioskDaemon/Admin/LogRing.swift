import Foundation
import Logging
import Synchronization

/// The last lines kioskd logged, for `kioskctl logs [--follow]` over the admin
/// socket. Lines are as kioskd wrote them to standard error: already masked
/// (nothing personal is ever logged in the clear), and kept in memory only.
public final class LogRing: Sendable {
    /// One logged line.
    public struct Line: Sendable, Codable, Equatable {
        public var time: String
        public var level: String
        public var label: String
        public var message: String
        public var text: String { "\(time) \(level) \(label): \(message)" }
    }

    /// The ring every kioskd logger writes to (set up by ``handler(label:level:)``).
    public static let shared = LogRing(capacity: 2000)

    private struct State {
        var lines: [Line] = []
        var next = 0
        var followers: [UUID: AsyncStream<Line>.Continuation] = [:]
    }
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    func append(_ line: Line) {
        state.withLock { state in
            if state.lines.count < capacity {
                state.lines.append(line)
            } else {
                state.lines[state.next] = line
            }
            state.next = (state.next + 1) % capacity
            for follower in state.followers.values { follower.yield(line) }
        }
    }

    /// The last `count` lines, oldest first.
    public func last(_ count: Int) -> [Line] {
        state.withLock { state in
            let ordered = state.lines.count < capacity ? state.lines : Array(state.lines[state.next...] + state.lines[..<state.next])
            return Array(ordered.suffix(max(0, count)))
        }
    }

    /// The last `count` lines, then every new one until the stream is dropped.
    public func follow(last count: Int) -> AsyncStream<Line> {
        let (stream, continuation) = AsyncStream.makeStream(of: Line.self, bufferingPolicy: .bufferingNewest(1000))
        let id = UUID()
        state.withLock { state in
            let ordered = state.lines.count < capacity ? state.lines : Array(state.lines[state.next...] + state.lines[..<state.next])
            for line in ordered.suffix(max(0, count)) { continuation.yield(line) }
            state.followers[id] = continuation
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.followers.removeValue(forKey: id) } }
        return stream
    }

    /// A handler for `LoggingSystem.bootstrap` that writes to standard error and to this ring.
    public static func handler(label: String, level: Logger.Level) -> any LogHandler {
        var stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = level
        var ring = RingLogHandler(label: label, ring: shared)
        ring.logLevel = level
        return MultiplexLogHandler([stream, ring])
    }
}

/// Writes each message to a ``LogRing``.
struct RingLogHandler: LogHandler {
    let label: String
    let ring: LogRing
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let suffix = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        ring.append(.init(time: Date().formatted(.iso8601), level: event.level.rawValue, label: label, message: "\(event.message)" + suffix))
    }
}
