import Configuration
import Drivers
import Foundation
import KioskCore
import Logging
import Yams

/// The configuration's keys checked before any value is read: every key that
/// is not a setting is reported with its line and the nearest known one.
extension ConfigLoader {
    /// Walks the YAML and reports every key that is not a setting, with its
    /// line and the nearest known key. Returns the line of each setting found.
    static func checkKeys(yaml: String, file: String, problems: inout [String]) throws -> [String: Int] {
        var lines: [String: Int] = [:]
        guard let root = try Yams.compose(yaml: yaml) else { return lines }  // an empty file is the default
        guard case .mapping(let mapping) = root else {
            problems.append("\(file) line \(root.mark?.line ?? 1): the file must be a mapping of keys such as http:, devices:, state_dir:")
            return lines
        }
        walk(mapping, path: [], file: file, problems: &problems, lines: &lines)
        return lines
    }

    static func walk(_ mapping: Node.Mapping, path: [String], file: String, problems: inout [String], lines: inout [String: Int]) {
        for (keyNode, value) in mapping {
            let line = keyNode.mark?.line ?? 0
            guard let key = keyNode.string else {
                problems.append("\(file) line \(line): a key must be a plain word")
                continue
            }
            let full = (path + [key]).joined(separator: ".")
            let isSetting = settings.contains { $0.key == full }
            let isSection = settings.contains { $0.key.hasPrefix(full + ".") }
            if isSetting {
                lines[full] = line
                switch value {
                case .scalar: break
                default:
                    let expected = settings.first { $0.key == full }!.expected
                    problems.append("\(file) line \(line): \(full) must be a single value (\(expected)), not a list or a section")
                }
            } else if isSection {
                switch value {
                case .mapping(let inner): walk(inner, path: path + [key], file: file, problems: &problems, lines: &lines)
                case .scalar(let scalar) where scalar.string.isEmpty || scalar.tag.description.hasSuffix("null"): break
                default:
                    let children = childKeys(of: full)
                    problems.append("\(file) line \(line): \(full) is a section; it takes the keys \(children.joined(separator: ", "))")
                }
            } else {
                let siblings = childKeys(of: path.joined(separator: "."))
                var message = "\(file) line \(line): unknown key \"\(full)\""
                if let guess = nearest(key, among: siblings) {
                    message += "; did you mean \"\((path + [guess]).joined(separator: "."))\"?"
                }
                message += " Known keys here: \(siblings.joined(separator: ", "))"
                problems.append(message)
            }
        }
    }

    /// The environment variables that look like kioskd's but are not.
    static func checkEnvironment(_ environment: [String: String], problems: inout [String]) {
        let known = Set(settings.map { environmentName(of: $0.key) })
        for name in environment.keys.sorted() where name.hasPrefix(environmentPrefix) && !known.contains(name) {
            var message = "environment variable \(name) is not a kioskd setting"
            if let guess = nearest(name, among: known.sorted()) { message += "; did you mean \(guess)?" }
            problems.append(message)
        }
    }

    /// `devices.idcard_reader.port` → `KIOSKD_DEVICES_IDCARD_READER_PORT`.
    static func environmentName(of key: String) -> String {
        environmentPrefix + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    static func childKeys(of section: String) -> [String] {
        var children: [String] = []
        for (key, _) in settings {
            let rest: Substring
            if section.isEmpty {
                rest = Substring(key)
            } else if key.hasPrefix(section + ".") {
                rest = key.dropFirst(section.count + 1)
            } else {
                continue
            }
            let child = String(rest.split(separator: ".").first!)
            if !children.contains(child) { children.append(child) }
        }
        return children
    }

    /// The candidate closest to `word`, if it is close enough to be a typo.
    static func nearest(_ word: String, among candidates: [String]) -> String? {
        KioskCore.nearest(word, among: candidates)
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    static func yamlErrorText(_ error: any Error) -> String {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
                return "line \(mark.line) column \(mark.column): \(problem)"
            default: break
            }
        }
        return "\(error)"
    }

    static func reasonText(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError { return underlying.localizedDescription }
        return nsError.localizedDescription
    }
}

/// Reads raw values and turns the bad ones into problems naming key, value,
/// origin and what is expected.
final class Values {
    let reader: ConfigReader
    let environment: [String: String]
    let file: String?
    let lines: [String: Int]
    var problems: [String] = []

    init(reader: ConfigReader, environment: [String: String], file: String?, lines: [String: Int]) {
        self.reader = reader
        self.environment = environment
        self.file = file
        self.lines = lines
    }

    /// Where a key's value came from, for messages: the environment variable or the file line.
    func origin(_ key: String) -> String {
        let variable = ConfigLoader.environmentName(of: key)
        if environment[variable] != nil { return " (from \(variable))" }
        if let file, let line = lines[key] { return " (\(file) line \(line))" }
        return ""
    }

    func value<T>(_ key: String, default defaultValue: T, parse: (String) -> T?) -> T {
        guard let text = reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))) else { return defaultValue }
        if let value = parse(text.trimmingCharacters(in: .whitespaces)) { return value }
        let expected = ConfigLoader.settings.first { $0.key == key }?.expected ?? "a valid value"
        problems.append("\(key) \"\(text)\"\(origin(key)) is not valid: expected \(expected)")
        return defaultValue
    }

    /// Whether the key says `auto`.
    func isAuto(_ key: String) -> Bool {
        reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init)))?.trimmingCharacters(in: .whitespaces) == "auto"
    }

    func port(_ key: String, default defaultValue: DevicePort?) -> DevicePort? {
        guard let text = reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))) else { return defaultValue }
        if text == "none" { return nil }
        do {
            return try DevicePort(parsing: text)
        } catch {
            problems.append("\(key)\(origin(key)): \(error.description)")
            return defaultValue
        }
    }
}
