/// Working days (工作日) by the national holiday schedule and its adjusted
/// working weekends (调休), as data: the State Council publishes each year's
/// schedule around November, so the shipped file covers the years published
/// so far and a date beyond them is reported as unknown, never guessed.
///
///     let calendar = try WorkingCalendar.load(json: bytes)
///     calendar.adding(workingDays: 5, to: CalendarDate(year: 2026, month: 9, day: 28)!)
///     // .date(2026-10-13): 国庆 1–7 October off, Saturday 10 October worked
public struct WorkingCalendar: Sendable, Equatable {
    /// One year's schedule.
    public struct Year: Sendable, Equatable {
        public var year: Int
        /// The notice it comes from (国办发明电〔2024〕12号).
        public var source: String
        /// Days off that would otherwise be working days, and holidays on weekends.
        public var holidays: Set<CalendarDate>
        /// Weekend days that are worked (调休上班).
        public var workingWeekends: Set<CalendarDate>
        /// Holiday names by date, for the guide screen.
        public var names: [CalendarDate: String]
    }

    /// The years covered, by year.
    public private(set) var years: [Int: Year]

    public init(years: [Year]) {
        self.years = Dictionary(uniqueKeysWithValues: years.map { ($0.year, $0) })
    }

    /// The years covered, in order.
    public var coveredYears: [Int] { years.keys.sorted() }

    /// Whether `date` is a working day; nil when its year's schedule is not known.
    public func isWorkingDay(_ date: CalendarDate) -> Bool? {
        guard let year = years[date.year] else { return nil }
        if year.workingWeekends.contains(date) { return true }
        if year.holidays.contains(date) { return false }
        return date.weekday <= 5
    }

    /// The result of counting working days.
    public enum Answer: Sendable, Equatable {
        case date(CalendarDate)
        /// The count runs into a year whose schedule is not published; says which.
        case unknown(reason: String)
    }

    /// The date `workingDays` working days after `start`, the day of
    /// acceptance not counted (0 means the same day: 即办). Counting a
    /// limit that way is what the receipt's 承诺办结日期 promises.
    public func adding(workingDays: Int, to start: CalendarDate) -> Answer {
        guard workingDays > 0 else { return .date(start) }
        var date = start
        var remaining = workingDays
        while remaining > 0 {
            date = date.next
            guard let working = isWorkingDay(date) else {
                return .unknown(reason: "no holiday schedule for \(date.year) has been loaded yet, so \(workingDays) working days from \(start.chinese) cannot be counted")
            }
            if working { remaining -= 1 }
        }
        return .date(date)
    }

    /// The first year from `start`'s on whose holiday schedule is not loaded (the one a promise runs into).
    public func firstUnpublishedYear(from start: CalendarDate) -> Int {
        (start.year...start.year + 2).first { years[$0] == nil } ?? start.year + 1
    }

    /// The receipt's promise for a limit of `workingDays` from `start`.
    public func promise(workingDays: Int, from start: CalendarDate) -> CompletionPromise {
        if workingDays == 0 { return .immediately }
        switch adding(workingDays: workingDays, to: start) {
        case .date(let date): return .by(date)
        case .unknown:
            // Printed after "承诺办结日期：", so it reads as a sentence there.
            return .unknown("\(workingDays)个工作日内（\(firstUnpublishedYear(from: start))年节假日安排尚未公布，具体日期以平台通知为准）")
        }
    }

    /// Reads a calendar file (`data/holidays-cn.json`; schema in docs/catalogue.md).
    public static func load(json bytes: [UInt8]) throws(DataFileError) -> WorkingCalendar {
        let root: JSONNode
        do { root = try JSONNode.parse(bytes) } catch {
            throw DataFileError(file: "calendar", line: error.line, item: nil, field: "", message: "not valid JSON at column \(error.column): \(error.message)")
        }
        let top = try FieldReader(file: "calendar", node: root)
        try top.onlyKeys(["$schema", "years"])
        var years: [Year] = []
        for base in try top.objects("years", allowEmpty: false) {
            var reader = base
            let number = try reader.int("year", in: 2000...2100)
            reader.item = String(number)
            reader.path = ""
            try reader.onlyKeys(["year", "source", "holidays", "working_weekends"])
            guard !years.contains(where: { $0.year == number }) else { throw reader.fail("the year \(number) is listed twice", key: "year", at: reader.node["year"]) }
            var year = Year(year: number, source: try reader.string("source"), holidays: [], workingWeekends: [], names: [:])
            for holiday in try reader.objects("holidays", allowEmpty: false) {
                try holiday.onlyKeys(["name", "from", "to"])
                let name = try holiday.string("name")
                let from = try holiday.date("from"), to = try holiday.date("to")
                guard from <= to, to.dayNumber - from.dayNumber < 15 else { throw holiday.fail("must end on or after \"from\" and last at most 15 days", key: "to", at: holiday.node["to"]) }
                guard from.year == number, to.year == number else { throw holiday.fail("is not in \(number)", key: "from", at: holiday.node["from"]) }
                for day in from.dayNumber...to.dayNumber {
                    let date = CalendarDate(dayNumber: day)
                    year.holidays.insert(date)
                    year.names[date] = name
                }
            }
            for (node, path) in try reader.list("working_weekends") {
                guard case .string(let text) = node.value, let date = CalendarDate(isoText: text) else {
                    throw DataFileError(file: "calendar", line: node.line, item: reader.item, field: path, message: "must be a date written YYYY-MM-DD")
                }
                guard date.weekday >= 6 else {
                    throw DataFileError(file: "calendar", line: node.line, item: reader.item, field: path, message: "\(date) is a weekday: only a Saturday or Sunday can be an adjusted working day")
                }
                guard !year.holidays.contains(date) else {
                    throw DataFileError(file: "calendar", line: node.line, item: reader.item, field: path, message: "\(date) is also listed as a holiday")
                }
                year.workingWeekends.insert(date)
            }
            years.append(year)
        }
        return WorkingCalendar(years: years)
    }
}
