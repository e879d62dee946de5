import Foundation
import KioskCore
@testable import KioskDaemon
import Testing

/// What holds a screen together across its three languages: its view in KioskCore, its renderer in
/// the page's module of the same journey, its words in the string files; and each touch, which the
/// decoder takes, a control on the page sends and docs/local-api.md lists. A screen or a touch that
/// loses one of its parts fails here, naming it.
@Suite("The screens held together: view, renderer, words; touches decoded, sent and documented")
struct ScreenConsistencyTests {
    static let root = ConfigTests.repositoryRoot
    static let sessionFolder = root + "/Sources/KioskCore/Session"

    /// Each page module under ui/screens/ and its text.
    static func pageModules() throws -> [(name: String, text: String)] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/ui/screens").filter { $0.hasSuffix(".js") }.sorted()
            .map { ($0, try String(contentsOfFile: root + "/ui/screens/" + $0, encoding: .utf8)) }
    }

    /// Every page file: the loop, the screens and the widgets.
    static func pageText() throws -> String {
        let folders = ["ui", "ui/screens", "ui/widgets"]
        return try folders.flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder).filter { $0.hasSuffix(".js") }.sorted()
                .map { try String(contentsOfFile: root + "/" + folder + "/" + $0, encoding: .utf8) }
        }.joined(separator: "\n")
    }

    /// The screens a module draws: the keys of its `renderers` object.
    static func renderers(in module: String) -> [String] {
        guard let start = module.range(of: "const renderers = {"), let end = module[start.upperBound...].firstIndex(of: "}") else { return [] }
        return module[start.upperBound..<end].split(separator: ",").compactMap { entry in
            let key = entry.split(separator: ":").first?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return key.isEmpty ? nil : key
        }
    }

    /// `ResidentVisit` → `resident-visit`.
    static func kebab(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase, !out.isEmpty { out += "-" }
            out += character.lowercased()
        }
        return out
    }

    static func matches(_ pattern: String, in text: String) throws -> [String] {
        let expression = try NSRegularExpression(pattern: pattern)
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    static func strings(_ language: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/ui/strings/\(language).json"))
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    @Test("Every screen has its view's name in KioskCore, one renderer in the page's module of its journey, and its sentences in both languages")
    func screens() throws {
        let names = Set(ScreenView.Name.allCases.map(\.rawValue))
        var drawnBy: [String: [String]] = [:]
        for module in try Self.pageModules() {
            let drawn = Self.renderers(in: module.text)
            #expect(!drawn.isEmpty, "ui/screens/\(module.name) draws no screen: a journey's module has a `const renderers = { … }`")
            for screen in drawn { drawnBy[screen, default: []].append(module.name) }
            // A module is named after its journey, whose screens are declared beside it.
            let journey = module.name.dropLast(3).split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            #expect(FileManager.default.fileExists(atPath: Self.sessionFolder + "/\(journey).swift"),
                    "ui/screens/\(module.name) names no journey: there is no Sources/KioskCore/Session/\(journey).swift")
            #expect(FileManager.default.fileExists(atPath: Self.sessionFolder + "/\(journey)Screens.swift"),
                    "ui/screens/\(module.name)'s journey declares its views in no \(journey)Screens.swift")
        }
        for name in names.sorted() {
            #expect(drawnBy[name]?.count == 1, "the screen \(name) is drawn by \(drawnBy[name] ?? []) in ui/screens/: it needs exactly one renderer")
        }
        for (screen, modules) in drawnBy where !names.contains(screen) {
            #expect(Bool(false), "ui/screens/\(modules[0]) draws \(screen), which is no screen of ScreenView.Name")
        }
        // Each journey that declares views has its module.
        let journeys = try FileManager.default.contentsOfDirectory(atPath: Self.sessionFolder).filter { $0.hasSuffix("Screens.swift") }
            .map { String($0.dropLast("Screens.swift".count)) }
        for journey in journeys {
            #expect(FileManager.default.fileExists(atPath: Self.root + "/ui/screens/\(Self.kebab(journey)).js"),
                    "\(journey)Screens.swift declares views that no ui/screens/\(Self.kebab(journey)).js draws")
        }
        // Each screen's sentences, its own among them, are in both languages' files (not only through the fallback).
        let (zh, en) = (try Self.strings("zh"), try Self.strings("en"))
        for phrase in Phrase.allCases {
            #expect(zh["say." + phrase.rawValue] != nil && en["say." + phrase.rawValue] != nil, "say.\(phrase.rawValue) is missing from ui/strings/zh.json or en.json")
        }
    }

    @Test("Every word the page shows is in both string files, and the two files have the same keys")
    func words() throws {
        let (zh, en) = (try Self.strings("zh"), try Self.strings("en"))
        #expect(Set(zh.keys) == Set(en.keys), "only in zh.json: \(Set(zh.keys).subtracting(en.keys).sorted()); only in en.json: \(Set(en.keys).subtracting(zh.keys).sorted())")
        let page = try Self.pageText()
        for key in Set(try Self.matches(#"\bt\("([a-z0-9_]+)"\s*[,)]"#, in: page)).sorted() {
            #expect(zh[key] != nil && en[key] != nil, "the page shows t(\"\(key)\"), which ui/strings/zh.json or en.json lacks")
        }
        // The words the page finds by a prefix and a value kioskd sends.
        let families: [(prefix: String, values: [String])] = [
            ("material_", MaterialLine.Status.allCases.map(\.rawValue)), ("delivery_", DeliveryMethod.allCases.map(\.rawValue)),
            ("kind_", Interaction.Kind.allCases.map(\.rawValue)),
        ]
        for family in families {
            #expect(page.contains("t(\"\(family.prefix)\" + "), "the page no longer says \(family.prefix)… by a value: update this test")
            for value in family.values {
                #expect(zh[family.prefix + value] != nil && en[family.prefix + value] != nil, "no words for \(family.prefix + value) in ui/strings")
            }
        }
        // No words in the style sheet: only symbols may be drawn by CSS.
        let css = try String(contentsOfFile: Self.root + "/ui/style.css", encoding: .utf8)
        for content in try Self.matches(#"content:\s*"([^"]*)""#, in: css) {
            #expect(!content.contains { $0.isLetter }, "ui/style.css draws the words \"\(content)\": put them in ui/strings")
        }
    }

    @Test("Every touch the decoder takes is sent by a control on the page and has a row in docs/local-api.md; every row and every touch the page sends is one it takes")
    func touches() throws {
        let decoded = Set(TouchMessage.decoders.keys)
        let sent = Set(try Self.matches(#"\{\s*type:\s*"([a-z_]+)""#, in: try Self.pageText()))
        for type in decoded.subtracting(sent).sorted() {
            #expect(Bool(false), "kioskd takes the touch \(type), but no control on the page sends it")
        }
        for type in sent.subtracting(decoded).sorted() {
            #expect(Bool(false), "the page sends the touch \(type), which kioskd does not take")
        }
        let doc = try String(contentsOfFile: Self.root + "/docs/local-api.md", encoding: .utf8)
        let section = try #require(doc.range(of: "## Touches").map { doc[$0.upperBound...] })
        let table = section.split(separator: "\n").prefix { !$0.hasPrefix("#") }.filter { $0.hasPrefix("| `") }
        let documented = Set(try table.flatMap { row in try Self.matches(#"`([a-z_]+)`"#, in: String(row.split(separator: "|").first ?? "")) })
        for type in decoded.subtracting(documented).sorted() {
            #expect(Bool(false), "the touch \(type) has no row in docs/local-api.md's Touches")
        }
        for type in documented.subtracting(decoded).sorted() {
            #expect(Bool(false), "docs/local-api.md lists the touch \(type), which kioskd does not take")
        }
    }
}
