import Synchronization

/// A value behind a mutex, for the simulators' small shared state.
public final class LockedValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    /// Creates the box.
    public init(_ value: Value) { storage = Mutex(value) }

    /// Reads or replaces the value.
    public var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }

    /// Replaces the value and returns the old one.
    public func exchange(_ newValue: Value) -> Value {
        storage.withLock { value in
            defer { value = newValue }
            return value
        }
    }

    /// Runs `body` with the value locked.
    public func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        storage.withLock { body(&$0) }
    }
}
