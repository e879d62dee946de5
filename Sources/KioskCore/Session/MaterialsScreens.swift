/// The screens of the materials (Materials.swift): what is needed and how
/// each is provided, a scan in progress, and one scanned page large. The page
/// draws them in ui/screens/materials.js.

/// Each material, and how it is provided so far.
public struct MaterialsScreen: ScreenPayload {
    public var name: ScreenView.Name { .materials }
    public var materials: [MaterialLine]
}

/// A material being scanned; the next event is its result.
public struct ScanningScreen: ScreenPayload {
    public var name: ScreenView.Name { .scanning }
    public var materials: [MaterialLine]
    /// The page being read and how much of it, once the scanner says.
    public var scanProgress: PageProgress?
}

/// One scanned page, large: keep it, discard it, or scan the material again.
public struct PageScreen: ScreenPayload {
    public var name: ScreenView.Name { .page }
    public var page: PageShown
}

/// A material and how it is provided.
public struct MaterialLine: Sendable, Equatable, Encodable {
    /// How a material is provided so far (the page says it in words, `material_` and this).
    public enum Status: String, Sendable, CaseIterable, Encodable {
        case needed, scanned, eCertificate = "e_certificate", platform
    }

    public var id: String
    public var name: String
    public var required: Bool
    public var notes: String?
    public var status: Status
    public var pages: Int
    public var platformMayObtain: Bool
    public var eCertificate: String?
    /// Where the scanned pages' images are (``ScannedPage/address(material:index:)``); never the images themselves.
    public var thumbnails: [String]?
}

/// How far a scan is: the page being read and how much of it (-1: the scanner does not know the page's size).
public struct PageProgress: Sendable, Equatable, Encodable {
    public var page: Int
    public var percent: Int
    public init(page: Int, percent: Int) {
        self.page = page
        self.percent = percent
    }
}

/// One scanned page, large.
public struct PageShown: Sendable, Equatable, Encodable {
    public var material: String
    public var name: String
    /// From 0.
    public var index: Int
    public var pages: Int
    /// Its address on the local API.
    public var image: String
}

extension ScannedPage {
    /// Where the screen's page finds this page's image (`GET /api/page/MATERIAL/N`, this session only);
    /// its size in the address, so a page scanned again is a new image, never a cached one.
    public func address(material: String, index: Int) -> String {
        "/api/page/\(material)/\(index)?bytes=\(data.count)"
    }
}

extension SessionReducer {
    func materialLines(_ state: SessionState) -> [MaterialLine] {
        guard let visit = state.visit, let choice = visit.choice else { return [] }
        return choice.materials.map { material in
            let provided = visit.materials[material.id]
            let (status, pages): (MaterialLine.Status, Int) = switch provided {
            case .scanned(let scanned)?: (.scanned, scanned.count)
            case .eCertificate?: (.eCertificate, 0)
            case .platform?: (.platform, 0)
            case nil: (.needed, 0)
            }
            let thumbnails: [String]? = if case .scanned(let scanned)? = provided {
                scanned.enumerated().map { $0.element.address(material: material.id, index: $0.offset) }
            } else { nil }
            return MaterialLine(id: material.id, name: material.name, required: material.required, notes: material.notes, status: status,
                                pages: pages, platformMayObtain: material.platformMayObtain, eCertificate: material.eCertificate, thumbnails: thumbnails)
        }
    }

    func pageScreen(_ state: SessionState, material id: String, index: Int) -> PageScreen? {
        guard case .scanned(let pages)? = state.visit?.materials[id], pages.indices.contains(index),
              let material = state.visit?.choice?.materials.first(where: { $0.id == id }) else { return nil }
        return PageScreen(page: PageShown(material: id, name: material.name, index: index, pages: pages.count, image: pages[index].address(material: id, index: index)))
    }
}
