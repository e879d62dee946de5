import Dispatch
import Synchronization

/// Lets one waiter sleep for a while or until signalled, whichever is first.
/// A signal with nobody waiting is kept for the next wait.
///
/// (An `AsyncStream` raced against a sleep does not do this: canceling the
/// task that awaits its iterator ends the stream for good.)
///
/// The timeout is one dispatch timer, set again for each wait, not a child
/// task's sleep: device supervisors wait here several times a second at
/// rest, and a task group with a sleeping child costs each wait several more
/// thread wake-ups. Being one timer, a wait a signal ended leaves nothing
/// behind to fire later, however often it is signalled.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// When the current wait times out; the timer firing earlier (set for
        /// a wait a signal has since ended) is set again for it.
        var deadline = DispatchTime.distantFuture
    }

    private let state = Mutex(State())
    private nonisolated(unsafe) let timer = DispatchSource.makeTimerSource(queue: .global())

    /// Creates a wake-up with no signal pending.
    public init() {
        timer.setEventHandler { [weak self] in self?.expire() }
        timer.activate()
    }

    deinit { timer.cancel() }

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
                let (seconds, attoseconds) = duration.components
                let deadline = DispatchTime.now() + (Double(seconds) + Double(attoseconds) / 1e18)  // clamped by Dispatch
                let signalled = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    state.deadline = deadline
                    timer.schedule(deadline: deadline)  // under the lock: the last wait's deadline is the one set
                    return false
                }
                if signalled { continuation.resume() }
            }
        } onCancel: {
            self.signal()
        }
    }

    private func expire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else { return nil }
            guard DispatchTime.now() >= state.deadline else {
                timer.schedule(deadline: state.deadline)  // fired for a wait that has ended: this one's still stands
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
