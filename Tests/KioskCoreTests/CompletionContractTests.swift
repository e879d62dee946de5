import KioskCore
import Synchronization
import TestSupport
import Testing

final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

@Suite("Every device command ends in exactly one completion")
struct CompletionContractTests {
    static let rounds = 1000

    @Test("success, 1,000 times in a row")
    func success() async {
        let queue = DeviceCommandQueue(device: "test device")
        var commands: [DeviceCommand<Int>] = []
        for round in 0..<Self.rounds {
            commands.append(queue.submit("square", timeout: .seconds(5)) { round * round })
        }
        for (round, command) in commands.enumerated() {
            guard case .success(let value) = await command.completion else {
                Issue.record("round \(round) did not succeed")
                continue
            }
            #expect(value == round * round)
        }
    }

    @Test("cancel while running ends the command as canceled and stops its operation, 1,000 times")
    func cancelWhileRunning() async {
        let queue = DeviceCommandQueue(device: "test device")
        let stopped = Counter()
        for _ in 0..<Self.rounds {
            let started = Latch()
            let command = queue.submit("wait forever", timeout: .seconds(60)) {
                started.open()
                do {
                    try await Task.sleep(for: .seconds(60))
                } catch {
                    stopped.increment()
                    throw error
                }
            }
            await started.wait()
            command.cancel()
            guard case .canceled = await command.completion else {
                Issue.record("a running command was not completed as canceled")
                return
            }
        }
        // The queue waits for each canceled operation to unwind before the next starts.
        let last = await queue.run("after", timeout: .seconds(5)) { 1 }
        #expect(last.outcome == "success")
        #expect(stopped.count == Self.rounds)
    }

    @Test("cancel while queued ends the command at once and its operation never runs, 1,000 times")
    func cancelWhileQueued() async {
        let queue = DeviceCommandQueue(device: "test device")
        let ran = Counter()
        for _ in 0..<Self.rounds {
            let hold = Latch()
            let started = Latch()
            let blocker = queue.submit("hold the device", timeout: .seconds(60)) {
                started.open()
                await hold.wait()
            }
            await started.wait()
            let queued = queue.submit("queued", timeout: .seconds(60)) { ran.increment() }
            queued.cancel()
            guard case .canceled = await queued.completion else {
                Issue.record("a queued command was not completed as canceled")
                return
            }
            hold.open()
            #expect(await blocker.completion.outcome == "success")
        }
        _ = await queue.run("drain", timeout: .seconds(5)) { () }
        #expect(ran.count == 0)
    }

    @Test("a command that runs past its timeout ends as timed out, 1,000 times")
    func timeout() async {
        let queue = DeviceCommandQueue(device: "test device")
        for _ in 0..<Self.rounds {
            let completion = await queue.run("too slow", timeout: .milliseconds(1)) {
                try await Task.sleep(for: .seconds(60))
            }
            guard case .timedOut(let after) = completion else {
                Issue.record("expected a timeout, got \(completion.outcome)")
                return
            }
            #expect(after == .milliseconds(1))
        }
    }

    @Test("cancel returns at once even when the operation ignores cancellation; the device is released when it unwinds")
    func cancelNeverWaitsOnTheCommandsLock() async {
        let queue = DeviceCommandQueue(device: "test device")
        let started = Latch()
        let release = Latch()
        let stubborn = queue.submit("ignores cancel", timeout: .seconds(60)) {
            started.open()
            await release.wait()  // holds the device and does not look at cancellation
            return 1
        }
        await started.wait()
        let next = queue.submit("next", timeout: .seconds(5)) { 2 }
        let clock = ContinuousClock()
        let cancelTook = clock.measure { stubborn.cancel() }
        #expect(cancelTook < .milliseconds(50))
        guard case .canceled = await stubborn.completion else {
            Issue.record("the stubborn command was not completed as canceled")
            return
        }
        #expect(next.completionIfFinished == nil, "the next command must wait until the canceled one has unwound")
        release.open()
        guard case .success(2) = await next.completion else {
            Issue.record("the next command did not run after the device was released")
            return
        }
        // The late result of the canceled operation does not replace its completion.
        guard case .canceled = await stubborn.completion else {
            Issue.record("a second completion replaced the first")
            return
        }
    }

    @Test("random cancels, timeouts, errors and successes: every command gets one completion, 1,000 commands")
    func randomMix() async {
        let queue = DeviceCommandQueue(device: "test device")
        var generator = SplitMix64(seed: 42)
        var commands: [DeviceCommand<Int>] = []
        for round in 0..<Self.rounds {
            let choice = generator.next() % 5
            let command = queue.submit("mixed \(round)", timeout: choice == 1 ? .milliseconds(1) : .seconds(30)) {
                switch choice {
                case 0: return round
                case 1, 2: try await Task.sleep(for: .seconds(30)); return round
                case 3: throw DeviceError(.hardwareError, "simulated fault")
                default:
                    await Task.yield()
                    return round
                }
            }
            if choice == 2 || generator.next() % 7 == 0 { command.cancel() }
            commands.append(command)
        }
        for command in commands {
            let first = await command.completion
            let second = await command.completion
            #expect(first.outcome == second.outcome)
        }
        #expect(commands.allSatisfy { $0.completionIfFinished != nil })
        // The last canceled operation may still be unwinding; then the queue is empty.
        _ = await queue.run("drain", timeout: .seconds(5)) { () }
        var spins = 0
        while queue.backlog > 0, spins < 500 {
            try? await Task.sleep(for: .milliseconds(2))
            spins += 1
        }
        #expect(queue.backlog == 0)
    }

    @Test("after shutdown, queued commands are canceled and new ones refused with a clear error")
    func shutdown() async {
        let queue = DeviceCommandQueue(device: "receipt printer")
        let started = Latch()
        let running = queue.submit("long print", timeout: .seconds(60)) {
            started.open()
            try await Task.sleep(for: .seconds(60))
        }
        await started.wait()
        let queued = queue.submit("queued print", timeout: .seconds(60)) { () }
        await queue.shutdown(grace: .milliseconds(50))
        #expect(running.completionIfFinished?.outcome == "shutting_down")
        #expect(queued.completionIfFinished?.outcome == "shutting_down")
        let late = await queue.run("late", timeout: .seconds(1)) { () }
        guard case .failed(let error) = late else {
            Issue.record("a command after shutdown was run")
            return
        }
        #expect(error.code == .shuttingDown)
        #expect(error.message.contains("receipt printer is shutting down"))
    }
}
