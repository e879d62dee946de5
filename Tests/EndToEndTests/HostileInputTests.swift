import Foundation
import TestSupport
import Testing

/// kioskd, as a maintainer runs it, against input that once stopped or wore it down: each test shows
/// kioskd still serving, and what a maintainer or a resident is told.
@Suite("Held against hostile input", .serialized, .timeLimit(.minutes(3)))
struct HostileInputTests {
    @Test("a platform whose ping answers a Date with a number that would overflow: kioskd keeps serving, and the self-test says the Date does not read")
    func overflowingDate() async throws {
        let demo = try AdminSocketTests.Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")
        for header in ["Thu, 01 Jan 2026 9223372036854775807:00:00 GMT", "Thu, 01 Jan 9223372036854775807 00:00:00 GMT", "Thu, 99 Jan 2026 00:00:00 GMT"] {
            #expect(try await demo.simulator("platform", "date", header).contains("ok"))
            // The self-test asks the platform's clock (as the link's probe does at every start).
            let selftest = try await demo.ctl("selftest")
            #expect(selftest.stdout.contains("SKIP  platform: clock — the platform's answer carries no Date the station can read"), "\(header): \(selftest)")
            #expect(await health(demo.base)?.status != nil, "kioskd stopped answering after the Date \(header)")
        }
        await demo.stop()
    }

    @Test("one zig-zag stroke of 40 points (450 bytes) is refused with why; kioskd and its writing pad go on, an ordinary character read after it")
    func zigZagStroke() async throws {
        let demo = try AdminSocketTests.Demo()
        #expect(await demo.ready(), "the demo did not come up: \(demo.child.stderr)")
        let key = screenKey(demo.state)
        let zigzag = (0..<40).map { "[\(10 + $0 * 9), \($0 % 2 == 0 ? 10 : 390)]" }.joined(separator: ",")
        let refused = try #require(try await post(demo.base + "/api/handwriting", json: #"{"width": 400, "height": 400, "strokes": [[\#(zigzag)]]}"#, key: key))
        #expect(refused.status == 400 && String(decoding: refused.body, as: UTF8.self).contains("turns"), "\(String(decoding: refused.body, as: UTF8.self))")
        // 王, as the self-test writes it.
        let wang = #"{"width": 400, "height": 400, "strokes": [[[80, 80], [200, 80], [320, 80]], [[100, 200], [300, 200]], [[200, 80], [200, 330]], [[48, 336], [352, 336]]]}"#
        let read = try #require(try await post(demo.base + "/api/handwriting", json: wang, key: key))
        #expect(read.status == 200 && String(decoding: read.body, as: UTF8.self).contains("王"), "\(String(decoding: read.body, as: UTF8.self))")
        #expect(await health(demo.base)?.status != nil)
        await demo.stop()
    }
}
