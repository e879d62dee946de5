/// China Standard Time: UTC+8 all year, no daylight saving. Every station
/// lives by it, whatever zone its machine is set to: the date on a receipt,
/// the day a tracking number is minted on, the platform's timestamps.
///
///     ChinaTime.date(1_795_744_800)       // 2026-11-27
///     ChinaTime.clock(1_795_744_800)      // "10:00" (as a receipt prints it)
///     ChinaTime.timestamp(1_795_744_800)  // "20261127T100000" (GB/T 39046)
public enum ChinaTime {
    /// Seconds ahead of UTC.
    public static let offsetSeconds = 8 * 3600

    /// Unix seconds as whole seconds of China time, held to the years 1 to 9999,
    /// so a wild clock or a wild number from a file cannot trap.
    static func localSeconds(_ unixSeconds: Double) -> Int {
        let bounds = Double(CalendarDate.dayNumbers.lowerBound) * 86_400...Double(CalendarDate.dayNumbers.upperBound + 1) * 86_400 - 1
        let held = unixSeconds.isNaN ? 0 : min(max(unixSeconds, bounds.lowerBound), bounds.upperBound)
        return Int(held.rounded(.down)) + offsetSeconds
    }

    /// The date in China at `unixSeconds`.
    public static func date(_ unixSeconds: Double) -> CalendarDate {
        let seconds = localSeconds(unixSeconds)
        return CalendarDate(dayNumber: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }

    /// Hours, minutes and seconds of the day in China at `unixSeconds`.
    public static func timeOfDay(_ unixSeconds: Double) -> (hour: Int, minute: Int, second: Int) {
        let inDay = (localSeconds(unixSeconds) % 86_400 + 86_400) % 86_400
        return (inDay / 3600, inDay % 3600 / 60, inDay % 60)
    }

    /// `9:05`, `14:30`: the time as a receipt prints it.
    public static func clock(_ unixSeconds: Double) -> String {
        let time = timeOfDay(unixSeconds)
        return "\(time.hour):\(two(time.minute))"
    }

    /// `20261127T100000`: GB/T 39046's date-time.
    public static func timestamp(_ unixSeconds: Double) -> String {
        let time = timeOfDay(unixSeconds)
        return "\(date(unixSeconds).yyyymmdd)T\(two(time.hour))\(two(time.minute))\(two(time.second))"
    }

    /// `2026-11-27T10:00:00+08:00`: ISO 8601 with the zone, for a maintainer's screen.
    public static func iso8601(_ unixSeconds: Double) -> String {
        let time = timeOfDay(unixSeconds)
        return "\(date(unixSeconds))T\(two(time.hour)):\(two(time.minute)):\(two(time.second))+08:00"
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// When a case's result is promised: what the receipt prints and the session says.
public enum CompletionPromise: Sendable, Hashable, Codable {
    /// By this date (承诺办结日期).
    case by(CalendarDate)
    /// Handled on the spot (即办件).
    case immediately
    /// No date can be given; the reason is printed instead of a guess.
    case unknown(String)
}
