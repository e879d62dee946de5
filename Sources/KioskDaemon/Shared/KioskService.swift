import ServiceLifecycle

/// One of kioskd's services, described by its name. ServiceLifecycle
/// describes each service as the group is made; reflected field by field,
/// kioskd's spelled out the configuration, the catalogue and the writing
/// pad's tables at every start (two thirds of a 300 ms start, and the heap
/// it left 4 MB larger at rest).
protocol KioskService: Service, CustomStringConvertible {}

extension KioskService {
    var description: String { String(describing: Self.self) }
}
