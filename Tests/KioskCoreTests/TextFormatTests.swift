import KioskCore
import Testing

@Suite("Sizes and ages for a maintainer's screen")
struct TextFormatTests {
    @Test("byteText: bytes below a kilobyte, one decimal below 100, none above; decimal units as df -H")
    func bytes() {
        #expect(byteText(0) == "0 bytes")
        #expect(byteText(1) == "1 byte")
        #expect(byteText(999) == "999 bytes")
        #expect(byteText(1000) == "1.0 kB")
        #expect(byteText(4_200) == "4.2 kB")
        #expect(byteText(10_000_000) == "10 MB")
        #expect(byteText(51_920_000_000) == "51.9 GB")
        #expect(byteText(512_400_000) == "512 MB")
        #expect(byteText(3_000_000_000_000_000_000) == "3000 PB")
    }

    @Test("ageText: seconds, minutes, hours and minutes, days and hours")
    func ages() {
        #expect(ageText(seconds: 40) == "40 s")
        #expect(ageText(seconds: 720) == "12 min")
        #expect(ageText(seconds: 3 * 3600 + 300) == "3 h 5 min")
        #expect(ageText(seconds: 2 * 86_400 + 4 * 3600) == "2 d 4 h")
        #expect(ageText(seconds: -5) == "0 s")
    }
}
