import Foundation
import KioskCore

// Everything kioskctl prints for a person goes through these: what kioskd or the
// platform said (a case number, an error, a log line) may hold control characters,
// and an escape sequence sent to a maintainer's terminal could rewrite the screen,
// its title or the clipboard. Each control character is shown as `\u001b`, which
// also stays valid inside JSON; newlines and tabs stay as they are.

/// Swift's `print`, with control characters in the text shown, not sent.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(terminalSafe(items.map { "\($0)" }.joined(separator: separator)), terminator: terminator)
}

/// `text` with every control character (C0 but newline and tab, DEL, C1) written as `\uXXXX`.
func terminalSafe(_ text: String) -> String {
    var safe = ""
    safe.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        let value = scalar.value
        if isControl(scalar), value != 0x0A, value != 0x09 {
            safe += "\\u" + String(repeating: "0", count: 4 - String(value, radix: 16).count) + String(value, radix: 16)
        } else {
            safe.unicodeScalars.append(scalar)
        }
    }
    return safe
}
