/// A document scanner as the session uses it: scan what is on the glass or
/// in the feeder, and say how far it is. The station's SANE scanner is one
/// (Drivers' `SANEScanner`).
///
///     let pages = try await scanner.scanPages { page, percent in show(page, percent) }
public protocol PageScanner: Sendable {
    /// Scans what is on the glass or in the feeder, telling `progress` how far
    /// it is (page, percent of it, -1 when unknown). Pages read before a jam
    /// are returned; a failure with no page throws what to tell the resident.
    func scanPages(progress: @escaping @Sendable (_ page: Int, _ percent: Int) -> Void) async throws(DeviceError) -> [ScannedPage]
}
