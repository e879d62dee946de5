import Dispatch
import Synchronization

/// Lets one waiter sleep for a while or until signalled, whichever is first.
/// A signal with nobody waiting is kept for the next wait.
///
/// (An `AsyncStream` raced against a sleep does not do this: canceling the
/// task that awaits its iterator ends the stream for good.)
///
/// The timeout is a dispatch timer, not a child task's sleep: device
/// supervisors wait here several times a second at rest, and a task group
/// with a sleeping child cost each wait a dozen thread wake-ups.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Counts waits, so a timer left over from an earlier wait (ended by a
        /// signal) cannot end a later one.
        var waits: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a wake-up with no signal pending.
    public init() {}

    /// Wakes the waiter, or the next one to wait.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after `duration`, on a signal, or when the task is canceled.
    public func wait(for duration: Duration) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let wait = state.withLock { state -> UInt64? in
                    if state.pending {
                        state.pending = false
                        return nil
                    }
                    state.waits &+= 1
                    state.waiter = continuation
                    return state.waits
                }
                guard let wait else { return continuation.resume() }
                let (seconds, attoseconds) = duration.components
                DispatchQueue.global().asyncAfter(deadline: .now() + (Double(seconds) + Double(attoseconds) / 1e18)) {
                    self.expire(wait)
                }
            }
        } onCancel: {
            self.signal()
        }
    }

    private func expire(_ wait: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.waits == wait, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
