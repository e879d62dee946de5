/// Text that came from outside (the platform's reasons and details, a printer's
/// answer) made fit to show, log or keep: one line, control characters as spaces
/// (an escape sequence in a log reaches a maintainer's terminal), at most
/// `limit` characters with … after a cut.
public func outsideText(_ text: String, limit: Int) -> String {
    var kept = ""
    for (count, character) in text.enumerated() {
        guard count < limit else { return kept + "…" }
        kept.append(character.unicodeScalars.contains(where: isControl) ? " " : character)
    }
    return kept
}

/// C0 (newline and tab too), DEL and C1.
public func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
