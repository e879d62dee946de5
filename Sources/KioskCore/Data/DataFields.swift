/// A data file (catalogue, calendar) that was refused, with where and why:
///
///     catalogue line 212, item 0500001000 城乡居民养老保险参保登记, field materials[1].copies: must be a whole number from 1 to 20, not 0
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which file: "catalogue", "calendar".
    public var file: String
    /// The 1-based line of the value at fault.
    public var line: Int
    /// The entry at fault (an item's code and name), when there is one.
    public var item: String?
    /// The field's path inside the entry (or the file): `materials[1].copies`.
    public var field: String
    /// What is wrong and what is expected.
    public var message: String

    public init(file: String, line: Int, item: String?, field: String, message: String) {
        self.file = file
        self.line = line
        self.item = item
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file) line \(line)" + (item.map { ", item \($0)" } ?? "") + (field.isEmpty ? "" : ", field \(field)") + ": \(message)"
    }
}

/// Reads one object of a data file, naming the field and line in every error.
/// Unknown keys are refused, so a misspelt field is caught rather than ignored.
struct FieldReader {
    let file: String
    let node: JSONNode
    /// The path of this object from the entry named by `item` (or from the file's top).
    var path: String
    var item: String?

    init(file: String, node: JSONNode, path: String = "", item: String? = nil) throws(DataFileError) {
        self.file = file
        self.node = node
        self.path = path
        self.item = item
        guard case .object = node.value else { throw fail("must be an object, not \(node.kind)") }
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ message: String, key: String? = nil, at child: JSONNode? = nil) -> DataFileError {
        DataFileError(file: file, line: (child ?? node).line, item: item, field: key.map(fieldPath) ?? path, message: message)
    }

    /// Refuses members other than `known`, suggesting the nearest known one.
    func onlyKeys(_ known: Set<String>) throws(DataFileError) {
        guard case .object(let members) = node.value else { return }
        for member in members where !known.contains(member.key) {
            let hint = nearest(member.key, among: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw fail("is not a known field\(hint)", key: member.key, at: member.value)
        }
    }

    func required(_ key: String) throws(DataFileError) -> JSONNode {
        guard let child = node[key], child.value != .null else { throw fail("is missing", key: key) }
        return child
    }

    func string(_ key: String) throws(DataFileError) -> String {
        let child = try required(key)
        guard case .string(let text) = child.value else { throw fail("must be a string, not \(child.kind)", key: key, at: child) }
        guard !text.allSatisfy(\.isWhitespace) else { throw fail("must not be empty", key: key, at: child) }
        return text
    }

    func optionalString(_ key: String) throws(DataFileError) -> String? {
        guard let child = node[key], child.value != .null else { return nil }
        return try string(key)
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(DataFileError) -> Int {
        let child = try required(key)
        guard case .number(let text) = child.value, let value = Int(text), range.contains(value) else {
            let shown = if case .number(let text) = child.value { text } else { child.kind }
            throw fail("must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(shown)", key: key, at: child)
        }
        return value
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(DataFileError) -> Int? {
        guard let child = node[key], child.value != .null else { return nil }
        return try int(key, in: range)
    }

    func bool(_ key: String, default fallback: Bool? = nil) throws(DataFileError) -> Bool {
        guard let child = node[key], child.value != .null else {
            if let fallback { return fallback }
            throw fail("is missing", key: key)
        }
        guard case .bool(let value) = child.value else { throw fail("must be true or false, not \(child.kind)", key: key, at: child) }
        return value
    }

    func list(_ key: String, allowEmpty: Bool = true) throws(DataFileError) -> [(node: JSONNode, path: String)] {
        guard let child = node[key], child.value != .null else {
            if allowEmpty { return [] }
            throw fail("is missing", key: key)
        }
        guard case .array(let elements) = child.value else { throw fail("must be a list, not \(child.kind)", key: key, at: child) }
        guard allowEmpty || !elements.isEmpty else { throw fail("must list at least one entry", key: key, at: child) }
        return elements.enumerated().map { ($0.element, "\(fieldPath(key))[\($0.offset)]") }
    }

    func strings(_ key: String, allowEmpty: Bool = true) throws(DataFileError) -> [String] {
        var result: [String] = []
        for (element, elementPath) in try list(key, allowEmpty: allowEmpty) {
            guard case .string(let text) = element.value, !text.isEmpty else {
                throw DataFileError(file: file, line: element.line, item: item, field: elementPath, message: "must be a non-empty string, not \(element.kind)")
            }
            result.append(text)
        }
        return result
    }

    func objects(_ key: String, allowEmpty: Bool = true) throws(DataFileError) -> [FieldReader] {
        var result: [FieldReader] = []
        for (element, elementPath) in try list(key, allowEmpty: allowEmpty) {
            result.append(try FieldReader(file: file, node: element, path: elementPath, item: item))
        }
        return result
    }

    func object(_ key: String) throws(DataFileError) -> FieldReader {
        try FieldReader(file: file, node: try required(key), path: fieldPath(key), item: item)
    }

    func optionalObject(_ key: String) throws(DataFileError) -> FieldReader? {
        guard let child = node[key], child.value != .null else { return nil }
        return try object(key)
    }

    /// A string that must be one of `choices` (their raw values).
    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type = T.self) throws(DataFileError) -> T where T.RawValue == String, T: CaseIterable {
        let text = try string(key)
        guard let value = T(rawValue: text) else {
            throw fail("must be one of \(T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), not \"\(text)\"", key: key, at: node[key])
        }
        return value
    }

    /// A non-empty list whose entries are each one of `T`'s raw values (and each once when `unique`).
    func choices<T: RawRepresentable & CaseIterable & Equatable>(_ key: String, _ type: T.Type = T.self, unique: Bool) throws(DataFileError) -> [T]
    where T.RawValue == String {
        var result: [T] = []
        for (index, text) in try strings(key, allowEmpty: false).enumerated() {
            guard let value = T(rawValue: text), !(unique && result.contains(value)) else {
                let names = T.allCases.map { "\"\($0.rawValue)\"" }
                let listed = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
                throw fail("must list \(listed)\(unique ? ", each once" : ""); \"\(text)\" is not", key: "\(key)[\(index)]", at: node[key])
            }
            result.append(value)
        }
        return result
    }
}

/// The candidate closest to `word` by edit distance (ignoring case), if it
/// is close enough to be a typo: for "did you mean" hints.
public func nearest(_ word: String, among candidates: some Collection<String>) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
