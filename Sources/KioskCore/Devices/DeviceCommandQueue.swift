import Synchronization

/// Runs one device's commands one at a time, each with a timeout, and gives
/// every command exactly one completion: success, canceled, timed out or a
/// typed error.
///
/// The rules, learned from XFS4IoT and UnifiedPOS:
/// - Commands run in the order they were submitted; one runs at a time, so a
///   driver's transport has one owner.
/// - ``DeviceCommand/cancel()`` never waits: it completes the command as
///   canceled at once, whether it was queued or running, and asks the running
///   operation to stop. The next command starts when the canceled operation has
///   unwound (transports stop at the next poll, within milliseconds), so a
///   canceled command releases the device.
/// - A timeout completes the command as timed out and cancels the operation
///   the same way.
///
/// ```swift
/// let queue = DeviceCommandQueue(device: "receipt printer")
/// let command = queue.submit("print receipt", timeout: .seconds(10)) {
///     try await printer.print(receipt)
/// }
/// switch await command.completion { ... }
/// ```
public final class DeviceCommandQueue: Sendable {
    private struct State {
        var pending: [any QueuedCommand] = []
        var head = 0
        var running: (any QueuedCommand)?
        var workerActive = false
        var closed = false
        var nextID: UInt64 = 1
    }

    /// The device this queue serves, for messages.
    public let device: String
    private let clock: any Clock<Duration>
    private let state = Mutex(State())

    /// Creates a queue for one device.
    /// - Parameters:
    ///   - device: Its name in messages ("receipt printer").
    ///   - clock: The clock that measures timeouts; tests may inject their own.
    public init(device: String, clock: any Clock<Duration> = ContinuousClock()) {
        self.device = device
        self.clock = clock
    }

    /// Submits a command. It completes exactly once; read ``DeviceCommand/completion``.
    ///
    /// - Parameters:
    ///   - name: What the command does, for logs ("read card").
    ///   - timeout: How long it may run once started (time in the queue does not count).
    ///   - operation: The work. It should honour task cancellation.
    public func submit<Value: Sendable>(
        _ name: String,
        timeout: Duration,
        operation: @escaping @Sendable () async throws -> Value
    ) -> DeviceCommand<Value> {
        let (command, startWorker, closed) = state.withLock { state in
            let command = DeviceCommand(id: state.nextID, name: name, timeout: timeout, operation: operation)
            state.nextID &+= 1
            if state.closed { return (command, false, true) }
            state.pending.append(command)
            let start = !state.workerActive
            state.workerActive = true
            return (command, start, false)
        }
        if closed {
            command.finish(.failed(DeviceError(.shuttingDown, "\(device) is shutting down with kioskd; the command was not run")))
        } else if startWorker {
            Task { await self.work() }
        }
        return command
    }

    /// Submits a command and waits for its completion.
    public func run<Value: Sendable>(
        _ name: String,
        timeout: Duration,
        operation: @escaping @Sendable () async throws -> Value
    ) async -> CommandCompletion<Value> {
        let command = submit(name, timeout: timeout, operation: operation)
        return await withTaskCancellationHandler {
            await command.completion
        } onCancel: {
            command.cancel()
        }
    }

    /// How many commands wait or run.
    public var backlog: Int {
        state.withLock { $0.pending.count - $0.head + ($0.running == nil ? 0 : 1) }
    }

    /// Stops taking commands, lets those already submitted finish for up to
    /// `grace`, then cancels what is left and waits for the running operation
    /// to unwind. Later submissions fail with `shuttingDown`.
    public func shutdown(grace: Duration) async {
        state.withLock { $0.closed = true }
        let step = Duration.milliseconds(10)
        var waited = Duration.zero
        while backlog > 0, waited < grace {
            try? await clock.sleep(for: step)
            waited += step
        }
        let leftovers = state.withLock { state -> [any QueuedCommand] in
            var all = Array(state.pending[state.head...])
            if let running = state.running { all.append(running) }
            return all
        }
        for command in leftovers { command.cancelForShutdown() }
        while state.withLock({ $0.workerActive }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func work() async {
        while let next = state.withLock({ state -> (any QueuedCommand)? in
            guard state.head < state.pending.count else {
                state.pending.removeAll(keepingCapacity: true)
                state.head = 0
                state.running = nil
                state.workerActive = false
                return nil
            }
            let next = state.pending[state.head]
            state.head += 1
            if state.head > 64, state.head * 2 > state.pending.count {
                state.pending.removeFirst(state.head)
                state.head = 0
            }
            state.running = next
            return next
        }) {
            await next.execute(clock: clock, device: device)
            state.withLock { $0.running = nil }
        }
    }
}

protocol QueuedCommand: Sendable {
    func execute(clock: any Clock<Duration>, device: String) async
    func cancelForShutdown()
}

/// A submitted device command: wait for its completion or cancel it.
public final class DeviceCommand<Value: Sendable>: QueuedCommand, Sendable {
    private enum Phase { case queued, running, finished }
    private struct State {
        var phase = Phase.queued
        var completion: CommandCompletion<Value>?
        var waiters: [CheckedContinuation<CommandCompletion<Value>, Never>] = []
        var work: Task<Value, any Error>?
    }

    /// Unique within its queue, in submission order.
    public let id: UInt64
    /// What the command does.
    public let name: String
    /// How long it may run once started.
    public let timeout: Duration
    private let operation: @Sendable () async throws -> Value
    private let state = Mutex(State())

    init(id: UInt64, name: String, timeout: Duration, operation: @escaping @Sendable () async throws -> Value) {
        self.id = id
        self.name = name
        self.timeout = timeout
        self.operation = operation
    }

    /// The command's one completion; waits until it has one.
    public var completion: CommandCompletion<Value> {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> CommandCompletion<Value>? in
                    if let completion = state.completion { return completion }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// The completion if the command has one already.
    public var completionIfFinished: CommandCompletion<Value>? {
        state.withLock { $0.completion }
    }

    /// Cancels the command. Returns at once; the command completes as canceled
    /// unless it had already completed.
    public func cancel() {
        if finish(.canceled) { state.withLock { $0.work }?.cancel() }
    }

    func cancelForShutdown() {
        if finish(.failed(DeviceError(.shuttingDown, "\"\(name)\" was canceled because kioskd is shutting down"))) {
            state.withLock { $0.work }?.cancel()
        }
    }

    /// Completes the command unless it already has a completion. Returns whether this call did.
    @discardableResult
    func finish(_ completion: CommandCompletion<Value>) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<CommandCompletion<Value>, Never>]? in
            guard state.completion == nil else { return nil }
            state.completion = completion
            state.phase = .finished
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: completion) }
        return true
    }

    func execute(clock: any Clock<Duration>, device: String) async {
        let start = state.withLock { state -> Bool in
            guard state.completion == nil else { return false }
            state.phase = .running
            return true
        }
        guard start else { return }  // canceled while queued

        let operation = self.operation
        let work = Task { try await operation() }
        let finishedMeanwhile = state.withLock { state -> Bool in
            state.work = work
            return state.completion != nil
        }
        if finishedMeanwhile { work.cancel() }

        let timeout = self.timeout
        let timer = Task {
            do { try await clock.sleep(for: timeout) } catch { return }
            if self.finish(.timedOut(after: timeout)) { work.cancel() }
        }
        // Wait for the operation itself, even after a cancel or timeout has
        // completed the command: the device is released only when it unwinds.
        let result = await work.result
        timer.cancel()
        switch result {
        case .success(let value):
            finish(.success(value))
        case .failure(let error as DeviceError):
            finish(error.code == .canceled ? .canceled : .failed(error))
        case .failure(is CancellationError):
            finish(.canceled)
        case .failure(let error):
            finish(.failed(DeviceError(.internalError, "\(device): \"\(name)\" failed unexpectedly: \(error)")))
        }
        state.withLock { $0.work = nil }
    }
}
