/// Directions on the writing pad in degrees, in pure Swift (KioskCore links no
/// C maths library): what a stroke's kind is told by.
enum Bearing {
    /// The direction of (x, y) from the x axis, -180…180°, as C's `atan2(y, x)` gives it in
    /// radians (0 for (0, 0)); within 1e-12° of it.
    static func degrees(x: Double, y: Double) -> Double {
        if x == 0 && y == 0 { return 0 }
        let (ax, ay) = (abs(x), abs(y))
        // The first octant's angle, then reflected: atan of a ratio at most 1.
        var angle = arctangent(min(ax, ay) / max(ax, ay))
        if ay > ax { angle = .pi / 2 - angle }
        if x < 0 { angle = .pi - angle }
        return (y < 0 ? -angle : angle) * 180 / .pi
    }

    /// The length of (x, y).
    static func length(x: Double, y: Double) -> Double { (x * x + y * y).squareRoot() }

    /// atan(t) for 0 ≤ t ≤ 1: reduced to |u| ≤ tan 15° by atan t = 30° + atan((t√3 − 1)/(t + √3)),
    /// then its series to u²¹ (the next term is under 1e-14).
    private static func arctangent(_ t: Double) -> Double {
        let root3 = 3.0.squareRoot()
        let reduced = t > 2 - root3
        let u = reduced ? (t * root3 - 1) / (t + root3) : t
        let square = u * u
        var term = u, sum = u
        for n in stride(from: 3, through: 21, by: 2) {
            term *= -square
            sum += term / Double(n)
        }
        return reduced ? .pi / 6 + sum : sum
    }
}
