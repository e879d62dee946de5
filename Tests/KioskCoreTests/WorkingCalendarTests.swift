import KioskCore
import Testing

@Suite("Working-day calendar")
struct WorkingCalendarTests {
    let calendar = Shipped.calendar
    func date(_ text: String) -> CalendarDate { CalendarDate(isoText: text)! }

    @Test("Weekdays and day numbers")
    func weekdays() {
        #expect(date("2026-11-27").weekday == 5)
        #expect(date("2026-10-10").weekday == 6)
        #expect(date("1970-01-01").dayNumber == 0)
        for day in [-1000, 0, 20_000, 20_784] { #expect(CalendarDate(dayNumber: day).dayNumber == day) }
    }

    @Test("国庆 2026: seven days off, then Saturday 10 October is worked")
    func nationalDay() {
        #expect(calendar.isWorkingDay(date("2026-10-05")) == false)
        #expect(calendar.isWorkingDay(date("2026-10-10")) == true)
        #expect(calendar.isWorkingDay(date("2026-09-20")) == true, "Sunday 20 September is worked")
        #expect(calendar.adding(workingDays: 5, to: date("2026-09-28")) == .date(date("2026-10-10")))
        #expect(calendar.adding(workingDays: 6, to: date("2026-09-28")) == .date(date("2026-10-12")))
    }

    @Test("春节 2026 and 2025: adjusted working weekends count, the holiday does not")
    func springFestival() {
        #expect(calendar.adding(workingDays: 1, to: date("2026-02-13")) == .date(date("2026-02-14")))
        #expect(calendar.adding(workingDays: 2, to: date("2026-02-13")) == .date(date("2026-02-24")))
        #expect(calendar.adding(workingDays: 1, to: date("2025-01-24")) == .date(date("2025-01-26")))
        #expect(calendar.adding(workingDays: 3, to: date("2025-01-27")) == .date(date("2025-02-07")))
    }

    @Test("The receipt's promise: 7 working days from Friday 27 November 2026 is 2026年12月8日")
    func promise() {
        #expect(calendar.promise(workingDays: 7, from: date("2026-11-27")) == .by(date("2026-12-08")))
        #expect(date("2026-12-08").chinese == "2026年12月8日")
        #expect(calendar.promise(workingDays: 0, from: date("2026-11-27")) == .immediately)
    }

    @Test("A count that runs into a year with no published schedule says so instead of guessing")
    func unknownYear() {
        guard case .unknown(let reason) = calendar.adding(workingDays: 20, to: date("2026-12-14")) else { Issue.record("guessed 2027"); return }
        #expect(reason.contains("2027"))
        guard case .unknown(let printed) = calendar.promise(workingDays: 20, from: date("2026-12-14")) else { Issue.record("guessed"); return }
        #expect(printed.contains("2027年节假日安排尚未公布"))
        #expect(calendar.isWorkingDay(date("2027-01-04")) == nil)
        #expect(calendar.adding(workingDays: 5, to: date("2026-12-14")) == .date(date("2026-12-21")))
    }

    @Test("A bad calendar file is refused with the year and field", arguments: [
        (#"{"years": [{"year": 2026, "source": "x", "holidays": [{"name": "a", "from": "2026-10-01", "to": "2026-10-07"}], "working_weekends": ["2026-10-09"]}]}"#, "working_weekends[0]", "weekday"),
        (#"{"years": [{"year": 2026, "source": "x", "holidays": [{"name": "a", "from": "2026-10-08", "to": "2026-10-01"}]}]}"#, "holidays[0].to", "on or after"),
        (#"{"years": [{"year": 2026, "source": "x", "holidays": [{"name": "a", "from": "2026-13-01", "to": "2026-10-01"}]}]}"#, "holidays[0].from", "YYYY-MM-DD"),
        (#"{"years": [{"year": 2026, "source": "x", "holiday": []}]}"#, "holiday", "did you mean \"holidays\""),
    ])
    func badFile(_ text: String, _ field: String, _ words: String) {
        let error = #expect(throws: DataFileError.self) { try WorkingCalendar.load(json: Array(text.utf8)) }
        #expect(error?.field == field)
        #expect(error?.item == "2026")
        #expect(error?.description.contains(words) == true, "\(String(describing: error))")
    }
}
