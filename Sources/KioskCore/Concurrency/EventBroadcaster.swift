import Synchronization

/// Delivers events to every current subscriber. Unlike ``StatusBroadcaster``
/// nothing is replayed: a subscriber sees the events after it subscribed.
public final class EventBroadcaster<Event: Sendable>: Sendable {
    private let subscribers = Mutex<(next: UInt64, all: [UInt64: AsyncStream<Event>.Continuation])>((0, [:]))

    /// Creates a broadcaster with no subscribers.
    public init() {}

    /// A stream of the events from now on. A slow subscriber keeps the newest 64.
    public func subscribe() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(64))
        let id = subscribers.withLock { state -> UInt64 in
            defer { state.next += 1 }
            state.all[state.next] = continuation
            return state.next
        }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.all.removeValue(forKey: id) } }
        return stream
    }

    /// Sends an event to every subscriber.
    public func send(_ event: Event) {
        for subscriber in subscribers.withLock({ Array($0.all.values) }) { subscriber.yield(event) }
    }

    /// Ends every subscriber's stream.
    public func finish() {
        for subscriber in subscribers.withLock({ state in
            defer { state.all.removeAll() }
            return Array(state.all.values)
        }) { subscriber.finish() }
    }
}
