import Foundation

/// The platform simulator's reading of docs/platform-api.yaml: a request that
/// breaks the document is refused with 400 and what broke, and one that keeps
/// it gets past here. Written from the platform's side, separately from the
/// station's client (the same document, read twice, so a mismatch shows).
enum PlatformContract {
    /// A request that breaks the document.
    struct Broken: Error {
        var reason: String
    }

    /// A pattern of the document, as it writes it.
    struct Pattern: Sendable {
        let source: String
        func matches(_ text: String) -> Bool { (try? Regex(source).wholeMatch(in: text)) != nil }
    }

    static let idempotencyKey = Pattern(source: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    static let trackingNumber = Pattern(source: "^[0-9]{6,12}-[0-9]{8}-[0-9]{4,5}-[0-9X]$")
    static let stationCode = Pattern(source: "^[0-9]{6,12}$")
    static let serviceCode = Pattern(source: "^[0-9A-Za-z-]{1,60}$")
    static let dateTime = Pattern(source: "^[0-9]{8}T[0-9]{6}$")
    static let date = Pattern(source: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    static let base64 = Pattern(source: "^[A-Za-z0-9+/]+={0,2}$")
    static let sha256 = Pattern(source: "^[0-9a-f]{64}$")
    static let digits = Pattern(source: "^[0-9]+$")

    /// The largest JSON body an endpoint takes, and the largest upload chunk.
    static let jsonLimit = 1 << 20
    static let chunkLimit = 8 << 20

    /// A JSON request body's fields, each checked as the document says.
    struct Body {
        let fields: [String: Any]

        /// An object's fields (one inside a body).
        init(fields: [String: Any]) { self.fields = fields }

        /// The body of a JSON request: an object, sent as application/json.
        init(_ request: HTTPRequest) throws(Broken) {
            let type = request.headers["content-type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            guard type == "application/json" else { throw Broken(reason: "the body must be application/json") }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
                throw Broken(reason: "the body must be a JSON object")
            }
            fields = object
        }

        func string(_ key: String, required: Bool = true, length: ClosedRange<Int> = 0...Int.max, pattern: Pattern? = nil) throws(Broken) -> String? {
            guard let value = fields[key] else {
                if required { throw Broken(reason: "\(key) is required") }
                return nil
            }
            guard let text = value as? String else { throw Broken(reason: "\(key) must be a string") }
            guard length.contains(text.count) else { throw Broken(reason: "\(key) must be \(length.lowerBound) to \(length.upperBound) characters") }
            if let pattern, !pattern.matches(text) { throw Broken(reason: "\(key) \"\(text.prefix(40))\" does not match the document's pattern") }
            return text
        }

        func requiredString(_ key: String, length: ClosedRange<Int> = 0...Int.max, pattern: Pattern? = nil) throws(Broken) -> String {
            guard let text = try string(key, length: length, pattern: pattern) else { throw Broken(reason: "\(key) is required") }
            return text
        }

        func integer(_ key: String, in range: ClosedRange<Int>) throws(Broken) -> Int {
            guard let value = fields[key] else { throw Broken(reason: "\(key) is required") }
            guard let number = PlatformContract.integer(value), range.contains(number) else {
                throw Broken(reason: "\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        func strings(_ key: String, required: Bool = true, count: ClosedRange<Int> = 0...Int.max, length: ClosedRange<Int> = 0...Int.max) throws(Broken) -> [String] {
            guard let value = fields[key] else {
                if required { throw Broken(reason: "\(key) is required") }
                return []
            }
            guard let list = value as? [Any], count.contains(list.count) else { throw Broken(reason: "\(key) must be a list of \(count.lowerBound) to \(count.upperBound) strings") }
            return try list.map { item throws(Broken) in
                guard let text = item as? String, length.contains(text.count) else { throw Broken(reason: "each of \(key) must be a string of \(length.lowerBound) to \(length.upperBound) characters") }
                return text
            }
        }
    }

    /// A JSON number that is an integer (not a boolean, not a fraction).
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    /// A header that must be a whole number within `range`.
    static func headerInteger(_ request: HTTPRequest, _ name: String, in range: ClosedRange<Int>) throws(Broken) -> Int {
        guard let text = request.headers[name.lowercased()] else { throw Broken(reason: "the \(name) header is required") }
        return try wholeNumber(text, "the \(name) header", in: range, digits: 12)
    }

    /// `text` as a whole number within `range`, of at most `count` digits and nothing else, or what `what` must be.
    static func wholeNumber(_ text: String, _ what: String, in range: ClosedRange<Int>, digits count: Int) throws(Broken) -> Int {
        guard text.count <= count, digits.matches(text), let value = Int(text), range.contains(value) else {
            throw Broken(reason: "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Checks `text` against `pattern`, or says what it is not.
    static func check(_ text: String, _ pattern: Pattern, _ what: String) throws(Broken) {
        if !pattern.matches(text) { throw Broken(reason: "\(what) \"\(text.prefix(60))\" does not match the document's pattern") }
    }

    /// The paths of the document and the methods each takes: a path with other
    /// methods answers 405 and says which it takes.
    static func methods(for parts: [String]) -> [String]? {
        guard parts.first == "v1" else { return nil }
        switch (parts.count, parts.count > 1 ? parts[1] : "") {
        case (2, "ping"), (2, "catalogue"): return ["GET"]
        case (4, "uploads"): return ["HEAD", "PATCH"]
        case (2, "applications"), (2, "ratings"), (2, "reservations"), (2, "consultations"), (2, "heartbeat"): return ["POST"]
        case (4, "stations") where parts[3] == "events": return ["GET"]
        case (3, "ecertificates") where parts[2] == "lookup": return ["POST"]
        default: return nil
        }
    }
}
