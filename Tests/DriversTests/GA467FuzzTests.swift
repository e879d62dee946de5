import Drivers
import Foundation
import KioskCore
import Testing

/// Feeds random and mutated byte streams to the reply decoder. `make test`
/// runs 200,000 inputs; the long run (docs/testing.md) sets FUZZ_ITERATIONS=1000000.
@Suite("GA 467 decoder under random input")
struct GA467FuzzTests {
    static var iterations: Int { ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"].flatMap(Int.init) ?? 200_000 }

    static func frame(_ sw3: UInt8, _ data: [UInt8]) -> [UInt8] {
        let length = data.count + 4
        var body: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, sw3] + data
        body.append(body.reduce(0, ^))
        return [0xAA, 0xAA, 0xAA, 0x96, 0x69] + body
    }

    @Test("no crash, no unbounded buffer, and every decoded frame is well formed")
    func randomAndMutated() async {
        var random = SplitMix64(seed: 0x6A_467)
        let seeds: [[UInt8]] = [
            Self.frame(0x9F, [0, 0, 0, 0]), Self.frame(0x80, []), Self.frame(0x90, [UInt8](repeating: 0x5A, count: 8)),
            Self.frame(0x90, [0x01, 0x00, 0x04, 0x00] + [UInt8](repeating: 0x20, count: 1280)),
        ]
        var decoded = 0, rejected = 0, maxBuffered = 0
        for iteration in 0..<Self.iterations {
            // Let the other suites' tasks run: this loop is all CPU.
            if iteration % 2000 == 0 { await Task.yield() }
            var input: [UInt8]
            if iteration % 4 == 0 {
                input = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                input = seeds[Int(random.next() % UInt64(seeds.count))]
                for _ in 0..<Int(random.next() % 4) {
                    guard !input.isEmpty else { break }
                    let position = Int(random.next() % UInt64(input.count))
                    switch random.next() % 4 {
                    case 0: input[position] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
                    case 1: input.remove(at: position)
                    case 2: input.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                    default: input.insert(contentsOf: [0xAA, 0xAA, 0xAA, 0x96, 0x69], at: position)
                    }
                }
            }
            var decoder = GA467ReplyDecoder()
            var offset = 0
            while offset < input.count {
                let piece = min(input.count - offset, 1 + Int(random.next() % 97))
                decoder.append(Array(input[offset..<(offset + piece)]))
                offset += piece
                while let result = decoder.next() {
                    switch result {
                    case .success(let reply):
                        decoded += 1
                        #expect(reply.data.count <= 4096 - 4)
                    case .failure:
                        rejected += 1
                    }
                }
                maxBuffered = max(maxBuffered, decoder.bufferedCount)
                #expect(decoder.bufferedCount <= 7 + 4096 + 97, "the buffer grew past one maximal frame")
            }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
        print("fuzz: \(Self.iterations) inputs, \(decoded) frames decoded, \(rejected) rejected, largest buffer \(maxBuffered) bytes")
    }
}
