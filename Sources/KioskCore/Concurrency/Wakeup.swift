import Synchronization

/// Lets one waiter sleep for a while or until signalled, whichever is first.
/// A signal with nobody waiting is kept for the next wait.
///
/// (An `AsyncStream` raced against a sleep does not do this: canceling the
/// task that awaits its iterator ends the stream for good.)
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
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
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: duration)
                    self.signal()
                } catch {}  // canceled: the wait already ended
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let fired = state.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if fired { continuation.resume() }
                }
            } onCancel: {
                self.signal()
            }
            group.cancelAll()
        }
    }
}
