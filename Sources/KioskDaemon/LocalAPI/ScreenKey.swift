import Foundation
import HTTPTypes

/// The secret only the screen's browser holds. kioskd makes a new one at each
/// start and writes it to a file only its own user (and `http.screen_key_group`,
/// the screen's) can read; the screen opens `http://HOST:PORT/?key=KEY` (what
/// `kioskctl screen-url` prints), kioskd answers with the key in an HttpOnly,
/// SameSite=Strict cookie and sends the browser on to `/`, and every request
/// after that carries it. Tools send `Authorization: Bearer KEY` instead.
/// `/healthz` and `/metrics` need no key: nothing personal is in them.
public struct ScreenKey: Sendable, Equatable {
    public let value: String
    static let cookie = "kioskd_screen"

    public init(value: String) { self.value = value }

    /// A new key: 32 random bytes from the kernel, as hex.
    public static func random() -> ScreenKey {
        var generator = SystemRandomNumberGenerator()
        return ScreenKey(value: (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined())
    }

    /// Writes the key where the screen reads it, readable by kioskd's user only, or by `group` as well.
    public func write(to path: String, group: String?) throws {
        do {
            try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            var mode: mode_t = 0o600
            if let group {
                guard let entry = getgrnam(group), chown(path, uid_t.max, entry.pointee.gr_gid) == 0 else {
                    throw StartupError("cannot give the screen key \(path) to group \(group): create the group, and run kioskd as a member of it")
                }
                mode = 0o640
            }
            guard chmod(path, mode) == 0 else { throw StartupError("cannot set the mode of the screen key \(path): \(String(cString: strerror(errno)))") }
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("cannot write the screen key \(path): \(error.localizedDescription). Check that its folder exists and is kioskd's (http.screen_key_file)")
        }
    }

    /// Whether the request carries the key, in the cookie or as a bearer token.
    func admits(_ request: HTTPRequest) -> Bool {
        if let bearer = request.headerFields[.authorization], bearer.hasPrefix("Bearer "), same(bearer.dropFirst(7)) { return true }
        for header in request.headerFields[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == Self.cookie, same(parts[1]) { return true }
            }
        }
        return false
    }

    /// The key from a `?key=` in the request's path, if it is this one.
    func offered(in request: HTTPRequest) -> Bool {
        guard let query = request.path?.split(separator: "?", maxSplits: 1).dropFirst().first else { return false }
        return query.split(separator: "&").contains { $0.hasPrefix("key=") && same($0.dropFirst(4)) }
    }

    /// The cookie the browser keeps for kioskd's pages, and only for them.
    var setCookie: String { "\(Self.cookie)=\(value); Path=/; HttpOnly; SameSite=Strict" }

    /// Compared in time that does not depend on where the two differ.
    private func same(_ offered: Substring) -> Bool {
        let a = Array(value.utf8), b = Array(offered.trimmingCharacters(in: .whitespaces).utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
