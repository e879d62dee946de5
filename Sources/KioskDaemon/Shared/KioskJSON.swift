import Foundation

/// How kioskd writes JSON for others to read: the screen's local API, the admin
/// socket's answers, the heartbeat. Keys in snake_case, sorted, slashes as they are.
enum KioskJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
