/// An entry of a service menu: an item, or a bundle of items.
public struct MenuEntry: Sendable, Equatable, Hashable {
    public var code: String
    public var name: String
    public var isBundle: Bool
    /// The picture shown beside the name (a ``Pictogram`` name).
    public var pictogram: String
    public init(code: String, name: String, isBundle: Bool, pictogram: String) {
        self.code = code
        self.name = name
        self.isBundle = isBundle
        self.pictogram = pictogram
    }
}

extension ServiceItem {
    /// This item as a menu shows it.
    public var menuEntry: MenuEntry { MenuEntry(code: code, name: name, isBundle: false, pictogram: pictogram) }
}

extension ServiceBundle {
    /// This bundle as a menu shows it.
    public var menuEntry: MenuEntry { MenuEntry(code: code, name: name, isBundle: true, pictogram: pictogram) }
}

extension Catalogue {
    /// 常用: the high-frequency items and bundles, bundles first, then by rank.
    public var popular: [MenuEntry] {
        let ranked = bundles.compactMap { bundle in bundle.popularity.map { (0, $0, bundle.menuEntry) } }
            + items.compactMap { item in item.popularity.map { (1, $0, item.menuEntry) } }
        return ranked.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// What is listed under a life event: its bundles, then its items.
    public func entries(lifeEvent: String) -> [MenuEntry] {
        bundles.filter { $0.lifeEvents.contains(lifeEvent) }.map(\.menuEntry)
            + items.filter { $0.lifeEvents.contains(lifeEvent) }.map(\.menuEntry)
    }

    /// The life events with at least one service, in the catalogue's order.
    public var lifeEventsInUse: [Category] { lifeEvents.filter { !entries(lifeEvent: $0.id).isEmpty } }

    /// The departments with at least one service, in the catalogue's order.
    public var departmentsInUse: [Category] {
        departments.filter { department in items.contains { $0.department == department.id } }.map { Category(id: $0.id, name: $0.name, pictogram: $0.pictogram) }
    }

    /// A department's items.
    public func entries(department: String) -> [MenuEntry] {
        items.filter { $0.department == department }.map(\.menuEntry)
    }

    /// Searches by keyword (养老, 低保) or by pinyin initials typed on the
    /// initials keyboard (YL, DB: letters only, any case). Initials match
    /// from the start of the name's initials or of any word in it; keywords
    /// match the name and the item's search words. Bundles come first,
    /// then high-frequency items, then the rest in catalogue order.
    public func search(_ query: String) -> [MenuEntry] {
        let text = query.filter { !$0.isWhitespace }
        guard !text.isEmpty else { return [] }
        let byInitials = text.allSatisfy { $0.isASCII && $0.isLetter }
        func matches(name: String, keywords: [String], initials: String) -> Bool {
            if byInitials { return initials.contains(text.uppercased()) }
            return name.contains(text) || keywords.contains { $0.contains(text) || text.contains($0) }
        }
        let found = bundles.filter { matches(name: $0.name, keywords: $0.keywords, initials: $0.pinyinInitials) }
            .map { (0, $0.popularity ?? 1000, $0.menuEntry) }
            + items.enumerated().filter { matches(name: $0.element.name, keywords: $0.element.keywords, initials: $0.element.pinyinInitials) }
            .map { (1, $0.element.popularity ?? 1000 + $0.offset, $0.element.menuEntry) }
        return found.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// The item or bundle with this code, as something to apply for.
    public func choice(_ code: String) -> ServiceChoice? {
        if let item = item(code) { return .item(item) }
        if let bundle = bundle(code) { return .bundle(bundle, bundle.items.compactMap(item)) }
        return nil
    }
}

/// The catalogue in use and where it came from. A newer catalogue (from the
/// platform, or a file a maintainer drops in) replaces it only if it loads
/// cleanly; a bad one is refused with the item and field at fault and the
/// last good one stays.
public struct CatalogueStore: Sendable {
    /// The catalogue in use.
    public private(set) var current: Catalogue
    /// Why the last offered catalogue was refused, if it was.
    public private(set) var lastRefusal: DataFileError?

    /// Starts with a good catalogue.
    public init(_ catalogue: Catalogue) {
        current = catalogue
    }

    /// What happened to an offered catalogue.
    public enum Outcome: Sendable, Equatable {
        /// It is now in use.
        case replaced(old: String, new: String)
        /// It is the same version as, or older than, the one in use.
        case notNewer(String)
        /// It did not load; the one in use stays.
        case refused(DataFileError)
    }

    /// Offers a catalogue file's bytes; `today` (the station's, in China) bounds its publication date.
    public mutating func offer(json bytes: [UInt8], today: CalendarDate) -> Outcome {
        let candidate: Catalogue
        do { candidate = try Catalogue.load(json: bytes) } catch {
            lastRefusal = error
            return .refused(error)
        }
        if let future = Self.fromTheFuture(candidate, today: today) {
            lastRefusal = future
            return .refused(future)
        }
        lastRefusal = nil
        guard Self.isNewer(candidate, than: current) else { return .notNewer(candidate.version) }
        let old = current.version
        current = candidate
        return .replaced(old: old, new: candidate.version)
    }

    /// Why a catalogue cannot be taken as published yet: its date is after tomorrow (the platform's day may
    /// run ahead of the station's by hours, not days). Nil when it may.
    public static func fromTheFuture(_ catalogue: Catalogue, today: CalendarDate) -> DataFileError? {
        guard catalogue.published > today.next else { return nil }
        return DataFileError(file: "the offered catalogue", line: 1, item: nil, field: "published",
                             message: "is \(catalogue.published), after today (\(today)): a catalogue is taken once published, not before; check the platform's and the station's clocks")
    }

    /// Whether `a` was published after `b`: by its publication date, then (the same day) by its version,
    /// compared number by number (2026.11.10 > 2026.11.9). The date comes first, so a version that claims
    /// too much holds only for its own day, and the next day's catalogue replaces it.
    public static func isNewer(_ a: Catalogue, than b: Catalogue) -> Bool {
        if a.published != b.published { return a.published > b.published }
        return isNewer(a.version, than: b.version)
    }

    /// Compares dotted versions number by number (2026.11.10 > 2026.11.9).
    public static func isNewer(_ a: String, than b: String) -> Bool {
        let left = a.split(whereSeparator: { $0 == "." || $0 == "-" }), right = b.split(whereSeparator: { $0 == "." || $0 == "-" })
        for (x, y) in zip(left, right) where x != y {
            if let m = Int(x), let n = Int(y) { return m > n }
            return x > y
        }
        return left.count > right.count
    }
}
