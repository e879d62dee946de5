import Synchronization

/// Opens once; everyone waiting resumes, and later waiters pass at once.
///
/// ```swift
/// let ready = Latch()
/// Task { await ready.wait(); startKeepAlives() }
/// ready.open()
/// ```
public final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Creates a closed latch.
    public init() {}

    /// Whether it has been opened.
    public var isOpen: Bool { state.withLock { $0.open } }

    /// Opens the latch, resuming every waiter.
    public func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the latch is open.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}
