import Synchronization

/// Holds a device's current status and publishes each *change* to any number
/// of subscribers. Setting the same value again publishes nothing.
///
/// ```swift
/// let status = StatusBroadcaster(DeviceStatus(.noDevice))
/// Task { for await change in status.changes() { print(change) } }
/// status.update(.online)
/// ```
public final class StatusBroadcaster<Value: Equatable & Sendable>: Sendable {
    private struct State {
        var current: Value
        var subscribers: [UInt64: AsyncStream<Value>.Continuation] = [:]
        var nextID: UInt64 = 0
        var finished = false
    }

    private let state: Mutex<State>

    /// Creates a broadcaster holding `initial`.
    public init(_ initial: Value) {
        state = Mutex(State(current: initial))
    }

    /// The current value.
    public var current: Value { state.withLock { $0.current } }

    /// Sets the value; publishes it if it differs from the current one.
    /// Returns whether it was published.
    @discardableResult
    public func update(_ value: Value) -> Bool {
        let subscribers = state.withLock { state -> [AsyncStream<Value>.Continuation]? in
            guard state.current != value else { return nil }
            state.current = value
            return Array(state.subscribers.values)
        }
        guard let subscribers else { return false }
        for subscriber in subscribers { subscriber.yield(value) }
        return true
    }

    /// A stream that starts with the current value and then yields every
    /// change. A slow subscriber keeps the newest 32 changes.
    public func changes() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream.makeStream(of: Value.self, bufferingPolicy: .bufferingNewest(32))
        let registered = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            continuation.yield(state.current)
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            }
            return true
        }
        if !registered {
            continuation.yield(current)
            continuation.finish()
        }
        return stream
    }

    /// Ends every subscriber's stream; later subscribers get the last value and an end.
    public func finish() {
        let subscribers = state.withLock { state -> [AsyncStream<Value>.Continuation] in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
